import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { renderSummary } from '../reports/render.ts';
import { defaultReporters, parseReporters, REPORTERS, writeReport } from '../reports/write.ts';
import { dockerAnswers, dockerClient, sweepContainers } from './cluster/docker.ts';
import { sweepNetns } from './cluster/netns.ts';
import { PROVIDER_NAMES } from './cluster/types.ts';
import { placementText } from './engine/fault.ts';
import { HarnessError, isAbort, oneLine } from './errors.ts';
import { defaultCacheDir, resolveEtcd } from './etcd/dist.ts';
import { DEFAULT_ETCD_VERSION, KNOWN_VERSIONS } from './etcd/versions.ts';
import { FAULT_KINDS, faultsFor } from './faults/index.ts';
import { CLUSTER_PROVIDERS } from './faults/kind.ts';
import { checkWritableDir } from './input.ts';
import { createLogger, type Logger } from './log.ts';
import { parsePairs } from './pairs.ts';
import { toolVersion } from './paths.ts';
import type { RunResult } from './result.ts';
import { CATALOGUES, loadScenarios, type Scenario } from './scenario.ts';
import { parseShard } from './shard.ts';
import { STRATEGIES } from './strategies/index.ts';
import { sweepLeftovers } from './workdir.ts';

// The only module that may exit the process: everything below returns results or throws.

/** `90s`, `10m`, `500ms` or plain seconds, in milliseconds. */
function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('a duration like 90s, 10m or 500ms');
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm'];
  if (ms <= 0) throw new InvalidArgumentError('a duration above 0');
  return ms;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
  return n;
};

function interruptible(): AbortController {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      process.stderr.write(`${sig} again: exiting now; the next run sweeps what is left\n`);
      process.exit(130);
    }
    process.stderr.write(`${sig}: stopping and cleaning up (again to exit at once)\n`);
    ac.abort(new HarnessError('ABORTED', `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac;
}

const program = new Command('etcd-drill')
  .description('Proves etcd backup and restore procedures work, on real etcd clusters.')
  .version(toolVersion())
  .showHelpAfterError()
  // Throw instead of exiting (subcommands inherit it): the catch below gives bad input its exit code.
  .exitOverride();

// What run and matrix share.
const k8sOption = () =>
  new Option(
    '--k8s [version]',
    'run Kubernetes over each cluster, judged kept running and restarted: 1.20 (bare --k8s) a real control plane, 1.36 (alias modern) the apiserver storage layer',
  );
const k8sBinDirOption = () =>
  new Option(
    '--k8s-bin-dir <dir>',
    'with --k8s 1.20: kube-apiserver, kube-controller-manager and kube-scheduler from this folder',
  );
const k8sShortLeasesOption = () =>
  new Option(
    '--k8s-short-leases',
    "with --k8s 1.20: leader election 4/3/1 s instead of the components' shipped 15/10/2 s (faster, less like production)",
  );
const k8sModernBinDirOption = () =>
  new Option('--k8s-modern-bin-dir <dir>', 'with --k8s 1.36: apiextensions-apiserver from this folder');
/** What run and matrix pass on from the --k8s options (drill.ts checks they go together). */
const k8sOpts = (opts: Record<string, unknown>) => ({
  k8s: opts.k8s as boolean | string | undefined,
  k8sBinDir: opts.k8sBinDir as string | undefined,
  k8sShortLeases: opts.k8sShortLeases as boolean | undefined,
  k8sModernBinDir: opts.k8sModernBinDir as string | undefined,
});
const noProbesOption = () =>
  new Option(
    '--no-probes',
    'do not run the component probes (informer, leader election, writer, lease holder) across the restore',
  );
const outOption = () =>
  new Option('--out <dir>', 'report folder root (the run writes <dir>/<run-id>/)').default(
    join('reports', 'out'),
  );
/** --reporter json,md,junit or --reporter md --reporter junit; an unknown name is bad input before anything runs. */
const reporterOption = () => {
  const byDefault = defaultReporters();
  return new Option(
    '--reporter <names...>',
    'report formats (json, the results.json, is always written first)',
  )
    .default(byDefault, `${byDefault.join(',')}; json,md,junit,html when CI=true`)
    .argParser((value: string, previous: string[]) => {
      let names: string[];
      try {
        names = parseReporters(value);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
      // Given names replace the default rather than add to it.
      return [...new Set([...(previous === byDefault ? [] : previous), ...names])];
    });
};
const requireOption = () =>
  new Option(
    '--require <what>',
    'what the exit code follows: "expected" (every verdict as recorded) or "safe" (every procedure safe)',
  )
    .choices(['expected', 'safe'])
    .default('expected');

function reportLine(dir: string, reporters: readonly string[]): string {
  const files = ['results.json', ...reporters.flatMap((r) => REPORTERS.get(r)?.file ?? [])];
  return `Report: ${join(dir, files[0] ?? '')}${files.length > 1 ? ` and ${files.slice(1).join(', ')}` : ''}`;
}

/** Writes the reports of a run (results.json too when it goes to a new folder) and prints the summary. */
async function emitReports(run: RunResult, dir: string, reporters: string[], o: { rewriteJson: boolean }) {
  const { summary, failures } = await writeReport(run, dir, reporters, { json: o.rewriteJson });
  for (const f of failures) process.stderr.write(`etcd-drill: reporter ${f.reporter} failed: ${f.error}\n`);
  process.stdout.write(summary);
  if (failures.length) process.exitCode = 2;
}

const catalogueOption = () =>
  new Option(
    '--catalogue <set>',
    'without --scenario: main (scenarios/), chaos (scenarios/chaos/, the fault catalogue), cross (scenarios/cross/, version pairs) or all',
  )
    .choices([...CATALOGUES, 'all'])
    .default('main');

const shardArg = (v: string) => {
  const s = parseShard(v);
  if (!s) throw new InvalidArgumentError('--shard must be i/n with 1 <= i <= n, e.g. 2/3');
  return s;
};

const quietOption = () => new Option('-q, --quiet', 'no progress lines, only the summary').default(false);

// Regression diff (reports/diff.ts): `report diff`, and `run`/`matrix --baseline`.
const rtoThresholdOption = () =>
  new Option(
    '--rto-threshold <pct,time>',
    'a restore time counts as changed when it moved by more than both, e.g. 50%,2s',
  ).default('50%,2s');
const baselineOption = () =>
  new Option(
    '--baseline <results.json>',
    'at the end, diff against this run (diff.md, diff.json); exit 1 on a regression',
  );

/** Before the drill: the baseline must be a results.json and the threshold readable (bad input: exit 2). */
async function readBaseline(opts: { baseline?: string; rtoThreshold: string }) {
  if (!opts.baseline) return undefined;
  const { parseRtoThreshold } = await import('../reports/diff.ts');
  const { readRun } = await import('../reports/regrade.ts');
  return { run: await readRun(opts.baseline), threshold: parseRtoThreshold(opts.rtoThreshold) };
}

/** After the summary: the diff against the baseline; the exit code is raised to 1 by a regression. */
async function reportBaseline(
  baseline: Awaited<ReturnType<typeof readBaseline>>,
  run: RunResult,
  reportDir: string,
): Promise<number> {
  if (!baseline) return run.exitCode;
  const { baselineDiff } = await import('../reports/diff-io.ts');
  const { md, exitCode } = await baselineDiff(baseline.run, run, reportDir, baseline.threshold);
  process.stdout.write(`
${md}
Diff: ${join(reportDir, 'diff.md')} and diff.json
`);
  return exitCode;
}

program
  .command('run')
  .description('run drills: stand up a cluster, seed it, back it up, lose it, restore it, check it')
  .option(
    '-s, --scenario <id...>',
    'scenario ids (default: every scenario of the catalogue; see `etcd-drill list`)',
  )
  .addOption(catalogueOption())
  .option('--etcd <version>', `etcd version (default: the scenario's, else ${DEFAULT_ETCD_VERSION})`)
  // Cross-version drills (issue 16, part 1): back up with --etcd, restore and run with this one.
  .option('--restore-etcd <version>', "restore with this version's tools and run the restored cluster on it")
  .option('--etcd-bin-dir <dir>', 'use etcd/etcdctl/etcdutl from this folder instead of fetching')
  .addOption(
    new Option('--etcd-source <source>', 'where to fetch etcd on a cache miss')
      .choices(['debian', 'github'])
      .default('debian'),
  )
  .addOption(
    new Option('--provider <name>', 'where members run: containers when Docker answers (auto), or say which')
      .choices([...PROVIDER_NAMES])
      .default('auto'),
  )
  .option('--image <ref>', 'container provider: use this etcd image (its version must match --etcd)')
  .option(
    '--kind-workers <n>',
    'kind provider: worker nodes beside the 3 control-plane nodes',
    int('--kind-workers'),
  )
  .option('--objects <n>', 'v3 keys to seed (Kubernetes-shaped)', int('--objects'))
  .option('--base-port <n>', 'use fixed ports from n upward instead of free ones', int('--base-port'))
  .option('--tls', 'HTTPS with client certificates on client and peer URLs, like the write-up', false)
  .option('--keep', 'leave the restored cluster running and print its endpoints', false)
  .addOption(k8sOption())
  .addOption(k8sBinDirOption())
  .addOption(k8sShortLeasesOption())
  .addOption(k8sModernBinDirOption())
  .addOption(noProbesOption())
  .addOption(outOption())
  .addOption(requireOption())
  .addOption(reporterOption())
  .addOption(quietOption())
  .addOption(baselineOption())
  .addOption(rtoThresholdOption())
  // Your own runbook (harness/runbook/): its scripts replace the scenario's strategy.
  .option('--runbook <dir>', 'drill your own backup.sh/restore.sh (and runbook.yaml) from this folder')
  .option(
    '--runbook-timeout <time>',
    'a runbook script running longer is killed and reported hung (e.g. 90s, 10m)',
    parseDuration,
  )
  .action(async (opts, cmd: Command) => {
    const baseline = await readBaseline(opts);
    const ac = interruptible();
    const { runDrill } = await import('./drill.ts');
    const { run, reportDir, summary } = await runDrill({
      runbook: opts.runbook,
      runbookTimeoutMs: opts.runbookTimeout,
      // A runbook's default bar is "safe"; an explicit --require still wins.
      scenarios: opts.scenario,
      catalogue: opts.catalogue,
      etcd: opts.etcd,
      ...(opts.restoreEtcd ? { restoreEtcd: opts.restoreEtcd } : {}),
      etcdBinDir: opts.etcdBinDir,
      etcdSource: opts.etcdSource,
      provider: opts.provider,
      image: opts.image,
      ...(opts.kindWorkers !== undefined ? { kindWorkers: opts.kindWorkers } : {}),
      objects: opts.objects,
      basePort: opts.basePort,
      keep: opts.keep,
      tls: opts.tls,
      probes: opts.probes,
      ...k8sOpts(opts),
      out: opts.out,
      quiet: opts.quiet,
      require: cmd.getOptionValueSource('require') === 'default' && opts.runbook ? undefined : opts.require,
      reporters: opts.reporter,
      signal: ac.signal,
    });
    process.stdout.write(`\n${summary}\n${reportLine(reportDir, opts.reporter)}\n`);
    for (const r of run.results) {
      if (r.kept) {
        process.stdout.write(
          `\nKept ${r.scenarioId} running. Inspect it with:\n  ETCDCTL_API=3 etcdctl --endpoints ${r.kept.endpoints.join(',')} ${[...(r.kept.etcdctlFlags ?? []), ''].join(' ')}member list\n` +
            `Remove it with: npx etcd-drill clean\n`,
        );
      }
    }
    process.exitCode = await reportBaseline(baseline, run, reportDir);
  });

program
  .command('matrix')
  .description('every scenario on every listed etcd version, with a strategies × versions table')
  .option('--etcd <versions>', 'comma-separated versions', KNOWN_VERSIONS.map((k) => k.version).join(','))
  .option('-s, --scenario <id...>', 'scenario ids (default: every scenario of the catalogue)')
  .addOption(catalogueOption())
  .addOption(
    new Option('--provider <name>', 'where members run').choices([...PROVIDER_NAMES]).default('auto'),
  )
  .option('--tls', 'HTTPS with client certificates on client and peer URLs', false)
  .addOption(k8sOption())
  .addOption(k8sBinDirOption())
  .addOption(k8sShortLeasesOption())
  .addOption(k8sModernBinDirOption())
  .addOption(noProbesOption())
  .addOption(outOption())
  .addOption(requireOption())
  .addOption(reporterOption())
  .addOption(quietOption())
  .addOption(baselineOption())
  .addOption(rtoThresholdOption())
  // Sharding and parallel drills (issue 13, part 5).
  .option('--shard <i/n>', 'run only slice i of n of the cells (scenario × version)', shardArg)
  .option('--durations <results.json>', 'balance the shards by the drill durations of this earlier run')
  .option('--run-label <label>', 'name shared by every shard of one run (e.g. the CI pipeline id)')
  .option('--parallel <n>', 'drills at once on this machine', int('--parallel'), 1)
  // Your own runbook across versions, like a strategy (harness/runbook/).
  .option('--runbook <dir>', 'drill your own backup.sh/restore.sh on every listed version')
  .option(
    '--runbook-timeout <time>',
    'a runbook script running longer is killed and reported hung',
    parseDuration,
  )
  // Cross-version drills (issue 16, part 1): columns are pairs instead of versions.
  .option(
    '--pairs <A:B,...>',
    'back up with A, restore with B and run B (replaces --etcd), e.g. 3.4.23:3.5.16',
  )
  .action(async (opts, cmd: Command) => {
    if (opts.pairs !== undefined && cmd.getOptionValueSource('etcd') === 'cli')
      throw new HarnessError('BAD_INPUT', '--pairs and --etcd both name the columns: give one of them');
    const pairs = opts.pairs === undefined ? undefined : parsePairs(String(opts.pairs));
    const baseline = await readBaseline(opts);
    const ac = interruptible();
    const { runDrill } = await import('./drill.ts');
    const { run, reportDir, summary } = await runDrill({
      runbook: opts.runbook,
      runbookTimeoutMs: opts.runbookTimeout,
      ...(pairs ? { pairs } : {}),
      ...(opts.shard ? { shard: opts.shard } : {}),
      ...(opts.durations ? { durations: opts.durations } : {}),
      ...(opts.runLabel ? { runLabel: opts.runLabel } : {}),
      parallel: opts.parallel,
      versions: String(opts.etcd)
        .split(',')
        .map((v: string) => v.trim()),
      scenarios: opts.scenario,
      catalogue: opts.catalogue,
      provider: opts.provider,
      tls: opts.tls,
      probes: opts.probes,
      ...k8sOpts(opts),
      out: opts.out,
      quiet: opts.quiet,
      // A runbook's default bar is "safe", as for run.
      require: cmd.getOptionValueSource('require') === 'default' && opts.runbook ? undefined : opts.require,
      reporters: opts.reporter,
      signal: ac.signal,
    });
    process.stdout.write(`\n${summary}\n${reportLine(reportDir, opts.reporter)}\n`);
    process.exitCode = await reportBaseline(baseline, run, reportDir);
  });

/** " [faults: kill during restore, …]" for a scenario that names any. */
function faultsText(s: Scenario): string {
  if (s.faults.length === 0) return '';
  return ` [faults: ${faultsFor({ faults: s.faults })
    .slice(0, s.faults.length)
    .map((f) => `${f.name} ${placementText(f.at)}`)
    .join(', ')}]`;
}

/** Each fault kind: what it does, where it goes by default, its parameters, which providers take it. */
function faultLines(): string[] {
  const w = Math.max(...FAULT_KINDS.map((k) => k.kind.length)) + 2;
  return FAULT_KINDS.flatMap((k) => {
    const params = Object.keys(k.params);
    const providers = CLUSTER_PROVIDERS.map((p) =>
      k.providers[p] === true ? p : `${p}: not applicable (${k.providers[p]})`,
    );
    return [
      `  ${k.kind.padEnd(w)} ${k.summary}`,
      `  ${''.padEnd(w)} default ${placementText(k.defaultAt)}${params.length ? `; parameters: ${params.join(', ')}` : ''}; ${providers.join(', ')}`,
    ];
  });
}

program
  .command('list')
  .description('list scenarios, strategies, etcd versions and providers')
  .action(async () => {
    const scenarios = await loadScenarios([...STRATEGIES.keys()]);
    const out: string[] = ['Scenarios:'];
    const w =
      Math.max(...scenarios.map((s) => s.id.length), ...[...STRATEGIES.keys()].map((k) => k.length)) + 2;
    for (const s of scenarios.filter((x) => x.catalogue === 'main'))
      out.push(`  ${s.id.padEnd(w)} ${s.title}`);
    out.push('', 'Chaos catalogue (scenarios/chaos/; --catalogue chaos, or by id):');
    for (const s of scenarios.filter((x) => x.catalogue === 'chaos'))
      out.push(`  ${s.id.padEnd(w)} ${s.title}${faultsText(s)}`);
    out.push('', 'Cross-version (scenarios/cross/; need run --restore-etcd or matrix --pairs):');
    for (const s of scenarios.filter((x) => x.catalogue === 'cross'))
      out.push(`  ${s.id.padEnd(w)} ${s.title}${faultsText(s)}`);
    out.push('', 'Strategies:');
    for (const s of STRATEGIES.values()) out.push(`  ${s.name.padEnd(w)} ${s.title}`);
    out.push(
      '',
      "Faults (a scenario's faults[]: { kind, at?, delayMs?, forMs?, ...parameters }):",
      ...faultLines(),
    );
    out.push('', `etcd versions (default ${DEFAULT_ETCD_VERSION}; cache ${defaultCacheDir()}):`);
    for (const k of KNOWN_VERSIONS) {
      const cached = existsSync(join(defaultCacheDir(), 'etcd', k.version, 'origin.json'));
      out.push(
        `  ${k.version.padEnd(8)} Debian ${k.debianSuite.padEnd(9)} ${cached ? 'cached' : 'fetched on first use'}`,
      );
    }
    out.push('  (any other: --etcd-bin-dir <dir>, or --etcd-source github on a machine with internet)');
    const docker = await dockerAnswers(3000);
    out.push(
      '',
      `Providers: process, container (${docker ? 'Docker answers' : 'no Docker engine answers'}); auto picks container when Docker answers; kind when asked for (3 kubeadm control-plane nodes built here: etcd-drill fetch --kind; no faults yet)`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  });

/** Resolves a build (or checks a user's folder) and says what it did: 'kubernetes 1.20.2: <dir> (<origin>; built in 3 min 5 s)'. */
async function fetchBuild(
  name: string,
  binDir: string | undefined,
  resolve: () => Promise<{ version: string; binDir: string; origin: string; cached: boolean }>,
): Promise<void> {
  const started = Date.now();
  const d = await resolve();
  const s = (Date.now() - started) / 1000;
  const t = Math.round(s);
  const took = s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(t / 60)} min ${t % 60} s`;
  const how = binDir ? 'checked' : d.cached ? 'already cached' : 'built';
  process.stdout.write(`${name} ${d.version}: ${d.binDir} (${d.origin}; ${how} in ${took})\n`);
}

program
  .command('fetch')
  .description('fetch and cache etcd versions (and build Kubernetes) now, e.g. in CI before the tests')
  .option('--etcd <versions>', 'comma-separated versions, or "all"', DEFAULT_ETCD_VERSION)
  .addOption(
    new Option('--etcd-source <source>', 'where to fetch from')
      .choices(['debian', 'github'])
      .default('debian'),
  )
  .option(
    '--k8s',
    'build (first time, ~8 min on 2 cores) or reuse kube-apiserver/controller-manager/scheduler',
  )
  .option('--k8s-bin-dir <dir>', 'check the Kubernetes binaries in this folder instead of building')
  .option(
    '--k8s-modern',
    'build (first time, ~6-10 min on one core) or reuse Kubernetes 1.36 apiextensions-apiserver from Debian sid',
  )
  .option(
    '--kind',
    "build (first time, ~15 min on 2 cores) or reuse kind 0.27's node and load balancer images for --etcd (Kubernetes 1.20 with its node binaries, Debian bookworm, containerd 1.6)",
  )
  .option(
    '--k8s-modern-bin-dir <dir>',
    'check the apiextensions-apiserver in this folder instead of building',
  )
  .action(async (opts, cmd: Command) => {
    const ac = interruptible();
    const log = createLogger();
    const k8s = opts.k8s || opts.k8sBinDir !== undefined;
    const modern = opts.k8sModern || opts.k8sModernBinDir !== undefined;
    if (opts.kind) {
      if (!/^\d+\.\d+\.\d+$/.test(String(opts.etcd))) {
        throw new HarnessError(
          'BAD_INPUT',
          `fetch --kind builds a node image for one etcd version, not "${opts.etcd}": pass --etcd 3.5.30, say`,
        );
      }
      const { prepareKind } = await import('./kind/prepare.ts');
      const started = Date.now();
      const p = await prepareKind({
        etcdVersion: String(opts.etcd),
        k8sBinDir: opts.k8sBinDir,
        log,
        signal: ac.signal,
      });
      process.stdout.write(
        `kind ${p.kind.version} (${p.kind.origin}): node image ${p.node} (Kubernetes ${p.k8sVersion}, etcd ${p.etcdVersion}), load balancer ${p.loadBalancer}; ready in ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
      return;
    }
    // `fetch --k8s` (or --k8s-modern) alone is about Kubernetes; etcd too only when --etcd says so.
    if ((!k8s && !modern) || cmd.getOptionValueSource('etcd') === 'cli') {
      const versions =
        opts.etcd === 'all' ? KNOWN_VERSIONS.map((k) => k.version) : String(opts.etcd).split(',');
      for (const v of versions) {
        const d = await resolveEtcd({ version: v.trim(), source: opts.etcdSource, log, signal: ac.signal });
        process.stdout.write(
          `etcd ${d.version}: ${d.binDir} (${d.origin}${d.cached ? ', already cached' : ''})\n`,
        );
      }
    }
    if (k8s) {
      const { resolveK8s } = await import('./k8s/dist.ts');
      await fetchBuild('kubernetes', opts.k8sBinDir, () =>
        resolveK8s({ binDir: opts.k8sBinDir, log, signal: ac.signal }),
      );
    }
    if (modern) {
      const { resolveModernK8s } = await import('./k8s/modern-dist.ts');
      await fetchBuild('apiextensions-apiserver', opts.k8sModernBinDir, () =>
        resolveModernK8s({ binDir: opts.k8sModernBinDir, log, signal: ac.signal }),
      );
    }
  });

program
  .command('clean')
  .description('stop and remove clusters left by --keep or by crashed runs')
  .argument('[run-id]', 'only this run')
  .action(async (runId?: string) => {
    const log = createLogger();
    const only = runId ? { only: runId } : {};
    // Containers first: their sweep reads the run folders that sweepLeftovers removes.
    const docker = await dockerClient(3000);
    // kind clusters first: their nodes hold our labelled network, which the container sweep removes.
    const kinds = docker ? await sweepKind(log, { includeKept: true, ...only }) : 0;
    const c = docker
      ? await sweepContainers(docker, log, { includeKept: true, ...only })
      : { containers: 0, networks: 0 };
    const res = await sweepLeftovers(log, { includeKept: true, ...only });
    const net = await sweepNetns(log, { includeKept: true, ...only });
    process.stdout.write(
      `removed ${res.runs.length} run folder(s), ${res.processes} process(es), ${c.containers} container(s), ${c.networks} network(s), ${net} namespace(s)/link(s)/rule(s), ${kinds} kind cluster(s)\n`,
    );
  });

/** kind clusters of ours left by gone (or kept) runs; the kind code loads only when Docker answers. */
async function sweepKind(log: Logger, opts: { includeKept: boolean; only?: string }): Promise<number> {
  const { sweepKindLeftovers } = await import('./kind/cluster.ts');
  return sweepKindLeftovers(log, opts);
}

program
  .command('verify')
  .description('does this backup restore, and what is in it? (integrity, a throwaway restore, its contents)')
  .argument('<backup>', 'a snapshot.db (etcdctl snapshot save) or a v2 backup dir (etcdctl backup)')
  .option(
    '--etcd <version>',
    `etcd version to restore with (default: the newest of the minor version the file records, else ${DEFAULT_ETCD_VERSION})`,
  )
  .option('--etcd-bin-dir <dir>', 'use etcd/etcdctl/etcdutl from this folder instead of fetching')
  .addOption(
    new Option('--provider <name>', 'where the throwaway members run')
      .choices([...PROVIDER_NAMES])
      .default('process'),
  )
  .option('--size <n>', 'members of the throwaway cluster', int('--size'), 3)
  .option(
    '--against <endpoints>',
    "diff the backup with a live cluster's keyspace (comma-separated client URLs)",
  )
  .addOption(outOption())
  .addOption(
    new Option(
      '--reporter <names...>',
      'report formats after verify.json: md (summary.md), junit (junit.xml)',
    )
      .choices(['md', 'junit'])
      .default(['md']),
  )
  .addOption(quietOption())
  .action(async (backup: string, opts) => {
    const ac = interruptible();
    const { runVerify } = await import('./verify/verify.ts');
    const { result, reportDir, summary } = await runVerify({
      path: backup,
      etcd: opts.etcd,
      etcdBinDir: opts.etcdBinDir,
      provider: opts.provider,
      size: opts.size,
      against: opts.against,
      out: opts.out,
      reporters: opts.reporter,
      quiet: opts.quiet,
      signal: ac.signal,
    });
    const files = opts.reporter.map((r: string) => (r === 'md' ? 'summary.md' : 'junit.xml'));
    process.stdout.write(`\n${summary}\nReport: ${[join(reportDir, 'verify.json'), ...files].join(', ')}\n`);
    process.exitCode = ac.signal.aborted ? 130 : result.exitCode;
  });

const report = program
  .command('report')
  .description(
    "work with a finished run: render its reports again, or re-grade it against today's scenario files",
  );

report
  .command('render')
  .description('render reports from a results.json alone (into its own folder unless --out)')
  .argument('<results>', 'a results.json')
  .addOption(reporterOption())
  .option('--out <dir>', 'write the reports here instead of beside results.json')
  .action(async (file: string, opts: { reporter: string[]; out?: string }) => {
    const { readRun } = await import('../reports/regrade.ts');
    const run = await readRun(file);
    await emitReports(run, opts.out ?? dirname(file), opts.reporter, { rewriteJson: opts.out !== undefined });
  });

report
  .command('regrade')
  .description("grade a run's raw observations again against today's scenario files; prints what changed")
  .argument('<results>', 'a results.json')
  .option('--out <dir>', 'write the re-graded results.json and reports here')
  .addOption(reporterOption())
  .action(async (file: string, opts: { reporter: string[]; out?: string }) => {
    const { readRun, regradeRun } = await import('../reports/regrade.ts');
    const { run, changes } = await regradeRun(await readRun(file));
    process.stdout.write(
      changes.length
        ? `Verdicts that changed against today's scenario files:\n${changes.map((c) => `  ${c}`).join('\n')}\n\n`
        : "No verdict changed against today's scenario files.\n\n",
    );
    if (opts.out) await emitReports(run, opts.out, opts.reporter, { rewriteJson: true });
    else process.stdout.write(renderSummary(run));
    process.exitCode = run.exitCode;
  });

report
  .command('diff')
  .description(
    'compare two runs cell by cell (verdicts, outcomes, procedure grades, restore times); exit 1 on a regression',
  )
  .argument('<baseline>', 'the baseline results.json')
  .argument('<new>', 'the results.json to compare with it')
  .addOption(rtoThresholdOption())
  .option('--out <file.md>', 'also write the Markdown here')
  .option('--json <file>', 'write the diff as JSON here')
  .action(async (base: string, next: string, opts: { rtoThreshold: string; out?: string; json?: string }) => {
    const { diffExitCode, diffRuns, parseRtoThreshold } = await import('../reports/diff.ts');
    const { checkWritableFile, writeDiffFiles } = await import('../reports/diff-io.ts');
    const { readRun } = await import('../reports/regrade.ts');
    const threshold = parseRtoThreshold(opts.rtoThreshold);
    if (opts.out) checkWritableFile(opts.out, '--out');
    if (opts.json) checkWritableFile(opts.json, '--json');
    const d = diffRuns(await readRun(base), await readRun(next), threshold);
    process.stdout.write(await writeDiffFiles(d, { md: opts.out, json: opts.json }));
    process.exitCode = diffExitCode(d);
  });

report
  .command('merge')
  .description('join the results of matrix --shard i/n runs into one run, and render its reports')
  .argument('<shards...>', "each shard's results.json, or the --out folder it was written under")
  .option('--out <dir>', 'write the merged results.json and reports here (default reports/out/<run-id>)')
  .option('--allow-partial', 'merge even when a shard or cells are missing (the exit code is then 2)', false)
  .addOption(reporterOption())
  .action(async (paths: string[], opts: { out?: string; allowPartial: boolean; reporter: string[] }) => {
    const { mergeShards, readShards } = await import('../reports/merge.ts');
    if (opts.out) checkWritableDir(opts.out, '--out');
    const run = mergeShards(await readShards(paths), { allowPartial: opts.allowPartial });
    const missing = run.merged?.missing ?? [];
    if (missing.length)
      process.stderr.write(
        `etcd-drill: partial merge, ${missing.length} cell(s) missing: ${missing.join(', ')}\n`,
      );
    const dir = opts.out ?? join('reports', 'out', run.runId);
    await emitReports(run, dir, opts.reporter, { rewriteJson: true });
    process.stdout.write(`\n${reportLine(dir, opts.reporter)}\n`);
    process.exitCode = Math.max(Number(process.exitCode ?? 0), run.exitCode);
  });

program
  .command('expectations')
  .description("keep the scenario files' expectations honest")
  .command('record')
  .description(
    'record expectations from several runs: all agree → "observed in N of N runs", they disagree → varies',
  )
  .argument('<results...>', 'results.json files of separate runs (e.g. reports/out/*/results.json)')
  .option('--write', 'rewrite the scenario files (default: print the plan only)', false)
  .option('--min-runs <n>', 'runs a version needs before it is recorded (at least 3)', int('--min-runs'), 3)
  .option(
    '--only <check-prefixes...>',
    "record only these checks (ids or prefixes, e.g. 'k8s-' from --k8s runs)",
  )
  .action(async (files: string[], opts: { write: boolean; minRuns: number; only?: string[] }) => {
    const { recordExpectations } = await import('./expectations-record.ts');
    const { plan } = await recordExpectations(files, {
      write: opts.write,
      minRuns: opts.minRuns,
      ...(opts.only ? { only: opts.only } : {}),
    });
    process.stdout.write(plan);
  });

// Held while a command runs: some waits (testcontainers' one-shot wait on an unref'd Docker socket)
// leave nothing else keeping the event loop alive, and Node then exits 0 mid-command, silently.
const keepAlive = setInterval(() => {}, 60_000);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its message. --help and --version exit 0; anything else it refuses is bad input.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`etcd-drill: ${isAbort(err) ? 'interrupted' : 'error'}: ${oneLine(err)}\n`);
    process.exitCode = isAbort(err) ? 130 : 2;
  }
}

clearInterval(keepAlive);

// The work is done and reported. A client library's reconnect timer (etcd3 retries a watch whose
// cluster was interrupted mid-restore, even after close) must not keep the CLI alive: exit unless
// the process ends by itself first (the timer is unref'd, so it never holds the process up).
setTimeout(() => process.exit(), 1000).unref();
