import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorkload,
  k8sWorkload,
  k8sWorkloadAfterBackup,
  refsOf,
  WORKLOAD_LABEL,
  workloadExpectation,
  workloadNamespaces,
} from '../../fixtures/k8s-workload.ts';
import { processProvider } from '../cluster/process.ts';
import type { Cluster } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import { deleteV3, putAllV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { v3SnapshotAllMembers } from '../strategies/v3-all-members.ts';
import { drillProcesses, kubeProcesses, testContext } from '../test-support/helpers.ts';
import { sweepLeftovers } from '../workdir.ts';
import type { KObject } from './api.ts';
import {
  apiServesExactly,
  deploymentReconciles,
  etcdKeyOf,
  leaderElection,
  leaseHolders,
  noOrphansRecreated,
  podsScheduled,
  scopeOf,
  watchCacheAgrees,
} from './checks.ts';
import { type ControlPlane, SHORT_LEADER_ELECTION, startControlPlane } from './controlplane.ts';
import { type K8sDist, resolveK8s } from './dist.ts';

let ctx: RunContext;
let cluster: Cluster;
let cp: ControlPlane;
let k8s: K8sDist;
const before = k8sWorkload();
const after = k8sWorkloadAfterBackup();
const expectation = workloadExpectation(before, after);
const scope = scopeOf(expectation);
const rec = { step: <T>(_t: string, fn: () => Promise<T>) => fn(), note: () => {} };

beforeAll(async () => {
  k8s = await resolveK8s({ log: silentLogger });
  ctx = await testContext();
  cluster = await processProvider.create(
    { size: 3, token: 'k8s_etcd', enableV2: false },
    await resolveEtcd({ version: '3.5.30', log: silentLogger }),
    ctx,
    'etcd',
  );
  await cluster.start();
});

afterAll(async () => {
  await cp?.[Symbol.asyncDispose]();
  await cluster?.[Symbol.asyncDispose]();
  expect(kubeProcesses(ctx.workDir)).toEqual([]);
  expect(drillProcesses(ctx.workDir)).toEqual([]);
  await rm(ctx.workDir, { recursive: true, force: true });
});

/** A K8sDist whose named binaries are shell scripts (or absent), the others real. */
async function fakeDist(
  dir: string,
  scripts: Partial<Record<keyof K8sDist, string | null>>,
): Promise<K8sDist> {
  await mkdir(dir, { recursive: true });
  const out: Record<string, unknown> = { ...k8s };
  for (const [key, body] of Object.entries(scripts)) {
    const p = join(dir, key);
    if (body !== null) {
      await writeFile(p, `#!/bin/sh\n${body}\n`);
      await chmod(p, 0o755);
    }
    out[key] = p;
  }
  return out as unknown as K8sDist;
}

describe('control plane start failures', () => {
  it('a missing kube-apiserver binary is named', async () => {
    const dist = await fakeDist(join(ctx.workDir, 'fake1'), { apiserver: null });
    const err = await startControlPlane({
      dist,
      etcd: cluster.access(),
      dir: join(ctx.workDir, 'k1'),
      ctx,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_START' });
    expect(String((err as Error).message)).toMatch(
      /kube-apiserver: missing Kubernetes binary .*fake1\/apiserver/,
    );
  });

  it('a controller-manager that exits names itself and quotes its log; nothing is left running', async () => {
    const dist = await fakeDist(join(ctx.workDir, 'fake2'), {
      controllerManager: 'echo "F1124 flag provided but not defined: --bogus" >&2; exit 255',
    });
    const dir = join(ctx.workDir, 'k2');
    const err = await startControlPlane({ dist, etcd: cluster.access(), dir, ctx }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_START' });
    const msg = String((err as Error).message);
    expect(msg).toMatch(/kube-controller-manager exited while starting \(code 255\)/);
    expect(msg).toContain('flag provided but not defined: --bogus');
    expect(kubeProcesses(dir)).toEqual([]);
  }, 120_000);

  it('an abort during start kills what it started and says so', async () => {
    const ac = new AbortController();
    const dir = join(ctx.workDir, 'k3');
    const starting = startControlPlane({
      dist: k8s,
      etcd: cluster.access(),
      dir,
      ctx: { ...ctx, signal: ac.signal },
    });
    while (kubeProcesses(dir).length === 0) await sleep(50);
    ac.abort();
    await expect(starting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(kubeProcesses(dir)).toEqual([]);
  });
});

describe('control plane over an etcd with TLS and client certificates required', () => {
  it('reaches etcd with the cluster’s client certificate, serves and reconciles', async () => {
    const tlsEtcd = await processProvider.create(
      { size: 3, token: 'k8s_etcd', enableV2: false, tls: true },
      await resolveEtcd({ version: '3.5.30', log: silentLogger }),
      ctx,
      'etcd-tls',
    );
    const dir = join(ctx.workDir, 'k8s-tls');
    try {
      await tlsEtcd.start();
      expect(tlsEtcd.access().endpoints[0]).toMatch(/^https:/);
      await using tlsCp = await startControlPlane({ dist: k8s, etcd: tlsEtcd.access(), dir, ctx, nodes: 1 });
      const args = kubeProcesses(dir).find((p) => p.args[0]?.endsWith('/kube-apiserver'))?.args ?? [];
      expect(args.filter((a) => /^--etcd-(cafile|certfile|keyfile)=/.test(a))).toHaveLength(3);
      const dep = await deploymentReconciles(tlsCp.api, 'drill-tls', 'web', 1, 60_000);
      expect(dep.ok, JSON.stringify(dep.evidence)).toBe(true);
      expect((await podsScheduled(tlsCp.api, 'drill-tls', 'app=web', 30_000)).ok).toBe(true);
    } finally {
      await tlsEtcd[Symbol.asyncDispose]();
    }
    expect(kubeProcesses(dir)).toEqual([]);
  });
});

describe('control plane over a 3-member etcd 3.5.30', () => {
  it('comes up: /readyz ok, leaders elected, Ready untainted nodes; every process carries the run folder', async () => {
    // Short leases: these tests are about the mechanisms (a lost lease exits, new holders after a
    // restart) and wait on them; drills use the shipped 15/10/2 s (drill-k8s.int.test.ts).
    cp = await startControlPlane({
      dist: k8s,
      etcd: cluster.access(),
      dir: join(ctx.workDir, 'k8s'),
      ctx,
      leaderElection: SHORT_LEADER_ELECTION,
    });
    console.log(`control plane start to ready: ${cp.startMs} ms ${JSON.stringify(cp.startTimings)}`);
    expect((await cp.api.raw('/readyz')).body).toBe('ok');
    const nodes = await cp.api.list('Node');
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['drill-node-1', 'drill-node-2']);
    for (const n of nodes.items) expect(n.spec?.taints ?? []).toEqual([]);
    expect(kubeProcesses(ctx.workDir)).toHaveLength(3);
    for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const)
      expect(cp.running(c)).toBe(true);
  });

  it('serves the workload created through it, and every check passes', async () => {
    await createWorkload(cp.api, before);
    for (const ns of workloadNamespaces()) {
      const web = await podsScheduled(cp.api, ns, 'app=web', 60_000, { min: 2 });
      expect(web, JSON.stringify(web.evidence)).toMatchObject({ ok: true });
      expect((await podsScheduled(cp.api, ns, 'app=worker', 30_000)).ok).toBe(true);
    }
    const exact = await apiServesExactly(cp.api, cluster.access(), expectation);
    expect(exact.ok, JSON.stringify(exact.evidence)).toBe(true);
    expect(exact.evidence.served).toBeGreaterThanOrEqual(before.length);

    const cache = await watchCacheAgrees(cp.api, cluster.access(), scope);
    expect(cache.ok, JSON.stringify(cache.evidence)).toBe(true);

    const leaders = await leaderElection(cp.api);
    expect(leaders.ok, JSON.stringify(leaders.evidence)).toBe(true);

    const dep = await deploymentReconciles(cp.api, 'drill-checks', 'reconcile', 2, 60_000);
    expect(dep.ok, JSON.stringify(dep.evidence)).toBe(true);
    expect(dep.evidence.pods).toHaveLength(2);
    const sched = await podsScheduled(cp.api, 'drill-checks', 'app=reconcile', 30_000, { min: 2 });
    expect(sched.ok, JSON.stringify(sched.evidence)).toBe(true);

    const orphans = await noOrphansRecreated(cp.api, refsOf(after), 2000);
    expect(orphans).toMatchObject({ ok: true });
    console.log(
      `checks: reconcile ${dep.ms} ms, schedule ${sched.ms} ms, leaders ${leaders.ms} ms, cache ${cache.ms} ms`,
    );
  });

  it('podsScheduled names the pods no node fits, with the scheduler’s reason', async () => {
    const dep = await deploymentReconciles(cp.api, 'drill-checks', 'nowhere', 2, 30_000, {
      nodeSelector: { 'etcd-drill.io/disk': 'none' },
    });
    expect(dep.ok, JSON.stringify(dep.evidence)).toBe(true);
    const res = await podsScheduled(cp.api, 'drill-checks', 'app=nowhere', 4000);
    expect(res.ok).toBe(false);
    expect(res.ms).toBeGreaterThanOrEqual(4000);
    const unscheduled = res.evidence.unscheduled as { pod: string; reason: string }[];
    expect(unscheduled.map((u) => u.pod).sort()).toEqual([...(dep.evidence.pods as string[])].sort());
    expect(unscheduled[0]?.reason).toMatch(/2 node\(s\) didn't match (node selector|Pod's node affinity)/);
    expect(res.evidence.nodes).toHaveLength(2);
    await cp.api.delete({ kind: 'Deployment', namespace: 'drill-checks', name: 'nowhere' });
  });

  it('apiServesExactly reports objects deleted and created behind the apiserver’s back, in etcd', async () => {
    const gone = { kind: 'ConfigMap', namespace: 'drill-b', name: 'web-config' } as const;
    await deleteV3(cluster.access(), etcdKeyOf(gone));
    // A ConfigMap as an apiserver would read it (JSON is a storage encoding it accepts), with the fixture's label.
    const sneaky: KObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'sneaky',
        namespace: 'drill-c',
        uid: '00000000-0000-4000-8000-000000000001',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { [WORKLOAD_LABEL.key]: WORKLOAD_LABEL.value },
      },
      data: { written: 'straight into etcd' },
    };
    const sneakyRef = { kind: 'ConfigMap', namespace: 'drill-c', name: 'sneaky' } as const;
    await putAllV3(cluster.access(), [{ key: etcdKeyOf(sneakyRef), value: JSON.stringify(sneaky) }]);

    const res = await apiServesExactly(cp.api, cluster.access(), expectation, { boundMs: 2000 });
    expect(res.ok).toBe(false);
    expect(res.evidence.missing).toEqual(['ConfigMap drill-b/web-config']);
    expect(res.evidence.unexpected).toEqual(['ConfigMap drill-c/sneaky']);
    // Both writes reached the watch cache too (etcd's watch carried them).
    expect((await watchCacheAgrees(cp.api, cluster.access(), scope)).ok).toBe(true);

    await cp.api.delete(sneakyRef);
    await createWorkload(
      cp.api,
      before.filter(
        (w) =>
          w.kind === 'ConfigMap' &&
          w.manifest.metadata.name === 'web-config' &&
          w.manifest.metadata.namespace === 'drill-b',
      ),
    );
    expect((await apiServesExactly(cp.api, cluster.access(), expectation)).ok).toBe(true);
  });

  it('noOrphansRecreated reports an absent object that appears, and when', async () => {
    const late = after.filter((w) => w.kind === 'ConfigMap' && w.manifest.metadata.namespace === 'drill-a');
    const watching = noOrphansRecreated(cp.api, refsOf(after), 8000, { everyMs: 200 });
    await sleep(1000);
    await createWorkload(cp.api, late);
    const res = await watching;
    expect(res.ok).toBe(false);
    expect((res.evidence.seen as { object: string }[]).map((s) => s.object)).toEqual([
      'ConfigMap drill-a/late-config',
    ]);
    expect(res.ms).toBeGreaterThanOrEqual(900);
    expect(res.ms).toBeLessThan(8000);
    await cp.api.delete(refsOf(late)[0] as never);
  });

  it('noOrphansRecreated reports what controllers create inside a Namespace that must stay absent', async () => {
    const gone = { kind: 'Namespace', name: 'drill-gone' } as const;
    await createWorkload(cp.api, [{ kind: 'Namespace', manifest: { metadata: { name: gone.name } } }]);
    // The controller-manager's root CA publisher writes this into every namespace; the check stops at
    // its first sighting, so it starts once the ConfigMap is there.
    const rootCa = { kind: 'ConfigMap', namespace: gone.name, name: 'kube-root-ca.crt' } as const;
    for (let i = 0; i < 60 && !(await cp.api.get(rootCa)); i++) await sleep(500);
    const res = await noOrphansRecreated(cp.api, [gone], 8000, { everyMs: 200 });
    expect(res.ok).toBe(false);
    expect((res.evidence.seen as { object: string }[]).map((s) => s.object)).toContain(
      'ConfigMap drill-gone/kube-root-ca.crt (in Namespace drill-gone)',
    );
    await cp.api.delete(gone);
  });

  it('a stopped controller-manager fails deploymentReconciles within its bound; started again, it catches up', async () => {
    await cp.stop('kube-controller-manager');
    expect(cp.running('kube-controller-manager')).toBe(false);
    const res = await deploymentReconciles(cp.api, 'drill-checks', 'stalled', 1, 6000);
    expect(res.ok).toBe(false);
    expect(res.ms).toBeGreaterThanOrEqual(6000);
    expect(res.ms).toBeLessThan(12_000);
    expect(res.evidence.replicaSets).toEqual([]);
    await cp.start('kube-controller-manager');
    const sched = await podsScheduled(cp.api, 'drill-checks', 'app=stalled', 60_000);
    expect(sched.ok, JSON.stringify(sched.evidence)).toBe(true);
  });

  it('leaderElection: a stopped scheduler stops renewing; restarted components get new holders, timed', async () => {
    await cp.stop('kube-scheduler');
    const stale = await leaderElection(cp.api, { boundMs: 3000 });
    expect(stale.ok).toBe(false);
    const leases = stale.evidence.leases as Record<string, { renewing: boolean }>;
    expect(leases['kube-scheduler']?.renewing).toBe(false);
    expect(leases['kube-controller-manager']?.renewing).toBe(true);
    await cp.start('kube-scheduler');

    const previous = await leaseHolders(cp.api);
    await cp.restart(['kube-controller-manager', 'kube-scheduler']);
    const res = await leaderElection(cp.api, { previous, boundMs: 30_000 });
    expect(res.ok, JSON.stringify(res.evidence)).toBe(true);
    const after2 = res.evidence.leases as Record<string, { holder: string; okAfterMs: number }>;
    for (const name of ['kube-controller-manager', 'kube-scheduler'] as const) {
      expect(after2[name]?.holder).not.toBe(previous[name]);
    }
    console.log(
      `new lease holders after a restart: ${after2['kube-controller-manager']?.okAfterMs} / ${after2['kube-scheduler']?.okAfterMs} ms`,
    );
  });

  it('kept running across an etcd outage longer than the renew deadline: leaders exit, the supervisor restarts them', async () => {
    const exitsBefore = cp.exits().length;
    for (const m of cluster.members) await m.kill();
    await sleep(6000);
    // Same data dirs: etcd ignores --initial-cluster-state for a member it already has.
    await Promise.all(cluster.members.map((m) => m.start({ state: 'new' })));
    await cluster.waitHealthy(cluster.members);
    const ms = await cp.waitReady(90_000);
    const exits = cp.exits().slice(exitsBefore);
    console.log(`control plane ready ${ms} ms after etcd came back; exits: ${JSON.stringify(exits)}`);
    expect(exits.map((e) => e.component)).toEqual(
      expect.arrayContaining(['kube-controller-manager', 'kube-scheduler']),
    );
    expect(exits.find((e) => e.component === 'kube-controller-manager')?.reason).toMatch(
      /leaderelection lost/,
    );
    expect(exits.map((e) => e.component)).not.toContain('kube-apiserver');
    expect((await leaderElection(cp.api)).ok).toBe(true);
    expect((await apiServesExactly(cp.api, cluster.access(), expectation)).ok).toBe(true);
  });

  it('a snapshot restore under a running apiserver: the watch cache serves objects etcd no longer has, until the apiserver restarts', async () => {
    const backup = await v3SnapshotAllMembers.backup(cluster, rec);
    await createWorkload(cp.api, after);
    const cached = await watchCacheAgrees(cp.api, cluster.access(), scope, { boundMs: 5000 });
    expect(cached.ok, JSON.stringify(cached.evidence)).toBe(true);

    // The drill's disaster (every member killed, data dirs lost) and restore; the control plane kept running.
    for (const m of cluster.members) await m.kill();
    for (const m of cluster.members) await m.wipe();
    await v3SnapshotAllMembers.restore(backup, cluster, rec);

    const exact = await apiServesExactly(cp.api, cluster.access(), expectation, { boundMs: 30_000 });
    const cache = await watchCacheAgrees(cp.api, cluster.access(), scope, { boundMs: 10_000 });
    console.log(
      `after the restore, apiserver kept running: quorum reads exact after ${exact.ms} ms; stale in the watch cache after ${cache.ms} ms: ${JSON.stringify(cache.evidence.staleInCache)}`,
    );
    expect(exact.ok, JSON.stringify(exact.evidence)).toBe(true);
    expect(cache.ok).toBe(false);
    expect(cache.evidence.staleInCache).toEqual(expect.arrayContaining(['ConfigMap drill-a/late-config']));
    // Observed, not asserted: what the kept-running controllers do on the stale cache (the drill's to judge).
    const orphans = await noOrphansRecreated(cp.api, refsOf(after), 5000);
    const dep = await deploymentReconciles(cp.api, 'drill-checks', 'after-restore', 1, 20_000);
    console.log(
      `kept running: noOrphansRecreated ${orphans.ok} ${JSON.stringify(orphans.evidence.seen)}; deploymentReconciles ${dep.ok} after ${dep.ms} ms; exits ${JSON.stringify(cp.exits().slice(-2))}`,
    );

    await cp.restart(['kube-apiserver']);
    const fresh = await watchCacheAgrees(cp.api, cluster.access(), scope, { boundMs: 10_000 });
    expect(fresh.ok, JSON.stringify(fresh.evidence)).toBe(true);
    const ready = await cp.waitReady(60_000);
    console.log(`apiserver restarted: watch cache agrees after ${fresh.ms} ms, all ready ${ready} ms later`);
  });

  it('a crashed run’s control plane is swept with its etcd by the run folder in the command lines', async () => {
    expect(kubeProcesses(ctx.workDir)).toHaveLength(3);
    // Pretend the owner died: the sweep then takes the whole run.
    await writeFile(join(ctx.workDir, 'owner.json'), JSON.stringify({ pid: 2 ** 22 + 1, startedAt: '' }));
    const swept = await sweepLeftovers(silentLogger, { only: ctx.runId });
    expect(swept.processes).toBeGreaterThanOrEqual(6);
    expect(kubeProcesses(ctx.workDir)).toEqual([]);
    expect(drillProcesses(ctx.workDir)).toEqual([]);
  });
});
