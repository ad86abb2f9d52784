import { join } from 'node:path';
import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { observeInto } from '../engine/phase-bodies.ts';
import { MODERN_K8S_EXTENSION } from '../k8s/check-names.ts';
import type { ModernK8sDist } from '../k8s/modern-dist.ts';
import { ModernStage } from '../k8s/modern-stage.ts';
import { modernKey } from '../k8s/modern-workload.ts';

/**
 * Kubernetes 1.36's storage layer (apiextensions-apiserver) over the drilled etcd: it seeds custom
 * objects through its API, writes after the backup, lives through the disaster with an informer
 * attached, and is judged after the restore, kept running and then restarted.
 */
export function k8sModernExtension(dist: ModernK8sDist, extraArgs: readonly string[] = []): Extension {
  let stage: ModernStage | undefined;
  const need = () => {
    if (!stage) throw new Error('the Kubernetes 1.36 apiserver was not started');
    return stage;
  };
  return {
    name: MODERN_K8S_EXTENSION,
    // The custom objects (and the harness's markers); CRDs and the apiserver's own keys left out.
    keep: modernKey,
    // Raw writes would change or delete custom objects behind the apiserver (values it cannot decode).
    rawV3Writes: false,
    async seedV3(d) {
      return { k8sObjects: await need().seed(clusterOf(d).access(), d.rec) };
    },
    hooks: {
      async start(d) {
        const dir = join(d.run.workDir, `${d.scenario.id}-${d.dist.version}-k8s-modern`);
        const s = await d.rec.step(`start Kubernetes ${dist.version} apiserver over the cluster`, () =>
          ModernStage.start(clusterOf(d), dist, d.run, dir, extraArgs),
        );
        stage = d.scope.use(s);
        const logs = d.options.logsDir;
        if (logs) d.scope.defer(() => s.collectLogs(logs)); // before the apiserver's disposal
      },
      async 'after-backup'(d) {
        const s = need();
        const ms = await d.rec.step(
          'create custom objects after the backup (a restore must not bring them back), in the informers',
          () => s.afterBackup(clusterOf(d).access()),
        );
        d.rec.note('k8sLateSettleMs', ms);
      },
      async restored(d) {
        const s = need();
        const a = clusterOf(d).access();
        await observeInto(
          d,
          'k8sModern',
          'Kubernetes 1.36: checks with the apiserver kept running, then restarted',
          async () => ({
            version: s.dist.version,
            origin: s.dist.origin,
            startMs: s.startMs,
            ...(await s.assess(a, { signal: d.run.signal })),
          }),
        );
      },
    },
  };
}
