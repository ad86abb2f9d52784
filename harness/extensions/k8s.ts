import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import type { LeaderElectionTimes } from '../k8s/controlplane.ts';
import type { K8sDist } from '../k8s/dist.ts';
import { K8sStage, workloadKey } from '../k8s/stage.ts';
import { kubeStageExtension } from './kube-stage.ts';

/**
 * A real Kubernetes control plane over the drilled etcd: it seeds the workload through its API,
 * writes after the backup, lives through the disaster, and is judged after the restore twice, kept
 * running and then restarted (the write-up's fix).
 */
export function k8sExtension(dist: K8sDist, leaderElection?: LeaderElectionTimes): Extension {
  return kubeStageExtension({
    name: 'k8s',
    what: 'Kubernetes control plane',
    // The apiserver and controllers rewrite leases, events and nodes every second: compare the workload's own kinds.
    keep: workloadKey,
    dirSuffix: 'k8s',
    startStep: `start Kubernetes ${dist.version} control plane over the cluster`,
    start: (d, dir) => K8sStage.start(clusterOf(d), dist, d.run, dir, leaderElection),
    afterBackupStep:
      'create Kubernetes objects after the backup (a restore must not bring them back), reconciled',
    observation: 'k8s',
    assessStep: 'Kubernetes: checks with the components kept running, then restarted',
    assess: async (s, access, d) => ({
      version: s.dist.version,
      origin: s.dist.origin,
      startMs: s.cp.startMs,
      leaderElection: s.cp.leaderElection,
      ...(await s.assess(access, { signal: d.run.signal })),
    }),
  });
}
