import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processProvider } from '../cluster/process.ts';
import type { Cluster } from '../cluster/types.ts';
import { type Access, v3Client, withV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { restoreSnapshot, saveSnapshot } from '../strategies/common.ts';
import type { Recorder } from '../strategies/types.ts';
import { drillProcesses, testContext } from '../test-support/helpers.ts';
import { prefixRange, RevisionMark } from './common.ts';
import { election } from './election.ts';
import { leaseHolder } from './lease-holder.ts';
import { leaseLock } from './lease-lock.ts';
import { occWriter, Writer } from './occ-writer.ts';
import { PROBE_PREFIX, type ProbeCheck, type RunningProbe } from './types.ts';

// Each probe must be able to fail: here real etcd is put in the state a bad restore leaves, by hand.
// (That a plain restore leaves the informer stale and a bump-revision restore does not is shown by
// drills, in harness/probes/drill-probes.int.test.ts.)

const rec: Recorder = { step: (_t, fn) => fn(), note: () => undefined };
let cluster: Cluster;
let workDir: string;
const running: RunningProbe[] = [];

async function lookUntil(p: RunningProbe, a: Access, want: boolean, ms: number): Promise<ProbeCheck> {
  const deadline = Date.now() + ms;
  for (;;) {
    const c = await p.check(a).catch((err: Error) => ({ ok: false, evidence: { error: err.message } }));
    if (c.ok === want || Date.now() > deadline) return c;
    await sleep(200);
  }
}

async function started(p: Promise<RunningProbe>): Promise<RunningProbe> {
  const r = await p;
  running.push(r);
  return r;
}

beforeAll(async () => {
  const dist = await resolveEtcd({ version: '3.5.30', log: silentLogger });
  const ctx = await testContext();
  workDir = ctx.workDir;
  cluster = await processProvider.create({ size: 3, token: 'probes', enableV2: true }, dist, ctx, 'c');
  await cluster.start();
});

afterAll(async () => {
  await Promise.allSettled(running.map((p) => p.stop()));
  await cluster?.[Symbol.asyncDispose]();
  expect(drillProcesses(workDir)).toHaveLength(0);
  await rm(workDir, { recursive: true, force: true });
});

describe('component probes can fail, on a live etcd 3.5.30 cluster', () => {
  it('lease-lock: a record written by another holder is seen as a leader that believes in vain, then retaken', async () => {
    const a = cluster.access();
    const p = await started(leaseLock.start(a, { instance: 'll' }));
    const ok = await lookUntil(p, a, true, 5000);
    expect(ok.ok).toBe(true);
    const leader = (ok.evidence.believers as string[])[0];
    // What a restore of an older record does: the key names someone else, freshly renewed.
    const key = `${PROBE_PREFIX}lease-lock/kube-controller-manager`;
    const ghost = {
      holderIdentity: 'ghost',
      leaseDurationSeconds: 3,
      acquireTime: 0,
      renewTime: Date.now(),
      leaseTransitions: 9,
    };
    await withV3(a, async (c) => {
      await c.put(key).value(JSON.stringify(ghost));
    });
    const bad = await p.check(a);
    expect(bad.ok).toBe(false);
    expect(bad.evidence.holder).toBe('ghost');
    expect(bad.evidence.believesWhileKeySaysOtherwise).toEqual([leader]);
    // The ghost never renews: after a lease duration a candidate takes the lock back.
    expect((await lookUntil(p, a, true, 8000)).ok).toBe(true);
  });

  it('election: the leader key deleted behind its back leaves the old leader believing it leads', async () => {
    const a = cluster.access();
    const p = await started(election.start(a, { instance: 'el' }));
    const ok = await lookUntil(p, a, true, 5000);
    expect(ok.ok).toBe(true);
    const leader = (ok.evidence.believers as string[])[0];
    const prefix = `${PROBE_PREFIX}election/election-el/`;
    await withV3(a, async (c) => {
      const res = await c.kv.range({
        ...prefixRange(prefix),
        sort_order: 'Ascend',
        sort_target: 'Create',
        limit: 1,
      });
      const k = res.kvs[0]?.key;
      if (!k) throw new Error('no leader key');
      await c.kv.deleteRange({ key: k });
    });
    const bad = await lookUntil(p, a, false, 3000);
    expect(bad.ok).toBe(false);
    expect(bad.evidence.believesWhileKeySaysOtherwise).toContain(leader);
    // A restarted candidate set campaigns afresh and agrees with etcd.
    await p.stop();
    const fresh = await started(election.start(a, { instance: 'el2' }));
    expect((await lookUntil(fresh, a, true, 8000)).ok).toBe(true);
  });

  it('occ-writer: without quorum no update lands and the stuck objects are named; with quorum back it recovers', async () => {
    const a = cluster.access();
    const p = await started(occWriter.start(a, { instance: 'occ' }));
    expect((await lookUntil(p, a, true, 5000)).ok).toBe(true);
    const [, m2, m3] = cluster.members;
    if (!m2 || !m3) throw new Error('three members expected');
    await m2.kill();
    await m3.kill();
    try {
      const one = cluster.access([cluster.members[0] as never]);
      const bad = await lookUntil(p, one, false, 8000);
      expect(bad.ok).toBe(false);
      const stuck = bad.evidence.noUpdateYet as string[];
      expect(stuck.length).toBeGreaterThan(0);
      for (const s of stuck) expect(s).toMatch(/^occ-[ab]:obj-\d$/);
    } finally {
      await m2.start({ state: 'existing' });
      await m3.start({ state: 'existing' });
      await cluster.waitHealthy(cluster.members);
    }
    expect((await lookUntil(p, a, true, 10_000)).ok).toBe(true);
  });

  it('lease-holder: a lease revoked behind its back is lost with its keys; a restarted holder holds again', async () => {
    const a = cluster.access();
    const p = await started(leaseHolder.start(a, { instance: 'lh' }));
    const ok = await p.check(a);
    expect(ok.ok).toBe(true);
    await withV3(a, (c) => c.leaseClient.leaseRevoke({ ID: ok.evidence.leaseId as string }));
    const bad = await lookUntil(p, a, false, 3000);
    expect(bad.ok).toBe(false);
    expect(bad.evidence.keysAttached).toBe('0/3');
    expect(String(bad.evidence.keepalive)).toMatch(/lease not found|expired or revoked/);
    await p.stop();
    const fresh = await started(leaseHolder.start(a, { instance: 'lh2' }));
    expect((await fresh.check(a)).ok).toBe(true);
  });
});

describe('occ-writer on a restore that hands out a revision twice', () => {
  it('records a silent overwrite: the compare on the reused mod revision passes', async () => {
    const dist = await resolveEtcd({ version: '3.5.30', log: silentLogger });
    const ctx = await testContext();
    const single = await processProvider.create({ size: 1, token: 'aba', enableV2: true }, dist, ctx, 'aba');
    try {
      await single.start();
      const [m] = single.members;
      if (!m) throw new Error('one member expected');
      const a = single.access();
      const key = `${PROBE_PREFIX}occ/aba/obj`;
      const rev = new RevisionMark();
      const clientA = v3Client(a);
      const clientB = v3Client(a);
      try {
        const snap = await saveSnapshot(single, rec); // the backup: obj does not exist yet
        const writerA = new Writer('a', clientA, [key], rev);
        expect(await writerA.tryUpdate(key)).toBe(true); // obj created at the revision after the backup's
        await m.kill();
        await m.wipe();
        await restoreSnapshot(single, m, snap.files[0] as string, rec);
        await m.start({ state: 'new' });
        await single.waitHealthy([m]);
        // Another writer creates obj again: the restored cluster hands out that same revision.
        const writerB = new Writer('b', clientB, [key], new RevisionMark());
        await retry(() => writerB.tryUpdate(key));
        // A's copy carries the reused mod revision, so its compare passes over B's object.
        expect(await retry(() => writerA.tryUpdate(key))).toBe(true);
        expect(writerA.overwrites).toHaveLength(1);
        expect(writerA.overwrites[0]?.found).toContain('"by":"b"');
      } finally {
        clientA.close();
        clientB.close();
      }
    } finally {
      await single[Symbol.asyncDispose]();
      await rm(ctx.workDir, { recursive: true, force: true });
    }
  });
});

/** The first call on a client whose member restarted may meet a channel still reconnecting. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 20) throw err;
      await sleep(250);
    }
  }
}
