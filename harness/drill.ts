import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ContainerRuntimeClient } from 'testcontainers';
import { DEFAULT_REPORTERS, writeReport } from '../reports/write.ts';
import { DOCKER_FIX, dockerClient, requireDocker, sweepContainers } from './cluster/docker.ts';
import { checkImage } from './cluster/image.ts';
import { sweepNetns } from './cluster/netns.ts';
import { assertPortsFree } from './cluster/ports.ts';
import { processProvider } from './cluster/process.ts';
import { type Cluster, PROVIDER_NAMES, type Provider } from './cluster/types.ts';
import { newRunId, type RunContext } from './context.ts';
import type { Extension } from './engine/extension.ts';
import { runScenario } from './engine/run.ts';
import { HarnessError } from './errors.ts';
import { type EtcdDist, type EtcdSource, resolveEtcd } from './etcd/dist.ts';
import { preflightFlags } from './etcd/preflight.ts';
import { DEFAULT_ETCD_VERSION } from './etcd/versions.ts';
import { probesExtension } from './extensions/probes.ts';
import { checkWritableDir } from './input.ts';
import { checkK8sFlags, K8S_EXTENSION, type K8sVersion, k8sVersionOf } from './k8s/choice.ts';
import { resolveK8s } from './k8s/dist.ts';
import type { KindProviderOptions } from './kind/provider.ts';
import { createLogger, type Logger } from './log.ts';
import { pairKey, parsePair, type VersionPair } from './pairs.ts';
import { toolVersion } from './paths.ts';
import { createProgress, type DrillProgress, wantsLiveLine } from './progress.ts';
import {
  RESULTS_SCHEMA_VERSION,
  type Require,
  type RunResult,
  runExitCode,
  type ScenarioResult,
  type ShardInfo,
} from './result.ts';
import { withRunbook } from './runbook/drill.ts';
import { type Catalogue, loadScenarios, type Scenario, selectScenarios } from './scenario.ts';
import { assignShards, cellId, durationsOf, matrixIdentity, type ShardSpec } from './shard.ts';
import { STRATEGIES } from './strategies/index.ts';
import type { Strategy } from './strategies/types.ts';
import { createRunDir, markKept, removeRunDir, sweepLeftovers, workRoot } from './workdir.ts';

export interface DrillOptions {
  /** Scenario ids; every scenario of the catalogue when empty. */
  readonly scenarios?: readonly string[];
  /** Without ids: which scenario set runs. @default 'main' */
  readonly catalogue?: Catalogue | 'all';
  /** Overrides each scenario's etcd version. */
  readonly etcd?: string;
  /** A version matrix: every scenario on each of these versions (overrides etcd). */
  readonly versions?: readonly string[];
  /** Cross-version: restore with this version's tools and run the restored cluster on it (run --restore-etcd). */
  readonly restoreEtcd?: string;
  /** A cross-version matrix: every scenario on each pair, backup on A, restore on B (overrides versions). */
  readonly pairs?: readonly VersionPair[];
  readonly etcdBinDir?: string;
  readonly etcdSource?: EtcdSource;
  /** 'auto' (containers when Docker answers), 'process' or 'container'. @default 'auto' */
  readonly provider?: string;
  /** With the kind provider: worker nodes beside the 3 control-plane nodes. @default 0 */
  readonly kindWorkers?: number;
  /** With the container provider: run this image instead of building one (its etcd version is checked). */
  readonly image?: string;
  readonly objects?: number;
  readonly basePort?: number;
  /** HTTPS with client certificates, for every scenario. */
  readonly tls?: boolean;
  readonly keep?: boolean;
  /** Report folder root; the run writes <out>/<runId>/. @default reports/out */
  readonly out?: string;
  readonly quiet?: boolean;
  /**
   * Run Kubernetes over each cluster (binaries built or reused, or the bin dirs): true or '1.20' is a
   * real 1.20 control plane, '1.36' (alias 'modern') the 1.36 apiserver storage layer.
   */
  readonly k8s?: boolean | string;
  /** Kubernetes binaries the user already has (kube-apiserver, kube-controller-manager, kube-scheduler). */
  readonly k8sBinDir?: string;
  /** Shortened leader election (4/3/1 s) instead of the components' shipped 15/10/2 s. */
  readonly k8sShortLeases?: boolean;
  /** With k8s '1.36': the user's own apiextensions-apiserver build. */
  readonly k8sModernBinDir?: string;
  /** Run the component probes across each disaster. @default true */
  readonly probes?: boolean;
  /** Test hook: how long each probe gets to agree with etcd (default RECOVERY_BOUND_MS). */
  readonly probeBoundMs?: number;
  readonly signal?: AbortSignal;
  /** What the exit code follows: regression verdicts ('expected', default) or procedure grades ('safe'). */
  readonly require?: Require;
  /** Report formats after results.json. @default ['md'] */
  readonly reporters?: readonly string[];
  /** Test seam: read scenario files from this folder. @default scenarios/ */
  readonly scenarioDir?: string;
  /** Test seam: the strategy registry. */
  readonly strategies?: ReadonlyMap<string, Strategy>;
  /** Drill this runbook folder (backup.sh, restore.sh, runbook.yaml) in place of the scenarios' strategies. */
  readonly runbook?: string;
  /** How long a runbook script may run before it is killed as hung. @default RUNBOOK_TIMEOUT_MS */
  readonly runbookTimeoutMs?: number;
  /** Test hook, see RunScenarioOptions.afterRestore. */
  readonly afterRestore?: (cluster: Cluster) => Promise<void>;
  /** Test hook, see RunScenarioOptions.beforeDisaster. */
  readonly beforeDisaster?: (cluster: Cluster, backupFiles: readonly string[]) => Promise<void>;
  /** Run only this slice of the cells (matrix --shard i/n). */
  readonly shard?: ShardSpec;
  /** A results.json whose drill durations balance the shards and seed the ETA (--durations). */
  readonly durations?: string;
  /** Shared by every shard of one run (--run-label): merge refuses shards with another. */
  readonly runLabel?: string;
  /** Drills at once. @default 1 */
  readonly parallel?: number;
}

export interface DrillOutcome {
  readonly run: RunResult;
  readonly reportDir: string;
  /** The run's temporary folder (gone after the run unless a cluster was kept). */
  readonly workDir: string;
  readonly summary: string;
  /** Reporters that threw: reported, never losing results.json or the other reports. */
  readonly reporterFailures: readonly { reporter: string; error: string }[];
}

/**
 * auto: containers when a Docker engine answers, processes otherwise, saying which and why.
 * Returns the Docker client too when there is one, for sweeping container leftovers.
 */
export async function chooseProvider(
  name: string,
  image: string | undefined,
  kind: KindProviderOptions = {},
): Promise<{ provider: Provider; why: string; docker?: ContainerRuntimeClient }> {
  if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
    throw new HarnessError('BAD_INPUT', `unknown provider "${name}": use ${PROVIDER_NAMES.join(', ')}`);
  }
  if (image && (name === 'process' || name === 'kind')) {
    throw new HarnessError(
      'BAD_INPUT',
      `--image needs the container provider: drop --provider ${name} or --image`,
    );
  }
  if (name === 'process') return { provider: processProvider, why: 'asked for' };
  if (name === 'kind') {
    const docker = await requireDocker();
    const { kindProvider } = await import('./kind/provider.ts');
    return { provider: kindProvider(kind), why: 'asked for', docker };
  }
  const docker = name === 'container' ? await requireDocker() : await dockerClient();
  if (!docker) {
    if (image)
      throw new HarnessError(
        'BAD_INPUT',
        `--image needs Docker, and no Docker engine answers: ${DOCKER_FIX}`,
      );
    return {
      provider: processProvider,
      why: 'auto: no Docker engine answers, so members run as local processes',
    };
  }
  const { containerProvider } = await import('./cluster/container.ts');
  return {
    provider: containerProvider(image ? { image } : {}),
    why: name === 'auto' ? 'auto: a Docker engine answers' : 'asked for',
    docker,
  };
}

interface Planned {
  readonly scenario: Scenario;
  /** undefined with --etcd-bin-dir and no --etcd: the binaries say. */
  readonly version: string | undefined;
  /** A cross-version cell: the version that restores. */
  readonly restore?: string | undefined;
  readonly cell: string;
}

/** Every cell the options name, in the order an unsharded run runs them (scenario, then version or pair). */
function planCells(o: DrillOptions, scenarios: readonly Scenario[], runbookVersion?: string): Planned[] {
  if (o.pairs)
    return scenarios.flatMap((s) =>
      (o.pairs ?? []).map((p) => ({
        scenario: s,
        version: p.backup,
        restore: p.restore,
        cell: cellId(s.id, pairKey(p)),
      })),
    );
  return scenarios.flatMap((s) =>
    (o.versions ?? [undefined]).map((want) => {
      const version = o.etcdBinDir
        ? o.etcd
        : (want ?? o.etcd ?? runbookVersion ?? s.etcd ?? DEFAULT_ETCD_VERSION);
      if (o.restoreEtcd && version) {
        const p = parsePair(`${version}:${o.restoreEtcd}`, '--restore-etcd', o.etcdSource);
        return { scenario: s, version, restore: p.restore, cell: cellId(s.id, pairKey(p)) };
      }
      return { scenario: s, version, cell: cellId(s.id, version ?? 'bin-dir') };
    }),
  );
}

/** What the kind provider cannot do yet, refused before anything starts. */
function checkKind(o: DrillOptions, scenarios: readonly Scenario[]): void {
  // etcd and kubelet write as root into host folders mounted in the nodes; only root can remove them.
  if (process.getuid?.() !== 0)
    throw new HarnessError(
      'BAD_INPUT',
      'the kind provider runs as root (its nodes write root-owned files into the run folder): run as root, or use --provider container',
    );
  if (o.k8s)
    throw new HarnessError(
      'BAD_INPUT',
      '--k8s starts a control plane of its own; kind runs its own: drop --k8s',
    );
  const faulty = scenarios.filter((s) => s.faults.length > 0).map((s) => s.id);
  if (faulty.length)
    throw new HarnessError(
      'BAD_INPUT',
      `the kind provider injects no faults yet, and ${faulty.join(', ')} name some: pick scenarios without faults (--scenario), or use --provider container`,
    );
  if (o.kindWorkers !== undefined && (!Number.isInteger(o.kindWorkers) || o.kindWorkers < 0))
    throw new HarnessError('BAD_INPUT', `--kind-workers must be a whole number >= 0, got ${o.kindWorkers}`);
}

/** Cross-version drills need a binary per version on this host: not with --etcd-bin-dir, a runbook or containers. */
function checkCrossVersion(o: DrillOptions, provider: string): void {
  const flag = o.pairs ? '--pairs' : o.restoreEtcd !== undefined ? '--restore-etcd' : undefined;
  if (!flag) return;
  const clash = o.etcdBinDir ? '--etcd-bin-dir' : o.runbook ? '--runbook' : undefined;
  if (clash) throw new HarnessError('BAD_INPUT', `${flag} does not combine with ${clash}: drop one of them`);
  if (provider !== 'process')
    throw new HarnessError(
      'BAD_INPUT',
      `${flag} runs on the process provider only (a container member runs one version's image): add --provider process`,
    );
}

/** --durations: a results.json's drill durations by cell (bad input when it is not one). */
async function recordedDurations(file: string | undefined): Promise<Map<string, number> | undefined> {
  if (file === undefined) return undefined;
  const { readRun } = await import('../reports/regrade.ts');
  return durationsOf((await readRun(file)).results);
}

function checkParallel(o: DrillOptions): number {
  const n = o.parallel ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new HarnessError('BAD_INPUT', `--parallel must be a whole number >= 1, got ${n}`);
  if (n > 1 && (o.basePort !== undefined || o.keep))
    throw new HarnessError(
      'BAD_INPUT',
      `--parallel ${n} cannot share ${o.keep ? '--keep' : '--base-port'} between drills: drop one of them`,
    );
  return n;
}

/** Runs `count` tasks, at most `n` at a time, in index order; waits for all before throwing the first error. */
async function pool(count: number, n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, count) }, worker));
  if (errors.length) throw errors[0];
}

/**
 * A whole drill as the CLI runs it: validate input (nothing is created before that passes), sweep
 * leftovers of crashed runs, run each scenario, remove what the run made, write the report.
 */
export async function runDrill(o: DrillOptions): Promise<DrillOutcome> {
  const signal = o.signal ?? new AbortController().signal;
  checkWritableDir(o.out ?? join('reports', 'out'), '--out');
  checkWritableDir(workRoot(), 'ETCD_DRILL_WORK');
  const parallel = checkParallel(o);
  const k8sVersion = checkK8sFlags(o);
  const rb = o.runbook ? withRunbook(o) : undefined;
  const all = await loadScenarios([...(o.strategies ?? STRATEGIES).keys()], o.scenarioDir);
  const scenarios = rb ? rb.scenarios(all) : selectScenarios(all, o.scenarios, o.catalogue);
  const strategies = rb?.strategies(o.strategies ?? STRATEGIES) ?? o.strategies;
  if (o.provider === 'kind') checkKind(o, scenarios);
  else if (o.kindWorkers !== undefined)
    throw new HarnessError(
      'BAD_INPUT',
      '--kind-workers only means something with --provider kind: add it, or drop --kind-workers',
    );
  const { provider, why, docker } = await chooseProvider(
    o.provider ?? 'auto',
    o.image,
    o.kindWorkers !== undefined ? { workers: o.kindWorkers } : {},
  );
  rb?.checkProvider(provider.name);
  checkCrossVersion(o, provider.name);
  if (o.objects !== undefined && (!Number.isInteger(o.objects) || o.objects < 1)) {
    throw new HarnessError('BAD_INPUT', `--objects must be a whole number >= 1, got ${o.objects}`);
  }
  if (o.etcdBinDir && !existsSync(o.etcdBinDir)) {
    throw new HarnessError(
      'BAD_INPUT',
      `--etcd-bin-dir ${o.etcdBinDir} does not exist: give a folder holding etcd and etcdctl`,
    );
  }

  if (o.basePort !== undefined) {
    const size = Math.max(...scenarios.map((s) => s.cluster.size));
    await assertPortsFree(o.basePort, size * 2);
  }
  // A runbook's default bar: safe against its claim.
  const require = o.require ?? (rb ? 'safe' : 'expected');
  const recorded = await recordedDurations(o.durations);
  const planned = planCells(o, scenarios, rb?.version);
  const shard = o.shard ? shardInfo(o, planned, recorded, provider.name, require) : undefined;
  const mine = shard ? planned.filter((p) => shard.cells.includes(p.cell)) : planned;
  // Resolve every version (and check a given image) before anything is created: bad input fails at once.
  const early = createLogger({ quiet: o.quiet ?? false });
  const cache = new Map<string, EtcdDist>();
  const jobs: Job[] = [];
  const dist = async (version: string | undefined): Promise<EtcdDist> => {
    const key = `${o.etcdBinDir ?? ''}|${version ?? ''}`;
    let d = cache.get(key);
    if (!d) {
      d = await resolveEtcd({
        ...(version ? { version } : {}),
        ...(o.etcdBinDir ? { binDir: o.etcdBinDir } : {}),
        ...(o.etcdSource ? { source: o.etcdSource } : {}),
        log: early,
        signal,
      });
      cache.set(key, d);
    }
    return d;
  };
  for (const { scenario: s, version, restore, cell } of mine) {
    const restoreDist = restore ? await dist(restore) : undefined;
    jobs.push({ scenario: s, dist: await dist(version), cell, ...(restoreDist ? { restoreDist } : {}) });
  }
  if (o.image) for (const d of cache.values()) await checkImage(o.image, d.version);
  // Every flag a drill always passes, asked of each version's binaries: a missing one is bad input.
  for (const d of cache.values())
    await preflightFlags(d, { tls: jobs.some((j) => j.dist === d && (o.tls ?? j.scenario.cluster.tls)) });
  // A first build takes minutes (ci/setup.sh does it once per machine); a missing binary fails here.
  const k8s = await k8sExtensionFor(o, k8sVersion, early, signal);

  const runId = newRunId();
  const reportDir = resolve(o.out ?? join('reports', 'out'), runId);
  const startedAt = new Date();
  const progress = createProgress({
    cells: jobs.map((j) => j.cell),
    parallel,
    stream: process.stderr,
    live: wantsLiveLine(process.stderr, process.env, o.quiet),
    ...(recorded ? { recorded } : {}),
  });
  const log = createLogger({
    file: join(reportDir, 'harness.log'),
    quiet: o.quiet ?? false,
    startedAt: startedAt.getTime(),
    out: progress.out,
  });
  log.progress(`run ${runId}: ${jobs.length} drill(s) on provider ${provider.name}; report in ${reportDir}`);
  if (shard)
    log.progress(
      `shard ${shard.index}/${shard.total} (${shard.assignment}): ${shard.cells.length} of ${shard.of.length} cell(s)`,
    );
  if (parallel > 1) log.progress(`${parallel} drills at once; lines are prefixed by cell`);
  log.progress(`provider ${provider.name} (${why})`);
  for (const d of cache.values())
    log.progress(`etcd ${d.version}: ${d.origin}${d.cached ? ' (cached)' : ''}`);
  if (k8s) log.progress(k8s.line);

  // Containers first: the sweep reads the run folders (kept or not) that sweepLeftovers removes.
  // kind clusters before them: their nodes hold our labelled network, which the container sweep removes.
  if (docker) await (await import('./kind/cluster.ts')).sweepKindLeftovers(log);
  if (docker) await sweepContainers(docker, log);
  await sweepLeftovers(log);
  // After the processes: a namespace lives on while a process runs in it.
  await sweepNetns(log);
  const workDir = await createRunDir(runId);
  const ctx: RunContext = { runId, workDir, log, signal };
  const slots: (ScenarioResult | undefined)[] = new Array(jobs.length);
  try {
    await pool(jobs.length, parallel, async (i) => {
      const job = jobs[i];
      if (!job || signal.aborted) return;
      slots[i] = await runJob(o, job, {
        ctx,
        provider,
        k8sExtension: k8s?.make,
        reportDir,
        progress,
        parallel,
        strategies,
      });
    });
  } finally {
    progress.close();
    if (slots.some((r) => r?.kept)) await markKept(workDir);
    else await removeRunDir(workDir);
  }
  // In job order whatever order they finished in, as a serial run lists them.
  const results = slots.filter((r): r is ScenarioResult => r !== undefined);
  const run: RunResult = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId,
    tool: { name: 'etcd-drill', version: toolVersion() },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    require,
    exitCode: runExitCode(results, require, { interrupted: signal.aborted }),
    results,
    ...(shard ? { shard } : {}),
  };
  const { summary, failures } = await writeReport(run, reportDir, o.reporters ?? DEFAULT_REPORTERS);
  for (const f of failures) log.warn(`reporter ${f.reporter} failed (results.json is intact): ${f.error}`);
  return { run, reportDir, workDir, summary, reporterFailures: failures };
}

/** This shard's slice of the planned cells, and what the shards of this matrix share. */
function shardInfo(
  o: DrillOptions,
  planned: readonly Planned[],
  recorded: ReadonlyMap<string, number> | undefined,
  provider: string,
  require: Require,
): ShardInfo {
  const spec = o.shard as ShardSpec;
  const of = planned.map((p) => p.cell);
  const { shards, assignment } = assignShards(of, spec.total, recorded);
  const slice = new Set(shards[spec.index - 1] ?? []);
  const k8s = k8sVersionOf(o.k8s);
  const extensions = [...(o.probes === false ? [] : ['probes']), ...(k8s ? [K8S_EXTENSION[k8s]] : [])];
  return {
    index: spec.index,
    total: spec.total,
    of,
    cells: of.filter((c) => slice.has(c)),
    assignment,
    matrix: matrixIdentity({
      cells: of,
      provider,
      tls: o.tls ?? false,
      extensions,
      require,
      ...(o.runLabel ? { label: o.runLabel } : {}),
    }),
    ...(o.runLabel ? { label: o.runLabel } : {}),
  };
}

/** The binaries and progress line behind a --k8s extension, and a maker of a fresh one per drill. */
interface K8sRun {
  readonly make: () => Extension;
  readonly line: string;
}

/** Resolves (builds or reuses) --k8s's binaries; the Kubernetes code loads (~0.4 s) only for such runs. */
async function k8sExtensionFor(
  o: DrillOptions,
  version: K8sVersion | undefined,
  log: Logger,
  signal: AbortSignal,
): Promise<K8sRun | undefined> {
  const line = (d: { version: string; origin: string; cached: boolean }, what: string) =>
    `Kubernetes ${d.version} ${what}: ${d.origin}${d.cached ? ' (cached)' : ''}`;
  if (version === '1.36') {
    const { resolveModernK8s } = await import('./k8s/modern-dist.ts');
    const d = await resolveModernK8s({
      ...(o.k8sModernBinDir ? { binDir: o.k8sModernBinDir } : {}),
      log,
      signal,
    });
    const { k8sModernExtension } = await import('./extensions/k8s-modern.ts');
    return { make: () => k8sModernExtension(d), line: line(d, 'storage layer (apiextensions-apiserver)') };
  }
  if (version !== '1.20') return undefined;
  const d = await resolveK8s({ ...(o.k8sBinDir ? { binDir: o.k8sBinDir } : {}), log, signal });
  const short = o.k8sShortLeases ? (await import('./k8s/controlplane.ts')).SHORT_LEADER_ELECTION : undefined;
  const { k8sExtension } = await import('./extensions/k8s.ts');
  return { make: () => k8sExtension(d, short), line: line(d, 'control plane') };
}

interface Job {
  readonly scenario: Scenario;
  readonly dist: EtcdDist;
  readonly restoreDist?: EtcdDist;
  readonly cell: string;
}

/** One drill of the run, with fresh extensions; with --parallel its lines are prefixed by cell. */
async function runJob(
  o: DrillOptions,
  job: Job,
  r: {
    ctx: RunContext;
    provider: Provider;
    k8sExtension: (() => Extension) | undefined;
    strategies: ReadonlyMap<string, Strategy> | undefined;
    reportDir: string;
    progress: DrillProgress;
    parallel: number;
  },
): Promise<ScenarioResult> {
  const { scenario: s, dist, restoreDist, cell } = job;
  const byVersion =
    o.versions || o.pairs ? [restoreDist ? `${dist.version}-to-${restoreDist.version}` : dist.version] : [];
  // Fresh per drill: an extension holds the state of the drill it runs alongside.
  const extensions: Extension[] = [
    ...(o.probes === false
      ? []
      : [probesExtension(o.probeBoundMs !== undefined ? { boundMs: o.probeBoundMs } : {})]),
    ...(r.k8sExtension ? [r.k8sExtension()] : []),
    ...(r.provider.extension ? [r.provider.extension()] : []),
  ];
  r.progress.started(cell);
  const result = await runScenario({
    scenario: s,
    dist,
    ...(restoreDist ? { restoreDist } : {}),
    provider: r.provider,
    ctx: r.ctx,
    extensions,
    logsDir: join(r.reportDir, s.id, ...byVersion, 'logs'),
    onPhase: (phase) => r.progress.phase(cell, phase),
    ...(r.parallel > 1 ? { label: cell } : {}),
    ...(r.strategies ? { strategies: r.strategies } : {}),
    ...(o.objects !== undefined ? { objects: o.objects } : {}),
    ...(o.basePort !== undefined ? { basePort: o.basePort } : {}),
    ...(o.keep ? { keep: true } : {}),
    ...(o.tls ? { tls: true } : {}),
    ...(o.afterRestore ? { afterRestore: o.afterRestore } : {}),
    ...(o.beforeDisaster ? { beforeDisaster: o.beforeDisaster } : {}),
  });
  r.progress.finished(cell, result.durationMs);
  return result;
}

export type { Logger };
