import type { Cluster } from '../cluster/types.ts';
import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { HarnessError } from '../errors.ts';
import { KIND_EXTENSION } from '../k8s/check-names.ts';
import { K8sStage, workloadKey } from '../k8s/stage.ts';
import type { KindCluster } from '../kind/cluster.ts';
import { openKindControlPlane } from '../kind/controlplane.ts';
import type { KindPrepared } from '../kind/prepare.ts';
import { kubeStageExtension } from './kube-stage.ts';

/** The kind cluster under a drill's etcd cluster (the kind provider's clusters carry it). */
export interface OnKind {
  readonly kind: KindCluster;
  readonly prepared: KindPrepared;
}

function kindOf(c: Cluster): OnKind {
  const k = c as Cluster & Partial<OnKind>;
  if (!k.kind || !k.prepared) throw new HarnessError('STRATEGY', 'this cluster is not a kind cluster');
  return { kind: k.kind, prepared: k.prepared };
}

/**
 * A drill on kind runs alongside kind's own Kubernetes, which shares the etcd: the workload goes in
 * through its API (raw objects under /registry would be acted on by its controllers), the data
 * checks compare the workload's objects, and after the restore it is judged with kubelets and
 * control-plane pods kept running, then restarted (the write-up's fix).
 */
export function kindExtension(): Extension {
  return kubeStageExtension({
    name: KIND_EXTENSION,
    what: 'Kubernetes of the kind cluster',
    keep: workloadKey,
    dirSuffix: 'kind',
    startStep: "Kubernetes of the kind cluster: admin access, the workload's image on every node, ready",
    start: async (d) => {
      const { kind, prepared } = kindOf(clusterOf(d));
      const cp = await openKindControlPlane(kind, d.run.signal);
      await cp.waitReady();
      return K8sStage.over(cp, prepared.k8s, d.run.signal);
    },
    afterBackupStep:
      'create Kubernetes objects after the backup (a restore must not bring them back), reconciled',
    observation: 'k8s',
    assessStep:
      'Kubernetes on kind: checks with kubelets and control-plane pods kept running, then restarted',
    assess: async (s, access, d) => ({
      version: s.dist.version,
      origin: `${s.dist.origin}; kind ${kindOf(clusterOf(d)).prepared.kind.version}`,
      startMs: s.cp.startMs,
      leaderElection: s.cp.leaderElection,
      ...(await s.assess(access, { signal: d.run.signal })),
    }),
  });
}
