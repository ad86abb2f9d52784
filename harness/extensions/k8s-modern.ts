import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { MODERN_K8S_EXTENSION } from '../k8s/check-names.ts';
import type { ModernK8sDist } from '../k8s/modern-dist.ts';
import { ModernStage } from '../k8s/modern-stage.ts';
import { modernKey } from '../k8s/modern-workload.ts';
import { kubeStageExtension } from './kube-stage.ts';

/**
 * Kubernetes 1.36's storage layer (apiextensions-apiserver) over the drilled etcd: it seeds custom
 * objects through its API, writes after the backup, lives through the disaster with an informer
 * attached, and is judged after the restore, kept running and then restarted.
 */
export function k8sModernExtension(dist: ModernK8sDist, extraArgs: readonly string[] = []): Extension {
  return kubeStageExtension({
    name: MODERN_K8S_EXTENSION,
    what: 'Kubernetes 1.36 apiserver',
    // The custom objects (and the harness's markers); CRDs and the apiserver's own keys left out.
    keep: modernKey,
    dirSuffix: 'k8s-modern',
    startStep: `start Kubernetes ${dist.version} apiserver over the cluster`,
    start: (d, dir) => ModernStage.start(clusterOf(d), dist, d.run, dir, extraArgs),
    afterBackupStep:
      'create custom objects after the backup (a restore must not bring them back), in the informers',
    observation: 'k8sModern',
    assessStep: 'Kubernetes 1.36: checks with the apiserver kept running, then restarted',
    assess: async (s, access, d) => ({
      version: s.dist.version,
      origin: s.dist.origin,
      startMs: s.startMs,
      ...(await s.assess(access, { signal: d.run.signal })),
    }),
  });
}
