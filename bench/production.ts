/**
 * Issue 12's production-size figures (`npm run bench -- --only seed|verify|s1-100k|size`):
 * seeding a million Kubernetes-shaped keys, `etcd-drill verify` of the ~1 GiB snapshot they make
 * (the harness's peak RSS and wall time against `etcdutl snapshot restore` plus one `etcdctl get ""
 * --prefix` of the same file, measured in the same run), and S1 with 100,000 keys, phase by phase.
 * Every cluster, data dir and file is removed after each figure. Files live outside $ETCD_DRILL_WORK:
 * verify sweeps that folder's leftovers when it starts.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { k8sV3Stream } from '../fixtures/k8s.ts';
import { allocatePorts } from '../harness/cluster/ports.ts';
import { processProvider } from '../harness/cluster/process.ts';
import { newRunId } from '../harness/context.ts';
import { runDrill } from '../harness/drill.ts';
import { putAllV3 } from '../harness/etcd/api.ts';
import type { EtcdDist } from '../harness/etcd/dist.ts';
import { silentLogger } from '../harness/log.ts';
import { createRunDir, removeRunDir } from '../harness/workdir.ts';
import { phaseTimes } from '../reports/rto.ts';

const BIN = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
const RSS_HOOK = fileURLToPath(new URL('./rss-hook.mjs', import.meta.url));
const MIB = 2 ** 20;

const line = (title: string, figure: string, note = '') =>
  console.log(`${title.padEnd(58)} ${figure.padStart(12)}   ${note}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => `load ${loadavg()[0]?.toFixed(1)}`;

/** A fresh 3-member process cluster for `body`, removed afterwards whatever happens. */
async function withProcessCluster<T>(
  dist: EtcdDist,
  body: (c: Awaited<ReturnType<typeof processProvider.create>>) => Promise<T>,
): Promise<T> {
  const runId = newRunId();
  const ctx = {
    runId,
    workDir: await createRunDir(runId),
    log: silentLogger,
    signal: new AbortController().signal,
  };
  const c = await processProvider.create({ size: 3, token: 'bench', enableV2: false }, dist, ctx, 'bench');
  try {
    await c.start();
    return await body(c);
  } finally {
    await c[Symbol.asyncDispose]();
    await removeRunDir(ctx.workDir);
  }
}

/**
 * Seeds `objects` keys as a drill does (generated as they are put, 128-op transactions, 16 in flight,
 * all to the leader, then waiting until every member has applied them)
 * and prints the rate; with `snapshotTo`, saves a snapshot of the result there.
 */
export async function seedFigure(dist: EtcdDist, objects: number, snapshotTo?: string): Promise<void> {
  await withProcessCluster(dist, async (c) => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    const n = await putAllV3(c.access(), k8sV3Stream({ objects }), { bulk: true });
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    line(
      `v3 seeding, ${n.toLocaleString('en')} Kubernetes-shaped keys (generated as put)`,
      `${Math.round(n / (ms / 1000)).toLocaleString('en')} keys/s`,
      `(${secs(ms)}; harness CPU ${((used.user + used.system) / n).toFixed(1)} µs/key; ${load()})`,
    );
    if (!snapshotTo) return;
    const ep = c.endpoints()[0] ?? '';
    await execa(join(dist.binDir, 'etcdctl'), ['--endpoints', ep, 'snapshot', 'save', snapshotTo], {
      env: { ETCDCTL_API: '3' },
    });
    line('snapshot of it (etcdctl snapshot save)', `${((await stat(snapshotTo)).size / MIB).toFixed(0)} MiB`);
  });
}

/** etcd's own tools on the same file: one restore, one member started on it, one read of every key. */
async function baseline(dist: EtcdDist, snap: string, dir: string): Promise<number> {
  const dataDir = join(dir, 'baseline.etcd');
  let t = performance.now();
  await execa(join(dist.binDir, 'etcdutl'), ['snapshot', 'restore', snap, '--data-dir', dataDir]);
  const restoreMs = performance.now() - t;
  const [client, peer] = await allocatePorts(2);
  const ep = `http://127.0.0.1:${client}`;
  const etcd = execa(
    join(dist.binDir, 'etcd'),
    [
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      ep,
      '--advertise-client-urls',
      ep,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peer}`,
    ],
    { reject: false, stdio: 'ignore' },
  );
  try {
    const ctl = (args: string[], stdout: 'ignore' | 'pipe' = 'pipe') =>
      execa(join(dist.binDir, 'etcdctl'), ['--endpoints', ep, '--command-timeout=30m', ...args], {
        env: { ETCDCTL_API: '3' },
        stdout,
      });
    const started = performance.now();
    for (let i = 0; (await ctl(['endpoint', 'health']).catch(() => undefined)) === undefined; i++)
      if (i > 120) throw new Error('the baseline member never turned healthy');
    line('  (etcd started on it until healthy: not counted)', secs(performance.now() - started));
    t = performance.now();
    await ctl(['get', '', '--prefix'], 'ignore');
    const getMs = performance.now() - t;
    line('  etcdutl snapshot restore (one member)', secs(restoreMs));
    line('  etcdctl get "" --prefix (every key and value, to /dev/null)', secs(getMs));
    return restoreMs + getMs;
  } finally {
    etcd.kill('SIGKILL');
    await etcd;
  }
}

/** `etcd-drill verify` of the file as a user runs it: its wall time and the node process's peak RSS. */
async function verifyRun(
  dist: EtcdDist,
  snap: string,
  dir: string,
  size: number,
): Promise<{ ms: number; rss: number; exit: number; steps: string }> {
  const rssFile = join(dir, 'verify.rss');
  const out = join(dir, `out-${size}`);
  const args = [BIN, 'verify', snap, '--etcd', dist.version, '--size', String(size), '--out', out, '--quiet'];
  const t = performance.now();
  const r = await execa('node', ['--import', RSS_HOOK, ...args], {
    reject: false,
    env: { ETCD_DRILL_RSS_FILE: rssFile },
  });
  const ms = performance.now() - t;
  if (r.exitCode !== 0)
    console.log(
      `verify exited ${r.exitCode}: ${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-5).join(' | ')}`,
    );
  const [id] = await readdir(out);
  const v = JSON.parse(await readFile(join(out, id ?? '', 'verify.json'), 'utf8')) as {
    restore?: { steps?: { title: string; durationMs: number }[] };
  };
  const steps = (v.restore?.steps ?? []).map((st) => `${st.title} ${secs(st.durationMs)}`).join('; ');
  return { ms, rss: Number(await readFile(rssFile, 'utf8')), exit: r.exitCode ?? -1, steps };
}

/** Seeds a million keys, snapshots them, then times etcd's tools and `etcd-drill verify` on the file. */
export async function verifyFigure(dist: EtcdDist, objects: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-drill-bench-size-'));
  try {
    const snap = join(dir, 'snapshot.db');
    await seedFigure(dist, objects, snap);
    const base = await baseline(dist, snap, dir);
    line('etcd baseline: restore + get', secs(base));
    // The default 3 members, then 1: what the extra restores and members cost.
    for (const size of [3, 1]) {
      const v = await verifyRun(dist, snap, dir, size);
      line(
        `etcd-drill verify --size ${size}, exit ${v.exit}`,
        secs(v.ms),
        `(${(v.ms / base).toFixed(2)}× the baseline; target ≤ 2×; ${load()})`,
      );
      line(
        '  peak RSS of the harness (node process, maxRSS)',
        `${(v.rss / MIB).toFixed(0)} MiB`,
        '(target ≤ 512 MiB)',
      );
      console.log(`  steps: ${v.steps}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** S1 with `objects` keys, once, phase by phase. */
export async function s1Figure(version: string, objects: number): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'etcd-drill-bench-s1-'));
  try {
    const t = performance.now();
    const { run } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'process',
      etcd: version,
      objects,
      probes: false,
      quiet: true,
      out,
    });
    const r = run.results[0];
    line(
      `S1, ${objects.toLocaleString('en')} keys, no probes (exit ${run.exitCode})`,
      secs(performance.now() - t),
      `(${load()})`,
    );
    if (r)
      console.log(
        `  phases: ${[...phaseTimes(r)].map(([p, ms]) => `${p} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
      );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
