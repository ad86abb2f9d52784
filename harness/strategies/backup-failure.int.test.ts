import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { processProvider } from '../cluster/process.ts';
import type { Cluster } from '../cluster/types.ts';
import { Refusal } from '../errors.ts';
import { putAllV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { testContext } from '../test-support/helpers.ts';
import { processesMatching } from '../util/proc.ts';
import type { Recorder } from './types.ts';
import { V2_BACKUP_STRATEGIES, v2BackupName } from './v2-backup.ts';

const spec = { size: 3, token: 'test', enableV2: true };
const rec: Recorder = { step: (_t, fn) => fn(), note: () => {} };
const BOUND_MS = 10_000;
const liveWithV3 = V2_BACKUP_STRATEGIES.find(
  (s) => s.name === v2BackupName({ layout: 'none', member: 'live', withV3: true }),
);
let cluster: Cluster | undefined;
let workDir: string | undefined;

afterEach(async () => {
  await cluster?.[Symbol.asyncDispose]();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  cluster = undefined;
});

/** The backup with v3 data of etcd1 while it runs, as a user following the write-up on newer etcd would take it. */
async function liveBackupWithV3(version: string): Promise<{ refusal: unknown; ms: number; c: Cluster }> {
  if (!liveWithV3) throw new Error('no live with-v3 strategy registered');
  const ctx = await testContext();
  workDir = ctx.workDir;
  const c = await processProvider.create(spec, await resolveEtcd({ version, log: silentLogger }), ctx, 'c');
  cluster = c;
  await c.start();
  await putAllV3(c.access(), [{ key: '/registry/a', value: '1' }]);
  const t0 = Date.now();
  const refusal = await liveWithV3.backup(c, rec, BOUND_MS).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { refusal, ms: Date.now() - t0, c };
}

describe('a backup etcd does not complete is its answer (Refusal, phase backup), and the cluster lives on', () => {
  it('3.5.30: etcdutl backup (v3 on by default) of the running member fails on the db lock', async () => {
    const { refusal, ms, c } = await liveBackupWithV3('3.5.30');
    expect(refusal).toBeInstanceOf(Refusal);
    const r = refusal as Refusal;
    expect([r.phase, r.outcome]).toEqual(['backup', 'failed']);
    expect(r.quote).toMatch(/timed out waiting to acquire lock on/);
    expect(r.step).toBe('etcdutl backup (v3 on by default) of the running etcd1');
    expect(ms).toBeLessThan(BOUND_MS);
    expect((await c.health()).up).toBe(true);
  });

  it('3.4.23: ETCDCTL_API=2 etcdctl backup --with-v3 of the running member hangs until the bound kills it', async () => {
    const { refusal, ms, c } = await liveBackupWithV3('3.4.23');
    expect(refusal).toBeInstanceOf(Refusal);
    const r = refusal as Refusal;
    expect([r.phase, r.outcome, r.quote]).toEqual(['backup', 'hung', 'hung after 10 s']);
    expect(ms).toBeGreaterThanOrEqual(BOUND_MS);
    // Killed, not left waiting on the lock: no etcdctl of this run remains.
    const ctl = processesMatching(`${workDir}/`).filter((p) => p.args[0]?.endsWith('/etcdctl'));
    expect(ctl).toEqual([]);
    expect((await c.health()).up).toBe(true);
  });
});
