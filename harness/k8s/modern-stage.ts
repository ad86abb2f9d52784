import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import type { Access } from '../etcd/api.ts';
import type { ModeResult, ModernK8sReport } from '../result.ts';
import type { Recorder } from '../strategies/types.ts';
import { MODERN_K8S_CHECKS, type ModernK8sCheckName } from './check-names.ts';
import { Informer } from './informer.ts';
import { MODERN_APISERVER, type ModernApiserver, startModernApiserver } from './modern-apiserver.ts';
import {
  cacheList,
  informerAgrees,
  listRevision,
  type ModernCheckInput,
  quorumList,
  watchCacheRevision,
  watchList,
  writeVisible,
} from './modern-checks.ts';
import type { ModernK8sDist } from './modern-dist.ts';
import { createLate, createSeed, MODERN_REFS } from './modern-workload.ts';
import { bothModes, modeResult } from './stage.ts';

export type ModernAssessment = Omit<ModernK8sReport, 'version' | 'origin' | 'startMs'>;

/**
 * Kubernetes 1.36's storage layer over the drill's etcd (issue 15): custom objects seeded through the
 * API, an informer that lives through the disaster, judged after the restore twice: the apiserver
 * kept running, then restarted.
 */
export class ModernStage implements AsyncDisposable {
  readonly informers: Informer[];
  private constructor(
    readonly apiserver: ModernApiserver,
    readonly dist: ModernK8sDist,
    readonly signal: AbortSignal,
    private readonly exits: ModernAssessment['exits'][number][],
  ) {
    this.informers = MODERN_REFS.map((ref) => new Informer(apiserver.api, ref));
  }

  /** `dir`: a folder of its own inside the run's folder. `extraArgs`: flags for the apiserver. */
  static async start(
    cluster: Cluster,
    dist: ModernK8sDist,
    ctx: RunContext,
    dir: string,
    extraArgs: readonly string[] = [],
  ): Promise<ModernStage> {
    const exits: ModernAssessment['exits'][number][] = [];
    const apiserver = await startModernApiserver({
      onExit: ({ at, how }) => exits.push({ component: MODERN_APISERVER, at, how, reason: how }),
      dist,
      etcd: cluster.access(),
      dir,
      ctx,
      supervise: true,
      extraArgs,
    });
    return new ModernStage(apiserver, dist, ctx.signal, exits);
  }

  get startMs(): number {
    return this.apiserver.startMs;
  }

  /** CRDs and objects through the API, the informers started, etcd settled: a clean backup point. */
  async seed(access: Access, rec: Recorder): Promise<number> {
    const n = await createSeed(this.apiserver.api);
    for (const i of this.informers) i.start();
    rec.note('k8sSettleMs', await this.settle(access));
    return n;
  }

  /** Objects the restore must remove; waits until the informers hold them. Returns ms to settle. */
  async afterBackup(access: Access): Promise<number> {
    await createLate(this.apiserver.api);
    return this.settle(access);
  }

  /** Until the informers' caches hold exactly etcd's objects (they then hold what a controller would). */
  private async settle(access: Access): Promise<number> {
    const input = {
      api: this.apiserver.api,
      etcd: access,
      refs: MODERN_REFS,
      signal: this.signal,
      boundMs: 30_000,
    };
    const r = await informerAgrees(input, this.informers);
    if (!r.ok)
      throw new Error(`the informers did not come to hold etcd's objects: ${JSON.stringify(r.evidence)}`);
    return r.ms;
  }

  /** Both modes after the restore; `signal` (default: the run's) ends every check at once. */
  async assess(access: Access, opts: { signal?: AbortSignal } = {}): Promise<ModernAssessment> {
    const signal = opts.signal ?? this.signal;
    const kept = await this.runChecks(access, 'kept', signal);
    const t0 = Date.now();
    await this.apiserver.restart();
    const restartMs = Date.now() - t0;
    const restarted = await this.runChecks(access, 'restarted', signal);
    return {
      restartMs,
      checks: bothModes(MODERN_K8S_CHECKS, kept, restarted),
      exits: [...this.exits],
    };
  }

  /** The reads at once; then the write, which would move etcd under them. */
  async runChecks(
    access: Access,
    mode: 'kept' | 'restarted',
    signal: AbortSignal,
  ): Promise<Record<ModernK8sCheckName, ModeResult>> {
    const input: ModernCheckInput = { api: this.apiserver.api, etcd: access, refs: MODERN_REFS, signal };
    const [quorum, cache, revision, wl, informer, metrics] = await Promise.all([
      modeResult(() => quorumList(input)),
      modeResult(() => cacheList(input)),
      modeResult(() => listRevision(input)),
      modeResult(() => watchList(input)),
      modeResult(() => informerAgrees(input, this.informers)),
      modeResult(() => watchCacheRevision(input)),
    ]);
    const write = await modeResult(() => writeVisible(input, `after-restore-${mode}`));
    return {
      'quorum-list': quorum,
      'cache-list': cache,
      'list-revision': revision,
      'write-visible': write,
      'watch-list': wl,
      informer,
      'watch-cache-revision': metrics,
    };
  }

  async collectLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await copyFile(this.apiserver.logFile, join(dir, `${MODERN_APISERVER}.log`)).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.apiserver.stop();
  }
}
