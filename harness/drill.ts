import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ContainerRuntimeClient } from 'testcontainers';
import { DEFAULT_REPORTERS, writeReport } from '../reports/write.ts';
import { containerProvider } from './cluster/container.ts';
import { DOCKER_FIX, dockerClient, requireDocker, sweepContainers } from './cluster/docker.ts';
import { checkImage } from './cluster/image.ts';
import { sweepNetns } from './cluster/netns.ts';
import { assertPortsFree } from './cluster/ports.ts';
import { processProvider } from './cluster/process.ts';
import type { Cluster, Provider } from './cluster/types.ts';
import { newRunId, type RunContext } from './context.ts';
import type { Extension } from './engine/extension.ts';
import { runScenario } from './engine/run.ts';
import { HarnessError } from './errors.ts';
import { type EtcdDist, type EtcdSource, resolveEtcd } from './etcd/dist.ts';
import { DEFAULT_ETCD_VERSION } from './etcd/versions.ts';
import { k8sExtension } from './extensions/k8s.ts';
import { probesExtension } from './extensions/probes.ts';
import { checkWritableDir } from './input.ts';
import { resolveK8s } from './k8s/dist.ts';
import { createLogger, type Logger } from './log.ts';
import {
  exitCodeFor,
  RESULTS_SCHEMA_VERSION,
  type Require,
  type RunResult,
  type ScenarioResult,
} from './result.ts';
import { withRunbook } from './runbook/drill.ts';
import { type Catalogue, loadScenarios, type Scenario, selectScenarios } from './scenario.ts';
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
  readonly etcdBinDir?: string;
  readonly etcdSource?: EtcdSource;
  /** 'auto' (containers when Docker answers), 'process' or 'container'. @default 'auto' */
  readonly provider?: string;
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
  /** Run a real Kubernetes control plane over each cluster (binaries built or reused, or k8sBinDir). */
  readonly k8s?: boolean;
  /** Kubernetes binaries the user already has (kube-apiserver, kube-controller-manager, kube-scheduler). */
  readonly k8sBinDir?: string;
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

export const PROVIDER_NAMES = ['auto', 'process', 'container'] as const;

export function toolVersion(): string {
  const pkg = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * auto: containers when a Docker engine answers, processes otherwise, saying which and why.
 * Returns the Docker client too when there is one, for sweeping container leftovers.
 */
async function chooseProvider(
  name: string,
  image: string | undefined,
): Promise<{ provider: Provider; why: string; docker?: ContainerRuntimeClient }> {
  if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
    throw new HarnessError('BAD_INPUT', `unknown provider "${name}": use ${PROVIDER_NAMES.join(', ')}`);
  }
  if (image && name === 'process') {
    throw new HarnessError(
      'BAD_INPUT',
      '--image needs the container provider: drop --provider process or --image',
    );
  }
  if (name === 'process') return { provider: processProvider, why: 'asked for' };
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
  return {
    provider: containerProvider(image ? { image } : {}),
    why: name === 'auto' ? 'auto: a Docker engine answers' : 'asked for',
    docker,
  };
}

/**
 * A whole drill as the CLI runs it: validate input (nothing is created before that passes), sweep
 * leftovers of crashed runs, run each scenario, remove what the run made, write the report.
 */
export async function runDrill(o: DrillOptions): Promise<DrillOutcome> {
  const signal = o.signal ?? new AbortController().signal;
  checkWritableDir(o.out ?? join('reports', 'out'), '--out');
  checkWritableDir(workRoot(), 'ETCD_DRILL_WORK');
  const rb = o.runbook ? withRunbook(o) : undefined;
  const all = await loadScenarios([...(o.strategies ?? STRATEGIES).keys()], o.scenarioDir);
  const scenarios = rb ? rb.scenarios(all) : selectScenarios(all, o.scenarios, o.catalogue);
  const strategies = rb?.strategies(o.strategies ?? STRATEGIES) ?? o.strategies;
  const { provider, why, docker } = await chooseProvider(o.provider ?? 'auto', o.image);
  rb?.checkProvider(provider.name);
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
  // Resolve every version (and check a given image) before anything is created: bad input fails at once.
  const early = createLogger({ quiet: o.quiet ?? false });
  const cache = new Map<string, EtcdDist>();
  const jobs: { scenario: Scenario; dist: EtcdDist }[] = [];
  for (const s of scenarios) {
    for (const want of o.versions ?? [undefined]) {
      const version = o.etcdBinDir
        ? o.etcd
        : (want ?? o.etcd ?? rb?.version ?? s.etcd ?? DEFAULT_ETCD_VERSION);
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
      jobs.push({ scenario: s, dist: d });
    }
  }
  if (o.image) for (const d of cache.values()) await checkImage(o.image, d.version);
  if (o.k8sBinDir && !o.k8s) {
    throw new HarnessError(
      'BAD_INPUT',
      '--k8s-bin-dir only means something with --k8s: add --k8s, or drop it',
    );
  }
  // A first build takes minutes (ci/setup.sh does it once per machine); a missing binary fails here.
  const k8s = o.k8s
    ? await resolveK8s({ ...(o.k8sBinDir ? { binDir: o.k8sBinDir } : {}), log: early, signal })
    : undefined;

  const runId = newRunId();
  const reportDir = resolve(o.out ?? join('reports', 'out'), runId);
  const startedAt = new Date();
  const log = createLogger({
    file: join(reportDir, 'harness.log'),
    quiet: o.quiet ?? false,
    startedAt: startedAt.getTime(),
  });
  log.progress(`run ${runId}: ${jobs.length} drill(s) on provider ${provider.name}; report in ${reportDir}`);
  log.progress(`provider ${provider.name} (${why})`);
  for (const d of cache.values())
    log.progress(`etcd ${d.version}: ${d.origin}${d.cached ? ' (cached)' : ''}`);
  if (k8s) log.progress(`Kubernetes ${k8s.version}: ${k8s.origin}${k8s.cached ? ' (cached)' : ''}`);

  // Containers first: the sweep reads the run folders (kept or not) that sweepLeftovers removes.
  if (docker) await sweepContainers(docker, log);
  await sweepLeftovers(log);
  // After the processes: a namespace lives on while a process runs in it.
  await sweepNetns(log);
  const workDir = await createRunDir(runId);
  const ctx: RunContext = { runId, workDir, log, signal };
  const results: ScenarioResult[] = [];
  try {
    for (const { scenario: s, dist } of jobs) {
      if (signal.aborted) break;
      // Fresh per drill: an extension holds the state of the drill it runs alongside.
      const extensions: Extension[] = [
        ...(o.probes === false
          ? []
          : [probesExtension(o.probeBoundMs !== undefined ? { boundMs: o.probeBoundMs } : {})]),
        ...(k8s ? [k8sExtension(k8s)] : []),
      ];
      results.push(
        await runScenario({
          scenario: s,
          dist,
          provider,
          ctx,
          extensions,
          logsDir: join(reportDir, s.id, ...(o.versions ? [dist.version] : []), 'logs'),
          ...(strategies ? { strategies } : {}),
          ...(o.objects !== undefined ? { objects: o.objects } : {}),
          ...(o.basePort !== undefined ? { basePort: o.basePort } : {}),
          ...(o.keep ? { keep: true } : {}),
          ...(o.tls ? { tls: true } : {}),
          ...(o.afterRestore ? { afterRestore: o.afterRestore } : {}),
          ...(o.beforeDisaster ? { beforeDisaster: o.beforeDisaster } : {}),
        }),
      );
    }
  } finally {
    if (results.some((r) => r.kept)) await markKept(workDir);
    else await removeRunDir(workDir);
  }
  // A runbook's default bar: safe against its claim.
  const require = o.require ?? (rb ? 'safe' : 'expected');
  const run: RunResult = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId,
    tool: { name: 'etcd-drill', version: toolVersion() },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    require,
    // 130 as a shell reports SIGINT: the run did not finish, whatever its verdicts so far.
    exitCode: signal.aborted ? 130 : exitCodeFor(results, require),
    results,
  };
  const { summary, failures } = await writeReport(run, reportDir, o.reporters ?? DEFAULT_REPORTERS);
  for (const f of failures) log.warn(`reporter ${f.reporter} failed (results.json is intact): ${f.error}`);
  return { run, reportDir, workDir, summary, reporterFailures: failures };
}

export type { Logger };
