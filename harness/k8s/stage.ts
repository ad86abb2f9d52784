import {
  createWorkload,
  k8sWorkload,
  k8sWorkloadAfterBackup,
  refsOf,
  WORKLOAD_LABEL,
  workloadExpectation,
} from '../../fixtures/k8s-workload.ts';
import type { Cluster } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import { isAbort, oneLine } from '../errors.ts';
import { type Access, dumpV3 } from '../etcd/api.ts';
import type { K8sCheckReport, K8sReport, ModeResult } from '../result.ts';
import type { Recorder } from '../strategies/types.ts';
import { type Answer, answer, poll } from '../util/poll.ts';
import { K8S_CHECKS, K8S_STAGE_CHECKS, type K8sCheckName, type KubeletCheckName } from './check-names.ts';
import {
  apiServesExactly,
  type CheckOutcome,
  deploymentReconciles,
  type LeaseHolders,
  leaderElection,
  leaderElectionAfterRestart,
  leaseHolders,
  noOrphansRecreated,
  parseRegistryKey,
  podsScheduled,
  scopeOf,
  watchCacheAgrees,
} from './checks.ts';
import { type ControlPlane, type LeaderElectionTimes, startControlPlane } from './controlplane.ts';
import type { K8sDist } from './dist.ts';
import {
  type NodeRuntime,
  nodeStatusUpdates,
  type PodRef,
  podRef,
  podsRunning,
  removedPodsStopped,
} from './kubelet-checks.ts';
import { refString } from './objects.ts';

export type { K8sCheckReport, K8sReport, ModeResult };

/** What the stage asks of a control plane: ours as processes, or kind's static pods and kubelets. */
export type StageControlPlane = Pick<
  ControlPlane,
  'api' | 'startMs' | 'leaderElection' | 'waitReady' | 'exits' | 'collectLogs' | typeof Symbol.asyncDispose
> & {
  restart(): Promise<void>;
  /**
   * After the restore, before the kept-running checks: wait (bounded) for the cluster to be ready by
   * itself, touching nothing. kind's kubelets restart static pods that fail their probes; our own
   * processes have no such supervisor over the API, so they skip this.
   */
  selfRecover?(): Promise<{ readyMs?: number; error?: string }>;
  /** What the nodes run (kind): with it, the stage adds the kubelet checks; without (no kubelet), not. */
  runtime?: NodeRuntime;
};

/**
 * One check in one mode. `error` (one line) set: unknown, the check threw (the harness could not look:
 * an API that did not answer, etcd unreadable); `ok` is then false and means nothing. `modeState`
 * reads it as true / false / 'unknown'.
 */

/** Runs a check: a throw becomes an unknown mode result with the error; an abort still ends the run. */
export async function modeResult(fn: () => Promise<CheckOutcome>): Promise<ModeResult> {
  try {
    return await fn();
  } catch (err) {
    if (isAbort(err)) throw err;
    const details = (err as { details?: { evidence?: Record<string, unknown> } }).details;
    return { ok: false, ms: 0, evidence: details?.evidence ?? {}, error: oneLine(err) };
  }
}

export function modeState(m: ModeResult): boolean | 'unknown' {
  return m.error !== undefined ? 'unknown' : m.ok;
}

/**
 * The outcome over both modes. Kept ok: recovered, whatever the restart showed. Kept unknown: unknown,
 * even if the restart helped (we do not know whether it was needed). Kept not ok: the restart decides.
 */
export function modesOutcome(
  kept: ModeResult,
  restarted: ModeResult,
): Pick<K8sCheckReport, 'outcome' | 'error'> {
  if (modeState(kept) === true) return { outcome: 'recovered' };
  const unknownIn = [kept, restarted].find((m) => m.error !== undefined);
  if (unknownIn?.error !== undefined) return { outcome: 'unknown', error: unknownIn.error };
  return { outcome: restarted.ok ? 'needs-restart' : 'not-recovered' };
}

const NOT_RUN: ModeResult = { ok: false, ms: 0, evidence: {}, error: 'the check did not run in this mode' };

/** Each check's two modes and their outcome, in `names`' order; a mode without a result is unknown. */
export function bothModes<N extends string>(
  names: readonly N[],
  kept: Partial<Record<N, ModeResult>>,
  restarted: Partial<Record<N, ModeResult>>,
): (Pick<K8sCheckReport, 'outcome' | 'error' | 'kept' | 'restarted'> & { check: N })[] {
  return names.map((check) => {
    const k = kept[check] ?? NOT_RUN;
    const r = restarted[check] ?? NOT_RUN;
    return { check, ...modesOutcome(k, r), kept: k, restarted: r };
  });
}

/**
 * With a control plane, the key-level checks compare the workload's own objects (and the harness's
 * markers): the apiserver and controllers rewrite leases, events, nodes and endpoints every second.
 */
export function workloadKey(key: string): boolean {
  return key.startsWith('/etcd-drill/') || workloadObjectKey(key);
}

/** The workload's own Kubernetes objects, without the harness's markers (the probes write those all along). */
function workloadObjectKey(key: string): boolean {
  const ref = parseRegistryKey(key);
  return ref !== undefined && WORKLOAD_REFS.has(refString(ref));
}

/**
 * The objects the workload creates, before and after the backup; not what controllers add to their
 * namespaces (root CA ConfigMaps, service account tokens), which a kept-running controller may write
 * again after the restore: those are no-orphans' to judge, not the restore's.
 */
const WORKLOAD_REFS: ReadonlySet<string> = new Set(
  [...refsOf(k8sWorkload()), ...refsOf(k8sWorkloadAfterBackup())].map(refString),
);

const CHECK_NS = 'drill-checks';

/** Per namespace, the replicas of the backup's Deployments: the pods that must run after the restore. */
const BACKUP_REPLICAS: Readonly<Record<string, number>> = k8sWorkload()
  .filter((w) => w.kind === 'Deployment')
  .reduce<Record<string, number>>((acc, d) => {
    const ns = String(d.manifest.metadata?.namespace);
    acc[ns] = (acc[ns] ?? 0) + Number(d.manifest.spec?.replicas ?? 0);
    return acc;
  }, {});
const BOUND = {
  api: 10_000,
  cache: 10_000,
  orphans: 10_000,
  reconcile: 20_000,
  schedule: 15_000,
  /** kubelet's pod sync and housekeeping run every 1–2 s, its node Lease every 10 s. */
  kubelet: 45_000,
};

/** A new holder may wait out its predecessor's whole lease, then a retry or two. */
export function leaderBoundMs(le: LeaderElectionTimes): number {
  return (le.leaseSeconds + 3 * le.retrySeconds + 5) * 1000;
}

/**
 * A real Kubernetes control plane over the drill's etcd (issue 6): it seeds the workload through the
 * API, writes after the backup, lives through the disaster, and is judged after the restore twice:
 * kept running, then restarted (the write-up's fix).
 */
export class K8sStage implements AsyncDisposable {
  private constructor(
    readonly cp: StageControlPlane,
    readonly dist: K8sDist,
    /** The run's abort signal, used where a call does not pass its own. */
    readonly signal: AbortSignal,
  ) {}

  /** Pods of the after-backup objects that ran before the disaster: the restore removes their objects. */
  private removed: PodRef[] = [];

  /** `dir`: a folder of its own inside the run's folder (certificates, kubeconfig, logs). */
  static async start(
    cluster: Cluster,
    dist: K8sDist,
    ctx: RunContext,
    dir: string,
    leaderElection?: LeaderElectionTimes,
  ): Promise<K8sStage> {
    const cp = await startControlPlane({
      dist,
      etcd: cluster.access(),
      dir,
      ctx,
      ...(leaderElection ? { leaderElection } : {}),
    });
    return new K8sStage(cp, dist, ctx.signal);
  }

  /** Over a control plane someone else runs (kind's kubeadm cluster). */
  static over(cp: StageControlPlane, dist: K8sDist, signal: AbortSignal): K8sStage {
    return new K8sStage(cp, dist, signal);
  }

  /** Creates the workload through the API and waits until etcd holds it settled: a clean backup point. */
  async seed(access: Access, rec: Recorder): Promise<number> {
    const objects = k8sWorkload();
    await createWorkload(this.cp.api, objects);
    const namespaces = scopeOf(workloadExpectation(objects)).namespaces;
    for (const ns of namespaces) {
      const r = await podsScheduled(
        this.cp.api,
        ns,
        `${WORKLOAD_LABEL.key}=${WORKLOAD_LABEL.value}`,
        60_000,
        { min: 3, signal: this.signal },
      );
      if (!r.ok)
        throw new Error(`the workload's pods in ${ns} were not scheduled: ${JSON.stringify(r.evidence)}`);
    }
    rec.note('k8sSettleMs', await settle(access, this.signal));
    return objects.length;
  }

  /**
   * Creates objects the restore must remove, and waits until they are reconciled (ReplicaSets and
   * pods created and bound, etcd settled): the components' caches hold them when etcd goes back in
   * time, as they would in a real cluster where the disaster comes later. Returns ms to settle.
   */
  async afterBackup(access: Access): Promise<number> {
    const late = k8sWorkloadAfterBackup();
    await createWorkload(this.cp.api, late);
    for (const d of late.filter((w) => w.kind === 'Deployment')) {
      const { name, namespace } = d.manifest.metadata as { name: string; namespace: string };
      const r = await podsScheduled(this.cp.api, namespace, `app=${name}`, 60_000, {
        min: d.manifest.spec?.replicas as number,
        signal: this.signal,
      });
      if (!r.ok)
        throw new Error(
          `the pods of ${namespace}/${name} (after the backup) were not scheduled: ${JSON.stringify(r.evidence)}`,
        );
    }
    if (this.cp.runtime) this.removed = await this.lateRunning(this.cp.runtime, late);
    return settle(access, this.signal);
  }

  /**
   * The after-backup Deployments' pods whose containers run on their nodes, waited for (bounded): only
   * a pod that ran can be judged stopped; none leaves the check nothing to judge, which it says.
   */
  private async lateRunning(runtime: NodeRuntime, late: ReturnType<typeof k8sWorkloadAfterBackup>) {
    const pods: PodRef[] = [];
    for (const d of late.filter((w) => w.kind === 'Deployment')) {
      const { name, namespace } = d.manifest.metadata as { name: string; namespace: string };
      pods.push(
        ...(await this.cp.api.list('Pod', { namespace, labelSelector: `app=${name}` })).items.map(podRef),
      );
    }
    const running = async () => {
      const on = new Set((await runtime.running()).map((c) => c.uid));
      return pods.filter((p) => on.has(p.uid));
    };
    const r = await poll(running, {
      boundMs: BOUND.kubelet,
      intervalMs: 2000,
      signal: this.signal,
      what: 'waiting for the pods created after the backup to run',
      done: (ran) => ran.length === pods.length,
    });
    return r.last;
  }

  /**
   * Both modes after the restore; each check runs in each mode, with its own bound. `signal` (default:
   * the run's) ends every check at once on Ctrl-C: the assessment then throws.
   */
  async assess(
    access: Access,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Omit<K8sReport, 'startMs' | 'version' | 'origin'>> {
    const signal = opts.signal ?? this.signal;
    const selfRecovery = await this.cp.selfRecover?.();
    const kept = await this.runChecks(access, 'kept', signal);
    const names = this.cp.runtime ? K8S_STAGE_CHECKS : K8S_CHECKS;
    const holders = await answer(() => leaseHolders(this.cp.api), signal);
    const t0 = Date.now();
    await this.cp.restart();
    await this.cp.waitReady(120_000);
    const restartMs = Date.now() - t0;
    const restarted = await this.runChecks(access, 'restarted', signal, { before: holders, restartedAt: t0 });
    return {
      restartMs,
      ...(selfRecovery ? { selfRecovery } : {}),
      checks: bothModes(names, kept, restarted),
      exits: this.cp.exits(),
    };
  }

  private async runChecks(
    access: Access,
    mode: 'kept' | 'restarted',
    signal: AbortSignal,
    restart?: { before: Answer<LeaseHolders>; restartedAt: number },
  ): Promise<Record<K8sCheckName, ModeResult> & Partial<Record<KubeletCheckName, ModeResult>>> {
    const since = Date.now();
    const api = this.cp.api;
    const expected = workloadExpectation(k8sWorkload(), k8sWorkloadAfterBackup());
    const name = `after-restore-${mode}`;
    const o = { signal };
    const guard = modeResult;
    const [api1, cache, orphans, [reconcile, schedule], leader] = await Promise.all([
      guard(() => apiServesExactly(api, access, expected, { ...o, boundMs: BOUND.api })),
      guard(() => watchCacheAgrees(api, access, scopeOf(expected), { ...o, boundMs: BOUND.cache })),
      guard(() =>
        noOrphansRecreated(api, refsOf(k8sWorkloadAfterBackup()), BOUND.orphans, {
          ...o,
          ...(restart ? { leftoverBefore: restart.restartedAt } : {}),
        }),
      ),
      (async () => {
        const rc = await guard(() => deploymentReconciles(api, CHECK_NS, name, 2, BOUND.reconcile, o));
        const sc = await guard(() =>
          podsScheduled(api, CHECK_NS, `app=${name}`, BOUND.schedule, { ...o, min: 2 }),
        );
        return [rc, sc] as const;
      })(),
      guard(() => {
        const boundMs = leaderBoundMs(this.cp.leaderElection);
        return restart
          ? leaderElectionAfterRestart(api, restart.before, { ...o, boundMs })
          : leaderElection(api, { ...o, boundMs });
      }),
    ]);
    return {
      ...(await this.kubeletChecks(since, signal)),
      'api-serves-backup': api1,
      'watch-cache': cache,
      'no-orphans': orphans,
      reconcile,
      schedule,
      'leader-election': leader,
    };
  }

  /** kind only: what the kubelets run, since `since` (the mode's start). */
  private async kubeletChecks(
    since: number,
    signal: AbortSignal,
  ): Promise<Partial<Record<KubeletCheckName, ModeResult>>> {
    const runtime = this.cp.runtime;
    if (!runtime) return {};
    const api = this.cp.api;
    const o = { signal };
    const [running, nodes, removed] = await Promise.all([
      modeResult(() =>
        podsRunning(
          api,
          runtime,
          BACKUP_REPLICAS,
          `${WORKLOAD_LABEL.key}=${WORKLOAD_LABEL.value}`,
          BOUND.kubelet,
          o,
        ),
      ),
      modeResult(() => nodeStatusUpdates(api, since, BOUND.kubelet, o)),
      modeResult(() => removedPodsStopped(runtime, this.removed, BOUND.kubelet, o)),
    ]);
    return { 'pods-running': running, 'node-status': nodes, 'removed-pods-stopped': removed };
  }

  collectLogs(dir: string): Promise<void> {
    return this.cp.collectLogs(dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cp[Symbol.asyncDispose]();
  }
}

/** Until the workload's objects stop changing (controllers finish writing status) for 2 s; returns ms. */
async function settle(access: Access, signal: AbortSignal, boundMs = 30_000): Promise<number> {
  const snap = async () =>
    JSON.stringify([...(await dumpV3(access)).keys].filter(([k]) => workloadObjectKey(k)).sort());
  let previous: string | undefined;
  const r = await poll(
    async () => {
      const now = await snap();
      const same = now === previous;
      previous = now;
      return same;
    },
    {
      boundMs,
      intervalMs: 2000,
      signal,
      what: "waiting for the workload's objects to settle",
      done: (same) => same,
    },
  );
  if (!r.done) throw new Error(`the workload's objects in etcd kept changing for ${boundMs} ms`);
  return r.ms;
}
