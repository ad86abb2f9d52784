import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { type DrillOptions, runDrill } from '../drill.ts';
import type { ScenarioResult } from '../result.ts';
import { drillProcesses, labelled, needDocker, runFolders } from '../test-support/helpers.ts';
import { processesMatching } from '../util/proc.ts';

const RUNBOOKS = fileURLToPath(new URL('../../runbooks/', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/etcd-drill.js', import.meta.url));
const out = await mkdtemp(join(tmpdir(), 'drill-runbook-'));
afterAll(() => rm(out, { recursive: true, force: true }));

const base: DrillOptions = { provider: 'process', probes: false, out, quiet: true, reporters: [] };

async function drill(o: DrillOptions): Promise<{ r: ScenarioResult; reportDir: string }> {
  const { run, reportDir } = await runDrill({ ...base, ...o });
  const [r] = run.results;
  if (!r) throw new Error('no result');
  return { r, reportDir };
}

/** Each check's observed outcome. */
const outcomes = (r: ScenarioResult) => Object.fromEntries(r.checks.map((c) => [c.id, c.observed]));

/** A runbook folder of our own: the shipped S1 backup and the given scripts. */
async function runbookWith(scripts: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(out, 'rb-'));
  await cp(join(RUNBOOKS, 's1-v3-snapshot', 'backup.sh'), join(dir, 'backup.sh'));
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(join(dir, name), text);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

/** The shipped example against the built-in strategy of the same name: the same outcomes on every check both have. */
async function sameAsBuiltIn(runbook: string, scenario: string, etcd: string) {
  const builtIn = (await drill({ scenarios: [scenario], etcd })).r;
  const mine = (await drill({ runbook: join(RUNBOOKS, runbook), scenarios: [scenario], etcd })).r;
  expect(mine.error).toBeUndefined();
  expect(mine.strategy).toBe(`runbook:${runbook}`);
  const [a, b] = [outcomes(builtIn), outcomes(mine)];
  // How the built-in rebuilt (peer URL, member add) is its own record; a script's is opaque.
  const shared = Object.keys(b).filter((k) => k in a);
  expect(shared).toEqual(
    expect.arrayContaining([
      'backup',
      'restore',
      'v3-data',
      'v2-data',
      'membership',
      'revision',
      'integrity',
      'member-ids',
    ]),
  );
  expect(Object.keys(b).filter((k) => !(k in a))).toEqual([]);
  expect(Object.fromEntries(shared.map((k) => [k, b[k]]))).toEqual(
    Object.fromEntries(shared.map((k) => [k, a[k]])),
  );
  expect(drillProcesses()).toEqual([]);
  return mine;
}

describe('etcd-drill run --runbook', () => {
  it("the write-up's S1 as a shell runbook gets the outcomes of the built-in S1 (etcd 3.4, etcdctl restore)", async () => {
    const r = await sameAsBuiltIn('s1-v3-snapshot', 's1-v3-snapshot-restore', '3.4.23');
    expect(outcomes(r)['v2-data']).toBe('lost');
    // v2 is lost and the runbook claims only v3: not held against it; no probes ran, so not safe either.
    expect(r.restores).toEqual(['v3']);
    expect(r.grade).toEqual({ grade: 'unknown', reasons: ['components not checked (--no-probes)'] });
    // Its own last words: the member list after the last member add.
    expect(r.observations.strategy?.runbookRestore?.tail.join('\n')).toMatch(/started, etcd3, /);
  });

  it("etcd's official recovery as a runbook gets the outcomes of s5 (etcd 3.5, etcdutl restore)", async () => {
    await sameAsBuiltIn('etcd-official', 's5-v3-snapshot-all-members', '3.5.30');
  });

  it('runs the S1 runbook under --tls: the env files carry the certificates, etcdctl reads ETCDCTL_CACERT/CERT/KEY', async () => {
    const { r } = await drill({ runbook: join(RUNBOOKS, 's1-v3-snapshot'), etcd: '3.5.30', tls: true });
    expect(r.tls).toBe(true);
    expect(outcomes(r)).toMatchObject({
      backup: 'completed',
      restore: 'completed',
      'v3-data': 'restored',
      membership: 'healthy',
    });
  });

  it('runs the S1 runbook on containers under --tls: the env file is the container environment, data dirs share one path', async (ctx) => {
    needDocker(ctx.skip);
    const { r } = await drill({
      runbook: join(RUNBOOKS, 's1-v3-snapshot'),
      etcd: '3.5.30',
      tls: true,
      provider: 'container',
    });
    expect(r.error).toBeUndefined();
    expect(outcomes(r)).toMatchObject({
      backup: 'completed',
      restore: 'completed',
      'v3-data': 'restored',
      membership: 'healthy',
      integrity: 'consistent',
    });
    expect((await labelled()).containers).toEqual([]);
  });

  it('a runbook that restores one member only exits 1, naming the divergence', async () => {
    const res = await execa(
      'node',
      [
        bin,
        'run',
        '--runbook',
        join(RUNBOOKS, 'broken-one-member'),
        '--provider',
        'process',
        '--no-probes',
        '--etcd',
        '3.5.30',
        '--out',
        out,
      ],
      { reject: false, all: true },
    );
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(
      /divergent members \(v3: etcd1 restored, \d+ keys; etcd2, etcd3 lost, 0 keys\)/,
    );
    // Hashes at the lowest common revision agree (nothing lies below an empty member's revision):
    // the revisions, far apart at one raft index, are what give the divergence away.
    const runs = await Promise.all(
      (await readdir(out)).map(async (d) =>
        JSON.parse(await readFile(join(out, d, 'results.json'), 'utf8').catch(() => '{"results":[]}')),
      ),
    );
    const broken = runs
      .flatMap((r) => r.results as ScenarioResult[])
      .find((r) => r.strategy.includes('broken-one-member'));
    expect(broken?.checks.find((c) => c.id === 'integrity')?.observed).toBe('revision mismatch');
    expect(drillProcesses()).toEqual([]);
  });

  it('serves the units systemctl-like, starts them from their env files, and a failing restore.sh is "restore failed" with its last lines', async () => {
    const dir = await runbookWith({
      'backup.sh': [
        '#!/bin/bash',
        'svc=$ETCD_DRILL_SERVICE',
        '$svc status etcd1 >/dev/null; echo "status etcd1: $?"',
        '$svc status nope >/dev/null 2>&1; echo "status nope: $?"',
        '$svc stop etcd3; $svc status etcd3 >/dev/null; echo "status etcd3 stopped: $?"',
        'echo ETCD_QUOTA_BACKEND_BYTES=123456789 >> "$ETCD_DRILL_ENV_DIR/etcd3.env"',
        '$svc start etcd3 && echo "started etcd3"',
        'echo "members: $ETCD_DRILL_MEMBERS; api $ETCDCTL_API; etcdctl $(command -v etcdctl)"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        'ETCDCTL_ENDPOINTS=${ETCDCTL_ENDPOINTS%%,*} etcdctl snapshot save "$ETCD_DRILL_BACKUP_DIR/snapshot.db" >/dev/null',
      ].join('\n'),
      'restore.sh':
        '#!/bin/sh\necho "restoring from $ETCD_DRILL_BACKUP_DIR"\necho "etcdutl: open snapshot.db: no such file" >&2\nexit 3\n',
    });
    const { r, reportDir } = await drill({ runbook: dir, etcd: '3.5.30' });
    const tail = r.observations.strategy?.runbookBackup?.tail ?? [];
    expect(tail).toEqual(
      expect.arrayContaining([
        'status etcd1: 0',
        'status nope: 5',
        'status etcd3 stopped: 3',
        'started etcd3',
      ]),
    );
    expect(tail.join('\n')).toMatch(/members: etcd1 etcd2 etcd3; api 3; etcdctl .*\/bin\/etcdctl/);
    // etcd3 ran with what its file said: etcd's own start line quotes the quota.
    const log = await readFile(join(reportDir, 's1-v3-snapshot-restore', 'logs', 'etcd3.log'), 'utf8');
    expect(log).toMatch(/"quota-backend-bytes":123456789/);
    expect(r.error).toBeUndefined();
    expect(r.observations.restore).toMatchObject({ outcome: 'failed', step: 'restore.sh' });
    expect(r.observations.restore?.quote).toMatch(
      /^exit 3: restoring from \/.*\/backup \| etcdutl: open snapshot.db: no such file$/,
    );
    expect(r.grade.reasons).toContain('restore failed');
    expect(drillProcesses()).toEqual([]);
  });

  it("a script that fails after the harness failed to start its unit (the member's port held by another process) is unknown, not 'restore failed'", async () => {
    const dir = await runbookWith({
      'restore.sh': [
        '#!/bin/bash',
        'port=$(sed -n "s/^ETCD_LISTEN_CLIENT_URLS=.*:\\([0-9]*\\)$/\\1/p" "$ETCD_DRILL_ENV_DIR/etcd1.env")',
        '$ETCD_DRILL_SERVICE stop etcd1',
        // Another program on the machine takes the port meanwhile (a child of the script: its group goes with it).
        "node -e \"require('net').createServer().listen($port, '127.0.0.1')\" &",
        'until (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null; do sleep 0.1; done',
        '$ETCD_DRILL_SERVICE start etcd1 || { echo "etcd1 would not start"; exit 1; }',
      ].join('\n'),
    });
    const { r } = await drill({ runbook: dir, etcd: '3.5.30' });
    expect(r.error?.message).toMatch(
      /^restore\.sh exited 1 after etcd-drill failed to serve its units \(start etcd1: etcd1 could not bind its port: address already in use/,
    );
    expect(r.grade.grade).toBe('unknown');
    expect(r.grade.reasons.join(' ')).not.toMatch(/restore failed/);
    expect(r.observations.restore?.outcome).not.toBe('failed');
    const notes = r.observations.strategy?.runbookRestore;
    expect(notes?.exitCode).toBe(1);
    expect(notes?.serviceFaults).toEqual([expect.stringMatching(/^start etcd1: .*address already in use/)]);
    // The script saw systemctl's failure, and whose it was.
    expect(notes?.tail.join('\n')).toMatch(/Job for etcd1\.service failed: .*etcd-drill's own failure/);
    expect(drillProcesses()).toEqual([]);
  });

  it('a script that fails because etcd refused the env file it wrote stays "restore failed": the unit\'s failure is a finding', async () => {
    const dir = await runbookWith({
      'restore.sh': [
        '#!/bin/bash',
        '$ETCD_DRILL_SERVICE stop etcd1',
        'echo ETCD_SNAPSHOT_COUNT=lots >> "$ETCD_DRILL_ENV_DIR/etcd1.env"',
        '$ETCD_DRILL_SERVICE start etcd1 || { echo "etcd1 would not start"; exit 1; }',
      ].join('\n'),
    });
    const { r } = await drill({ runbook: dir, etcd: '3.5.30' });
    expect(r.error).toBeUndefined();
    expect(r.observations.restore).toMatchObject({ outcome: 'failed', step: 'restore.sh' });
    expect(r.observations.restore?.quote).toMatch(/^exit 1: .*etcd1 would not start$/);
    expect(r.observations.strategy?.runbookRestore?.serviceFaults).toBeUndefined();
    expect(r.observations.strategy?.runbookRestore?.tail.join('\n')).toMatch(/ETCD_SNAPSHOT_COUNT/);
    expect(r.grade.reasons).toContain('restore failed');
    expect(drillProcesses()).toEqual([]);
  });

  it("restore.sh that exits 0 leaving a cluster that never turns healthy, with no refusal in etcd's logs, is unknown: the timeout is the harness's", async () => {
    // One member of three on an empty data dir: it waits for peers that never come, and says nothing fatal.
    const dir = await runbookWith({ 'restore.sh': '#!/bin/sh\n$ETCD_DRILL_SERVICE start etcd1\n' });
    const { r } = await drill({ runbook: dir, etcd: '3.5.30' });
    expect(r.error).toMatchObject({ code: 'TIMEOUT' });
    expect(r.error?.message).toMatch(/^restore\.sh exited 0, but .*no member's log says why/);
    expect(r.grade.grade).toBe('unknown');
    expect(r.observations.restore?.outcome).not.toBe('failed');
    expect(drillProcesses()).toEqual([]);
  });

  it('a script past --runbook-timeout is killed with its whole group and reported hung', async () => {
    const dir = await runbookWith({
      'backup.sh': '#!/bin/sh\necho "taking the backup"\nsleep 477 &\nsleep 478\n',
      'restore.sh': '#!/bin/sh\nexit 0\n',
    });
    const { r } = await drill({ runbook: dir, etcd: '3.5.30', runbookTimeoutMs: 2000 });
    expect(r.error).toBeUndefined();
    expect(r.observations.backup).toMatchObject({
      outcome: 'hung',
      step: 'backup.sh',
      quote: 'hung after 2 s',
    });
    expect(r.grade.reasons).toEqual(['backup failed (hung)']);
    expect(processesMatching('sleep 47')).toEqual([]);
    expect(drillProcesses()).toEqual([]);
  });

  it('a bad runbook folder is one line and exit 2, before anything starts', async () => {
    const before = runFolders();
    const noRestore = await mkdtemp(join(out, 'bad-'));
    await writeFile(join(noRestore, 'backup.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const badYaml = await runbookWith({ 'restore.sh': '#!/bin/sh\n', 'runbook.yaml': 'restores: [v4]\n' });
    const notExec = await runbookWith({ 'restore.sh': '#!/bin/sh\n' });
    await chmod(join(notExec, 'restore.sh'), 0o644);
    for (const [dir, says] of [
      [noRestore, /has no restore\.sh: add it/],
      [badYaml, /runbook\.yaml: restores\.0: /],
      [notExec, /restore\.sh is not executable: chmod \+x/],
      [join(out, 'nowhere'), /is not a folder/],
    ] as const) {
      const outDir = join(out, 'never');
      const res = await execa(
        'node',
        [bin, 'run', '--runbook', dir, '--provider', 'process', '--out', outDir],
        { reject: false },
      );
      expect(res.exitCode).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(says);
      expect(existsSync(outDir)).toBe(false);
    }
    expect(runFolders()).toEqual(before);
  });
});
