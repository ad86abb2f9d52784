import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { summarizeDiff } from '../checks/diff.ts';
import { type Entry, mergeStreams } from '../checks/merge.ts';
import { sweepContainers } from '../cluster/docker.ts';
import type { Cluster, Provider } from '../cluster/types.ts';
import { newRunId, type RunContext } from '../context.ts';
import { chooseProvider } from '../drill.ts';
import { createRecorder } from '../engine/recorder.ts';
import { HarnessError, Refusal } from '../errors.ts';
import { dumpV2, type Keyset } from '../etcd/api.ts';
import { type EtcdDist, type EtcdSource, resolveEtcd } from '../etcd/dist.ts';
import { v2Api } from '../etcd/help.ts';
import { preflightFlags } from '../etcd/preflight.ts';
import { checkWritableDir } from '../input.ts';
import { createLogger, type Logger } from '../log.ts';
import { toolVersion } from '../paths.ts';
import type { Observations, StepResult } from '../result.ts';
import { Scope } from '../scope.ts';
import type { Recorder } from '../strategies/types.ts';
import { createRunDir, removeRunDir, sweepLeftovers, workRoot } from '../workdir.ts';
import { backupAgeSeconds } from './contents.ts';
import { backupKind, parseEndpoints } from './input.ts';
import { checkIntegrity, type IntegrityOutcome, scanBackup } from './integrity-check.ts';
import { renderJunit } from './junit.ts';
import { compactRevision, keyspaceEntries, leaseCount, readKeyspace } from './read.ts';
import { renderVerify } from './render.ts';
import { HOW, restoreInto } from './restore.ts';
import type { BackupKind, RestoreReport, V2Contents, VerifyResult } from './types.ts';
import { chooseVersion, type VersionChoice } from './version.ts';

export interface VerifyOptions {
  readonly path: string;
  readonly etcd?: string;
  readonly etcdBinDir?: string;
  readonly etcdSource?: EtcdSource;
  /** @default 'process' */
  readonly provider?: string;
  /** Members of the throwaway cluster. @default 3 */
  readonly size?: number;
  /** Comma-separated client URLs of a live cluster to diff the backup with. */
  readonly against?: string;
  /** @default reports/out */
  readonly out?: string;
  /** Report formats after verify.json: md (summary.md), junit (junit.xml). @default ['md'] */
  readonly reporters?: readonly string[];
  readonly quiet?: boolean;
  readonly signal?: AbortSignal;
}

export interface VerifyOutcome {
  readonly result: VerifyResult;
  readonly reportDir: string;
  readonly summary: string;
}

type Body = Omit<
  VerifyResult,
  'schemaVersion' | 'id' | 'tool' | 'startedAt' | 'finishedAt' | 'input' | 'exitCode' | 'integrity'
>;

/** Everything checkable before anything is created: bad input fails here, with exit 2. */
async function prepare(o: VerifyOptions, log: Logger, signal: AbortSignal) {
  const kind = backupKind(o.path);
  const against = o.against !== undefined ? parseEndpoints(o.against) : undefined;
  const size = o.size ?? 3;
  if (!Number.isInteger(size) || size < 1)
    throw new HarnessError('BAD_INPUT', `--size must be a whole number >= 1, got ${size}`);
  checkWritableDir(o.out ?? join('reports', 'out'), '--out');
  checkWritableDir(workRoot(), 'ETCD_DRILL_WORK');
  const scanned = await scanBackup(kind, o.path);
  const choice: VersionChoice = o.etcdBinDir
    ? { version: o.etcd, why: 'given' }
    : chooseVersion(scanned?.clusterVersions ?? [], o.etcd);
  const dist = await resolveEtcd({
    ...(choice.version ? { version: choice.version } : {}),
    ...(o.etcdBinDir ? { binDir: o.etcdBinDir } : {}),
    ...(o.etcdSource ? { source: o.etcdSource } : {}),
    log,
    signal,
  });
  await preflightFlags(dist, { tls: false });
  // A v2 backup dir is served through the v2 API: an etcd without one cannot show what it holds.
  const v2 = kind === 'v2-backup-dir' ? await v2Api(dist) : { ok: true as const };
  if (!v2.ok)
    throw new HarnessError(
      'BAD_INPUT',
      `${v2.reason}: verify a v2 backup dir with etcd 3.5 or older (--etcd)`,
    );
  const { provider, docker } = await chooseProvider(o.provider ?? 'process', undefined);
  return { kind, against, size, dist, provider, docker, scanned, versionWhy: choice.why };
}

/** Does this backup restore, and what is in it? Integrity first, then a throwaway cluster, then reads. */
export async function runVerify(o: VerifyOptions): Promise<VerifyOutcome> {
  const signal = o.signal ?? new AbortController().signal;
  const early = createLogger({ quiet: o.quiet ?? false });
  const p = await prepare(o, early, signal);
  const id = newRunId();
  const startedAt = new Date();
  const reportDir = resolve(o.out ?? join('reports', 'out'), id);
  const log = createLogger({
    file: join(reportDir, 'verify.log'),
    quiet: o.quiet ?? false,
    startedAt: startedAt.getTime(),
  });
  log.progress(
    `verify ${id}: ${p.kind} ${o.path} on etcd ${p.dist.version} (${p.dist.origin}); report in ${reportDir}`,
  );
  // Containers first: their sweep reads the run folders that sweepLeftovers removes.
  if (p.docker) await sweepContainers(p.docker, log);
  await sweepLeftovers(log);
  const workDir = await createRunDir(id);
  let checked: IntegrityOutcome;
  let body: Body;
  try {
    checked = await checkIntegrity(p.kind, p.scanned, p.dist, workDir, signal);
    body = checked.damaged
      ? { verdict: 'damaged', reason: checked.damaged }
      : await restoreAndRead({
          ...p,
          path: o.path,
          skipHashCheck: checked.skipHashCheck,
          ctx: { runId: id, workDir, log, signal },
        });
  } finally {
    await removeRunDir(workDir);
  }
  const finishedAt = new Date();
  const age = body.contents ? backupAgeSeconds(body.contents, finishedAt) : undefined;
  const result: VerifyResult = {
    schemaVersion: 1,
    id,
    tool: { name: 'etcd-drill', version: toolVersion() },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    input: { path: resolve(o.path), kind: p.kind, bytes: checked.bytes },
    exitCode: body.verdict === 'restorable' ? 0 : 1,
    integrity: checked.integrity,
    ...body,
    ...(age !== undefined ? { backupAgeSeconds: age } : {}),
  };
  const summary = renderVerify(result);
  await mkdir(reportDir, { recursive: true });
  await writeFile(join(reportDir, 'verify.json'), `${JSON.stringify(result, null, 2)}\n`);
  const reporters = o.reporters ?? ['md'];
  if (reporters.includes('md')) await writeFile(join(reportDir, 'summary.md'), summary);
  if (reporters.includes('junit')) await writeFile(join(reportDir, 'junit.xml'), renderJunit(result));
  return { result, reportDir, summary };
}

interface RestoreJob {
  readonly kind: BackupKind;
  readonly path: string;
  readonly size: number;
  readonly dist: EtcdDist;
  readonly provider: Provider;
  readonly against: string[] | undefined;
  readonly skipHashCheck: string | undefined;
  readonly versionWhy: VersionChoice['why'];
  readonly ctx: RunContext;
}

/** What etcd says while restoring or starting from the file: its answer about the file, not ours. */
function notRestorable(err: unknown): Body | undefined {
  if (err instanceof Refusal) return { verdict: 'damaged', reason: `${err.step}: ${err.quote}` };
  if (
    err instanceof HarnessError &&
    ['ETCDCTL', 'PROVIDER_START', 'CLUSTER_UNHEALTHY', 'TIMEOUT'].includes(err.code)
  )
    return { verdict: 'not-restorable', reason: err.message };
  return undefined;
}

async function restoreAndRead(j: RestoreJob): Promise<Body> {
  await using scope = new Scope();
  const spec = { size: j.size, token: 'etcd-drill-verify', enableV2: j.kind === 'v2-backup-dir' };
  const cluster = scope.use(await j.provider.create(spec, j.dist, j.ctx, 'verify'));
  const steps: StepResult[] = [];
  const rec = createRecorder({
    log: j.ctx.log,
    steps,
    t0: Date.now(),
    obs: {} as Observations,
    phase: () => 'restore',
  });
  const restore = (ok: boolean): RestoreReport => ({
    etcd: j.dist.version,
    etcdOrigin: j.dist.origin,
    etcdChosen: j.versionWhy,
    provider: j.provider.name,
    members: j.size,
    how: `${HOW[j.kind]}${j.skipHashCheck ? `; --skip-hash-check (${j.skipHashCheck})` : ''}`,
    ok,
    steps,
  });
  try {
    await restoreInto(cluster, j.kind, j.path, rec, { skipHashCheck: j.skipHashCheck !== undefined });
  } catch (err) {
    const body = notRestorable(err);
    if (!body) throw err;
    return { ...body, restore: restore(false) };
  }
  const read = await readRestored(cluster, j, rec, restore(true));
  // A throwaway: nothing it holds needs a graceful stop, which goes member by member (~0.3 s each).
  await Promise.all(cluster.members.map((m) => m.kill()));
  return { verdict: 'restorable', restore: restore(true), ...read };
}

async function readRestored(
  cluster: Cluster,
  j: RestoreJob,
  rec: Recorder,
  r: RestoreReport,
): Promise<Partial<Body>> {
  const a = cluster.access();
  let against: Body['against'];
  // With --against, the backup's keys are diffed with the live cluster's as both are read.
  const diff = j.against
    ? async (es: AsyncIterable<Entry>) => {
        against = await diffAgainst(es, j.against ?? []);
      }
    : undefined;
  const read = await rec.step(`read every key and value${j.against ? ', and the live cluster’s' : ''}`, () =>
    readKeyspace(a, diff),
  );
  const [compact, leases, v2] = await rec.step('compact revision, leases', () =>
    Promise.all([
      compactRevision(a, read.revision),
      leaseCount(a),
      j.kind === 'v2-backup-dir' ? dumpV2(a).then(v2Contents) : Promise.resolve(undefined),
    ]),
  );
  return {
    restore: { ...r, revision: read.revision, compactRevision: compact, leases },
    contents: read.contents,
    ...(v2 ? { v2 } : {}),
    ...(against ? { against } : {}),
  };
}

/** The backup's keys (expected) against the live cluster's (observed): missing = only in the backup. */
async function diffAgainst(backup: AsyncIterable<Entry>, endpoints: string[]) {
  const live = keyspaceEntries({ endpoints });
  return { endpoints, ...summarizeDiff(await mergeStreams(backup, live)) };
}

export function v2Contents(keys: Keyset): V2Contents {
  const byPrefix: Record<string, number> = {};
  let directories = 0;
  for (const [k, v] of keys) {
    if (v === '<dir>') directories++;
    const prefix = k.split('/').slice(0, 3).join('/');
    byPrefix[prefix] = (byPrefix[prefix] ?? 0) + 1;
  }
  const sorted = Object.fromEntries(Object.entries(byPrefix).sort(([x], [y]) => x.localeCompare(y)));
  return { nodes: keys.size, directories, values: keys.size - directories, byPrefix: sorted };
}
