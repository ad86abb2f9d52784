/**
 * `npm run bench`: measures and prints figures (median of N runs). Not a test: nothing here passes or
 * fails on a number. Options: --runs N (default 5), --etcd VERSION (default 3.4.23), --only parallel
 * (just the --parallel figure), --only seed|verify|s1-100k|size (issue 12's production-size figures, on
 * etcd 3.5.30 unless --etcd says otherwise; --objects N for a smaller try; size = all three), --only kind
 * (issue 14: S1 on kind, a cluster per run; `etcd-drill fetch --kind --etcd 3.5.30` first).
 * Record what you see in the README's performance section, with the machine it ran on.
 */
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { k8sV3 } from '../fixtures/k8s.ts';
import { containerProvider } from '../harness/cluster/container.ts';
import { dockerClient } from '../harness/cluster/docker.ts';
import { ensureImage } from '../harness/cluster/image.ts';
import { processProvider } from '../harness/cluster/process.ts';
import type { Cluster, Provider } from '../harness/cluster/types.ts';
import { runDrill } from '../harness/drill.ts';
import { putAllV3 } from '../harness/etcd/api.ts';
import { resolveEtcd } from '../harness/etcd/dist.ts';
import { KNOWN_VERSIONS } from '../harness/etcd/versions.ts';
import { silentLogger } from '../harness/log.ts';
import type { ScenarioResult } from '../harness/result.ts';
import { resultCell } from '../harness/shard.ts';
import { testContext } from '../harness/test-support/helpers.ts';
import { removeRunDir } from '../harness/workdir.ts';
import { s1Figure, seedFigure, verifyFigure } from './production.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const RUNS = Number(arg('--runs', '5'));
const VERSION = arg('--etcd', '3.4.23');
const ONLY = arg('--only', '');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function measure(title: string, unit: string, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await fn());
  const m = median(xs);
  const fmt = (x: number) => (unit === 's' ? x.toFixed(2) : Math.round(x).toString());
  console.log(`${title.padEnd(58)} ${fmt(m).padStart(8)} ${unit}   (runs: ${xs.map(fmt).join(', ')})`);
  return m;
}

/** A fresh cluster from a provider; `body` gets it running and returns a figure. */
async function withCluster(body: (c: Cluster) => Promise<number>, provider: Provider = processProvider) {
  const dist = await resolveEtcd({ version: VERSION, log: silentLogger });
  const ctx = await testContext();
  const c = await provider.create({ size: 3, token: 'bench', enableV2: true }, dist, ctx, 'bench');
  try {
    return await body(c);
  } finally {
    await c[Symbol.asyncDispose]();
    await removeRunDir(ctx.workDir);
  }
}

/** A cell's verdicts in one line, to compare runs: regression verdict, grade, every check's observation. */
const cellLine = (r: ScenarioResult) =>
  `${r.verdict} · ${r.grade.grade} · ${r.checks.map((c) => `${c.id}=${c.observed}`).join(', ')}`;

/**
 * Issue 13: the same matrix serially and 3 drills at once (one run each; a matrix takes minutes).
 * Prints both times and every cell whose verdicts differ between them: a finding, not noise to hide.
 */
async function parallelFigure(): Promise<void> {
  const subset = {
    scenarios: ['s5-v3-snapshot-all-members', 's6-v3-snapshot-bump-revision', 's7-v2-backup-with-v3'],
    versions: ['3.5.30', '3.4.23'],
    provider: 'process',
    probes: false,
    quiet: true,
    out: '/tmp/etcd-drill-bench-reports',
  } as const;
  const timed = async (parallel: number) => {
    const t = performance.now();
    const { run } = await runDrill({ ...subset, parallel });
    return { run, s: (performance.now() - t) / 1000 };
  };
  const serial = await timed(1);
  const par = await timed(3);
  const k = serial.run.results.length;
  const title = `matrix of ${k} drills (s5, s6, s7 × 3.5.30, 3.4.23, no probes)`;
  console.log(
    `${`${title}, --parallel 1`.padEnd(58)} ${serial.s.toFixed(1).padStart(8)} s   (exit ${serial.run.exitCode})`,
  );
  console.log(
    `${`${title}, --parallel 3`.padEnd(58)} ${par.s.toFixed(1).padStart(8)} s   (exit ${par.run.exitCode})`,
  );
  console.log(`ratio parallel/serial: ${(par.s / serial.s).toFixed(2)}`);
  const other = new Map(par.run.results.map((r) => [resultCell(r), r]));
  const differ = serial.run.results.flatMap((r) => {
    const p = other.get(resultCell(r));
    return p && cellLine(p) === cellLine(r)
      ? []
      : [`  ${resultCell(r)}: serial ${cellLine(r)}; parallel ${p ? cellLine(p) : 'absent'}`];
  });
  console.log(
    differ.length ? `verdicts that differ:\n${differ.join('\n')}` : 'verdicts: the same in every cell',
  );
}

if (ONLY === 'parallel') {
  await parallelFigure();
  process.exit(0);
}

/**
 * Issue 14: S1 on kind, end to end, and its parts from the drill's own step times: the cluster
 * (images cached: `fetch --kind` first), the Kubernetes stage, the restore. Runs per --runs (each
 * a cluster: minutes).
 */
async function kindFigure(): Promise<void> {
  const step = (r: ScenarioResult, prefix: string) =>
    (r.steps.find((x) => x.title.startsWith(prefix))?.durationMs ?? Number.NaN) / 1000;
  const parts = { cluster: [] as number[], k8s: [] as number[], assess: [] as number[] };
  await measure('S1 on kind (3 control-plane nodes, etcd 3.5.30), end to end', 's', async () => {
    const t = performance.now();
    const { run } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'kind',
      etcd: '3.5.30',
      quiet: true,
      out: '/tmp/etcd-drill-bench-reports',
    });
    const r = run.results[0];
    if (!r || run.exitCode === 2)
      throw new Error(`S1 on kind ended without a verdict (run ${run.runId}): not a figure`);
    // kind create runs before the drill's steps; the stage reports its time as its start.
    parts.cluster.push((r.observations.k8s?.startMs ?? Number.NaN) / 1000);
    parts.k8s.push(step(r, 'Kubernetes of the kind cluster'));
    parts.assess.push(step(r, 'Kubernetes on kind'));
    console.log(`  run ${run.runId}: exit ${run.exitCode}, ${cellLine(r)}`);
    return (performance.now() - t) / 1000;
  });
  const line = (t: string, xs: number[]) =>
    console.log(
      `  ${t.padEnd(56)} ${median(xs).toFixed(1).padStart(8)} s   (runs: ${xs.map((x) => x.toFixed(1)).join(', ')})`,
    );
  line('of which: kind create + pod network (images cached)', parts.cluster);
  line('of which: Kubernetes stage ready', parts.k8s);
  line('of which: Kubernetes checks, kept running then restarted', parts.assess);
}

if (ONLY === 'kind') {
  await kindFigure();
  process.exit(0);
}

/** Issue 12: a million keys seeded, a ~1 GiB snapshot verified, S1 at 100,000 keys (once each: minutes). */
async function productionFigures(only: string): Promise<void> {
  const version = process.argv.includes('--etcd') ? VERSION : '3.5.30';
  const objects = Number(arg('--objects', '1000000'));
  const sized = await resolveEtcd({ version, log: silentLogger });
  console.log(`production size: etcd ${version}, process provider, ${objects.toLocaleString('en')} keys`);
  if (only === 'seed') await seedFigure(sized, objects);
  if (only === 'verify' || only === 'size') await verifyFigure(sized, objects); // seeds too
  if (only === 's1-100k' || only === 'size') await s1Figure(version, Math.min(objects, 100_000));
}

if (['seed', 'verify', 's1-100k', 'size'].includes(ONLY)) {
  await productionFigures(ONLY);
  process.exit(0);
}

const dist = await resolveEtcd({ version: VERSION, log: silentLogger });
const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
console.log(
  `etcd-drill bench: etcd ${VERSION}, ${RUNS} runs each, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}\n`,
);

// Start-up: the compiled CLI (what an installed package runs) against the sources through tsx (a checkout).
await execa('npm', ['run', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
for (const from of ['dist', 'source'])
  await measure(
    `etcd-drill list, ${from === 'dist' ? 'compiled dist/ (installed)' : 'sources via tsx (checkout)'}`,
    's',
    async () => {
      const t = performance.now();
      await execa('node', [bin, 'list'], { env: { ETCD_DRILL_FROM: from } });
      return (performance.now() - t) / 1000;
    },
  );

await measure('3-member process cluster: start to healthy', 's', () =>
  withCluster(async (c) => {
    const t = performance.now();
    await c.start();
    return (performance.now() - t) / 1000;
  }),
);

const ops = k8sV3({ objects: 10_000 });
const kib = ops.reduce((a, o) => a + o.value.length, 0) / ops.length / 1024;
await measure(`v3 seeding, 10k Kubernetes-shaped keys (~${kib.toFixed(2)} KiB values)`, 'keys/s', () =>
  withCluster(async (c) => {
    await c.start();
    const t = performance.now();
    await putAllV3(c.access(), ops, { bulk: true });
    return ops.length / ((performance.now() - t) / 1000);
  }),
);

const harness = await measure('S1 end to end, harness on processes (270 v3 keys + 7 v2)', 's', async () => {
  const t = performance.now();
  const { run } = await runDrill({
    scenarios: ['s1-v3-snapshot-restore'],
    provider: 'process',
    etcd: VERSION,
    quiet: true,
    out: '/tmp/etcd-drill-bench-reports',
  });
  if (run.exitCode !== 0)
    throw new Error(`S1 did not run as expected (exit ${run.exitCode}); fix that before timing it`);
  return (performance.now() - t) / 1000;
});

const script = fileURLToPath(new URL('./s1-baseline.sh', import.meta.url));
const shell = await measure('S1 end to end, plain shell script (bench/s1-baseline.sh)', 's', async () => {
  const t = performance.now();
  await execa('bash', [script, dist.binDir, '32379', '270']);
  return (performance.now() - t) / 1000;
});

console.log(`\nratio harness/shell for S1: ${(harness / shell).toFixed(2)}`);

// Issue 4's budget: the whole matrix must fit in CI's 90 minutes. One run: it takes minutes.
{
  const t = performance.now();
  const { run } = await runDrill({
    versions: KNOWN_VERSIONS.map((k) => k.version),
    provider: 'process',
    quiet: true,
    out: '/tmp/etcd-drill-bench-reports',
  });
  const s = (performance.now() - t) / 1000;
  console.log(
    `${'matrix: every strategy × 4 versions on processes (1 run)'.padEnd(58)} ${s.toFixed(0).padStart(8)} s   (${run.results.length} drills, exit ${run.exitCode})`,
  );
}

await parallelFigure();

if (await dockerClient(5000)) {
  console.log('');
  await ensureImage(dist, silentLogger); // built once, outside the timings
  await measure('3-member container cluster: start to healthy', 's', () =>
    withCluster(async (c) => {
      const t = performance.now();
      await c.start();
      return (performance.now() - t) / 1000;
    }, containerProvider()),
  );
  await measure('S1 end to end, harness on containers', 's', async () => {
    const t = performance.now();
    const { run } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'container',
      etcd: VERSION,
      quiet: true,
      out: '/tmp/etcd-drill-bench-reports',
    });
    if (run.exitCode !== 0)
      throw new Error(`S1 on containers did not run as expected (exit ${run.exitCode})`);
    return (performance.now() - t) / 1000;
  });
} else {
  console.log('\n(no Docker engine answers: container figures skipped; start one with bash ci/docker.sh)');
}

console.log('');
await productionFigures('size');
