import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultScenarioDir } from '../test-support/fault-scenario.ts';
import { drillOnce } from '../test-support/helpers.ts';

// Real etcd 3.5.30: every v2 readiness line is shown coming out more than one way, on real data dirs.
const out = await mkdtemp(join(tmpdir(), 'v2-readiness-'));
const dirs: string[] = [out];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function drill(version: string, strategy: string, fault: Record<string, unknown>) {
  const dir = await faultScenarioDir('v2-readiness', strategy, [{ kind: 'v2-readiness', ...fault }]);
  dirs.push(dir);
  return drillOnce({ scenarioDir: dir, provider: 'process', etcd: version, out });
}

type Result = Awaited<ReturnType<typeof drill>>;
const lines = (r: Result) =>
  Object.fromEntries(
    r.checks.filter((c) => c.id.startsWith('v2-') && c.id !== 'v2-data').map((c) => [c.id, c.observed]),
  );

describe('v2 readiness on etcd 3.5.30', () => {
  it('v2 data only in the WAL (as a v2 backup restores it): the check and the start guard miss it', async () => {
    const r = await drill('3.5.30', 'v2-backup-with-v3', {});
    expect(r.error).toBeUndefined();
    expect(r.observations.v2Readiness?.v2Keys).toBeGreaterThan(0);
    expect(lines(r)).toMatchObject({
      'v2-check': 'no custom content found',
      'v2-check-sees': 'misses the v2 data',
      'v2-not-yet-start': 'starts with --enable-v2',
      'v2-not-yet-read': 'returns the data',
      'v2-not-yet-write': 'accepted',
      'v2-not-yet-restart': 'v2 data kept',
      // A v3 snapshot holds no v2 data (upgrade guide: "the snapshot command only backs up the v3 data").
      'v2-not-yet-snapshot': 'v2 data dropped',
      'v2-write-only-start': 'refuses with --enable-v2, starts without',
      'v2-write-only-read': 'not served',
      'v2-write-only-write': 'not served',
      'v2-write-only-snapshot': 'v2 data dropped',
      'v2-write-only-drop-data-start': 'refuses with --enable-v2, starts without',
      'v2-write-only-drop-data-restart': 'v2 data kept',
      'v2-gone-start': 'refuses with --enable-v2, starts without',
      // The guide's clean-up writes a v2 snapshot: the check now finds what it missed.
      'v2-guide-cleanup': 'check still fails',
      'v2-delete-cleanup': 'check passes',
      'v2-write-only-after-cleanup': 'starts',
    });
    const quote = r.observations.v2Readiness?.levels[1]?.starts[0]?.quote;
    expect(quote).toBe('--enable-v2 and --v2-deprecation=write-only are mutually exclusive');
  });

  it('v2 data in a v2 snapshot file: the check finds it, and every level past not-yet refuses to start', async () => {
    const r = await drill('3.5.30', 'v2-backup-with-v3', { v2Snapshot: true });
    expect(r.error).toBeUndefined();
    expect(lines(r)).toMatchObject({
      'v2-check': 'custom content found',
      'v2-check-sees': 'sees the v2 data',
      'v2-not-yet-start': 'starts with --enable-v2',
      'v2-write-only-start': 'refuses',
      'v2-write-only-read': 'not started',
      'v2-write-only-write': 'not started',
      'v2-write-only-snapshot': 'not started',
      'v2-write-only-drop-data-start': 'refuses',
      // write-only-drop-data drops nothing on 3.5.30: it refuses to start, and the data is still there.
      'v2-write-only-drop-data-restart': 'v2 data kept',
      'v2-gone-start': 'refuses',
      'v2-guide-cleanup': 'check still fails',
      'v2-delete-cleanup': 'check passes',
      'v2-write-only-after-cleanup': 'starts',
    });
    const quote = r.observations.v2Readiness?.levels[1]?.starts[1]?.quote;
    expect(quote).toBe('detected disallowed custom content in v2store for stage --v2-deprecation=write-only');
  });

  it('no v2 data (a v3 snapshot restore): the check passes and there is nothing to keep', async () => {
    const r = await drill('3.5.30', 'v3-snapshot-all-members', {});
    expect(r.error).toBeUndefined();
    expect(r.observations.v2Readiness?.v2Keys).toBe(0);
    expect(lines(r)).toMatchObject({
      'v2-check': 'no custom content found',
      'v2-check-sees': 'no v2 data to see',
      'v2-not-yet-restart': 'no v2 data',
      'v2-not-yet-read': 'key missing',
      'v2-guide-cleanup': 'check passes',
    });
  });
});

describe.each([
  ['3.4.23', /has no --v2-deprecation/],
  ['3.5.16', /has no `etcdutl check v2store`/],
])('v2 readiness on etcd %s', (version, reason) => {
  it('is not applicable, naming what the binaries lack', async () => {
    const r = await drill(version, 'v2-backup-with-v3', {});
    expect(r.verdict).toBe('not-applicable');
    expect(r.notApplicable).toMatch(reason);
  });
});
