import { join } from 'node:path';
import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { observeInto } from '../engine/phase-bodies.ts';
import type { LeaderElectionTimes } from '../k8s/controlplane.ts';
import type { K8sDist } from '../k8s/dist.ts';
import { K8sStage, workloadKey } from '../k8s/stage.ts';

/**
 * A real Kubernetes control plane over the drilled etcd: it seeds the workload through its API,
 * writes after the backup, lives through the disaster, and is judged after the restore twice, kept
 * running and then restarted (the write-up's fix).
 */
export function k8sExtension(dist: K8sDist, leaderElection?: LeaderElectionTimes): Extension {
  let stage: K8sStage | undefined;
  const need = () => {
    if (!stage) throw new Error('the Kubernetes control plane was not started');
    return stage;
  };
  return {
    name: 'k8s',
    // The apiserver and controllers rewrite leases, events and nodes every second: compare the workload's own kinds.
    keep: workloadKey,
    rawV3Writes: false,
    async seedV3(d) {
      const s = need();
      return { k8sObjects: await s.seed(clusterOf(d).access(), d.rec) };
    },
    hooks: {
      async start(d) {
        const cluster = clusterOf(d);
        const dir = join(d.run.workDir, `${d.scenario.id}-${d.dist.version}-k8s`);
        const s = await d.rec.step(`start Kubernetes ${dist.version} control plane over the cluster`, () =>
          K8sStage.start(cluster, dist, d.run, dir, leaderElection),
        );
        stage = d.scope.use(s);
        const logs = d.options.logsDir;
        if (logs) d.scope.defer(() => s.collectLogs(logs)); // before the control plane's disposal
      },
      async 'after-backup'(d) {
        const s = need();
        const ms = await d.rec.step(
          'create Kubernetes objects after the backup (a restore must not bring them back), reconciled',
          () => s.afterBackup(clusterOf(d).access()),
        );
        d.rec.note('k8sLateSettleMs', ms);
      },
      async restored(d) {
        const s = need();
        const a = clusterOf(d).access();
        await observeInto(
          d,
          'k8s',
          'Kubernetes: checks with the components kept running, then restarted',
          async () => ({
            version: s.dist.version,
            origin: s.dist.origin,
            startMs: s.cp.startMs,
            leaderElection: s.cp.leaderElection,
            ...(await s.assess(a, { signal: d.run.signal })),
          }),
        );
      },
    },
  };
}
