import { join } from 'node:path';
import { clusterOf, type DrillContext } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { type DeepReadonly, observeInto } from '../engine/phase-bodies.ts';
import type { Access } from '../etcd/api.ts';
import type { Observations } from '../result.ts';
import type { Recorder } from '../strategies/types.ts';

/** What a Kubernetes stage (1.20's control plane, 1.36's storage layer) does for a drill. */
export interface KubeStage extends AsyncDisposable {
  seed(access: Access, rec: Recorder): Promise<number>;
  /** Objects the restore must remove, settled; returns ms to settle. */
  afterBackup(access: Access): Promise<number>;
  collectLogs(dir: string): Promise<void>;
}

export interface KubeStageSpec<S extends KubeStage, K extends 'k8s' | 'k8sModern'> {
  readonly name: string;
  /** For the error when a hook runs before the start: 'Kubernetes control plane'. */
  readonly what: string;
  readonly keep: (key: string) => boolean;
  /** The run folder's suffix for the stage's files. */
  readonly dirSuffix: string;
  readonly startStep: string;
  start(d: DrillContext, dir: string): Promise<S>;
  readonly afterBackupStep: string;
  /** Where the assessment goes in the observations, under which step title. */
  readonly observation: K;
  readonly assessStep: string;
  assess(s: S, access: Access, d: DrillContext): Promise<DeepReadonly<NonNullable<Observations[K]>>>;
}

/**
 * A Kubernetes stage over the drilled etcd: it seeds through its API (no raw v3 writes under it),
 * writes after the backup, lives through the disaster, and is judged after the restore.
 */
export function kubeStageExtension<S extends KubeStage, K extends 'k8s' | 'k8sModern'>(
  spec: KubeStageSpec<S, K>,
): Extension {
  let stage: S | undefined;
  const need = () => {
    if (!stage) throw new Error(`the ${spec.what} was not started`);
    return stage;
  };
  return {
    name: spec.name,
    keep: spec.keep,
    rawV3Writes: false,
    async seedV3(d) {
      return { k8sObjects: await need().seed(clusterOf(d).access(), d.rec) };
    },
    hooks: {
      async start(d) {
        const dir = join(d.run.workDir, `${d.scenario.id}-${d.dist.version}-${spec.dirSuffix}`);
        const s = await d.rec.step(spec.startStep, () => spec.start(d, dir));
        stage = d.scope.use(s);
        const logs = d.options.logsDir;
        if (logs) d.scope.defer(() => s.collectLogs(logs)); // before the stage's disposal
      },
      async 'after-backup'(d) {
        const s = need();
        d.rec.note(
          'k8sLateSettleMs',
          await d.rec.step(spec.afterBackupStep, () => s.afterBackup(clusterOf(d).access())),
        );
      },
      async restored(d) {
        const s = need();
        await observeInto(d, spec.observation, spec.assessStep, () =>
          spec.assess(s, clusterOf(d).access(), d),
        );
      },
    },
  };
}
