import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from '../drill.ts';
import { HarnessError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { runFolders } from '../test-support/helpers.ts';
import { resolveEtcd } from './dist.ts';
import { flagName, helpFlags, toolHelp } from './help.ts';

/**
 * A test of the harness's gating, not a claim about etcd: a bin dir whose etcd, etcdctl and etcdutl
 * are 3.5.30's behind scripts whose --help hides the v2 flags (an etcd without a v2 API, as 3.6 is)
 * and which log every other call's argv. The drill must pass none of the hidden flags.
 */
const real = await resolveEtcd({ version: '3.5.30', log: silentLogger });
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A bin dir of scripts over 3.5.30: their --help without lines naming `hidden`, other calls logged to argv.log. */
async function stubDir(hidden: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-drill-stub-bin-'));
  dirs.push(dir);
  for (const tool of ['etcd', 'etcdctl', 'etcdutl'] as const) {
    const script = `#!/bin/sh
for a in "$@"; do
  case "$a" in
    --help|-h) "${real[tool]}" "$@" 2>&1 | grep -v ${hidden.map((f) => `-e '${f}'`).join(' ')}; exit 0 ;;
    backup) [ "${tool}" = etcdutl ] && { echo 'Error: unknown command "backup" for "etcdutl"' >&2; exit 1; } ;;
  esac
done
printf '%s\\n' "${tool} ETCDCTL_API=\${ETCDCTL_API:-} $*" >> '${join(dir, 'argv.log')}'
exec "${real[tool]}" "$@"
`;
    writeFileSync(join(dir, tool), script);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

const out = await mkdtemp(join(tmpdir(), 'gating-reports-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('an etcd whose help defines no v2 flags (stub bin dir over 3.5.30)', () => {
  it('is started without any flag its help does not define, and its v2 part is not applicable', async () => {
    const dir = await stubDir(['--enable-v2', '--v2-deprecation']);
    const log = join(dir, 'argv.log');
    expect(helpFlags(await toolHelp(join(dir, 'etcd')))).not.toContain('--enable-v2');
    const { run } = await runDrill({
      scenarios: ['s5-v3-snapshot-all-members', 's2-v2-backup-as-data-dir'],
      provider: 'process',
      etcdBinDir: dir,
      out,
      quiet: true,
    });
    const [s5, s2] = run.results;
    expect(s5?.error).toBeUndefined();
    expect(s5?.observations.v2NotApplicable).toBe(
      'etcd 3.5.30 has no v2 API (its etcd --help defines no --enable-v2)',
    );
    expect(s5?.observations.seeded?.v2).toBe(0);
    expect(s5?.checks.map((c) => c.id)).not.toContain('v2-data');
    expect(s5?.checks.find((c) => c.id === 'v3-data')?.observed).toBe('restored');
    expect(s2?.verdict).toBe('not-applicable');
    expect(s2?.notApplicable).toMatch(/has no v2 API/);

    // Every etcd start, from the stub's own log, against the stub's own help.
    const defined = helpFlags(await toolHelp(join(dir, 'etcd')));
    const starts = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('etcd ') && l.includes('--data-dir'));
    expect(starts.length).toBeGreaterThanOrEqual(6); // three members started, then three restored
    const undefinedFlags = starts.flatMap((l) =>
      l.split(' ').flatMap((a) => {
        const f = flagName(a);
        return f && !defined.has(f) ? [f] : [];
      }),
    );
    expect(undefinedFlags).toEqual([]);
    expect(readFileSync(log, 'utf8')).not.toMatch(/--enable-v2|--v2-deprecation|ETCDCTL_API=2/);
  });
});

describe('an etcd whose help lacks a flag every member start needs', () => {
  it('is refused as bad input naming the flag and the version, before anything starts', async () => {
    const dir = await stubDir(['--initial-cluster-token']);
    const before = runFolders();
    const err = await runDrill({
      scenarios: ['s5-v3-snapshot-all-members'],
      provider: 'process',
      etcdBinDir: dir,
      out,
      quiet: true,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('BAD_INPUT');
    expect((err as Error).message).toMatch(/^etcd 3\.5\.30 does not define --initial-cluster-token: /);
    expect(runFolders()).toEqual(before);
    const log = join(dir, 'argv.log');
    // Only `etcd --version` ran (reading the bin dir's version): no member started, no etcdctl.
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((l) => l !== 'etcd ETCDCTL_API= --version')).toEqual([]);
  });
});
