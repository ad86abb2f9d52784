import { v2Fixture, v3Fixture } from '../../fixtures/index.ts';
import { historyReadable, integrityOutcome, readIntegrity } from '../checks/integrity.ts';
import { countByType } from '../checks/registry.ts';
import type { Cluster, ClusterSpec } from '../cluster/types.ts';
import { HarnessError, Refusal, serializeError, startRefusal } from '../errors.ts';
import { putAllV2, putAllV3, withV3 } from '../etcd/api.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { errorLine } from '../etcd/log-lines.ts';
import { faultsFor } from '../faults/index.ts';
import { describeBackupPoint, readData, readRestored, readV3At, summarize } from '../observe/cluster.ts';
import { AFTER_DISASTER } from '../observe/load.ts';
import { ackedLoads } from '../observe/load-judge.ts';
import { writeAfterBackup } from '../observe/writes.ts';
import type { Observations } from '../result.ts';
import { snapshotStatus } from '../strategies/common.ts';
import { abortable } from '../util/poll.ts';
import { clusterOf, type DrillContext } from './context.ts';
import type { Phase } from './phases.ts';

export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Captures one observation. A failure is recorded under `errors` and the drill goes on: the checks
 * that need it say "unknown", the others still speak.
 */
export async function observeInto<K extends keyof Observations>(
  d: DrillContext,
  key: K,
  title: string,
  fn: () => Promise<DeepReadonly<NonNullable<Observations[K]>>>,
): Promise<void> {
  try {
    // Readonly in, plain data out: observations are only ever serialised.
    d.obs[key] = (await d.rec.step(title, fn)) as Observations[K];
  } catch (err) {
    lost(d, key, err);
  }
}

/** An observation that could not be made: its error is kept for the checks that need it (Ctrl-C still ends the run). */
function lost(d: DrillContext, key: keyof Observations, err: unknown): void {
  if (d.run.signal.aborted) throw err;
  d.obs.errors = { ...d.obs.errors, [key]: serializeError(err) };
  d.log.warn(`could not observe ${key}: ${(err as Error).message}`);
}

/** The innermost step that failed last (the strategy's own sub-step), for quoting where etcd gave up. */
function lastFailedStep(d: DrillContext, phase: string): string {
  return [...d.steps].reverse().find((s) => !s.ok && s.title !== phase)?.title ?? phase;
}

/**
 * During a restore, a member that died by itself with a panic refused the data it was given: that is
 * etcd's answer, whether it died before its port opened or while the cluster waited for it.
 */
async function restoreRefusal(d: DrillContext, err: unknown): Promise<Refusal | undefined> {
  const step = lastFailedStep(d, 'restore');
  const early = startRefusal(err, step);
  if (early || !(err instanceof HarnessError) || err.code === 'ABORTED') return early;
  for (const m of d.cluster?.members ?? []) {
    const words = await m.lastWords();
    if (words)
      return new Refusal('failed: etcd exits on start', `${step} (${m.name} died)`, words, 'restore');
  }
  return err.code === 'CLUSTER_UNHEALTHY' ? alarmRefusal(d, step) : undefined;
}

const ALARM_LIST_MS = 10_000;

/**
 * Restored members that never turn healthy because an alarm is raised (a NOSPACE alarm comes back
 * with the snapshot's data): etcd's answer, with the alarms quoted. No answer to the alarm list: not one.
 */
async function alarmRefusal(d: DrillContext, step: string): Promise<Refusal | undefined> {
  const cluster = d.cluster;
  if (!cluster?.members.some((m) => m.running)) return undefined;
  // A deadline: without quorum the alarm list never answers (a drill hung here ~10 min, deaf to Ctrl-C).
  const deadline = Date.now() + ALARM_LIST_MS;
  const list = withV3(cluster.access(), async (c) => {
    const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' }, { deadline });
    return res.alarms.map((a) => `${a.alarm} on ${a.memberID}`);
  });
  const alarms = await abortable(list, d.run.signal, 'reading the alarm list').catch((err) => {
    if (d.run.signal?.aborted) throw err;
    return [] as string[];
  });
  if (alarms.length === 0) return undefined;
  return new Refusal('failed: alarm raised', step, `alarm list: ${alarms.join(', ')}`, 'restore');
}

/** A step etcd can refuse: the refusal becomes the phase's observed outcome and ends the drill. */
async function refusable(
  d: DrillContext,
  phase: 'backup' | 'restore',
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await d.rec.step(phase, fn);
  } catch (caught) {
    const err = phase === 'restore' ? ((await restoreRefusal(d, caught)) ?? caught) : caught;
    if (!(err instanceof Refusal) || err.phase !== phase) throw err;
    d.obs[phase] = { ...d.obs[phase], outcome: err.outcome, step: err.step, quote: err.quote };
    d.ended = phase;
    d.log.progress(`${phase} ${err.outcome} (etcd: ${err.quote}): the drill ends here`);
  }
}

async function start(d: DrillContext): Promise<void> {
  const s = d.scenario;
  const spec: ClusterSpec = {
    size: s.cluster.size,
    token: s.cluster.token,
    enableV2: d.v2.ok,
    tls: d.options.tls ?? s.cluster.tls,
    ...(d.options.basePort !== undefined ? { basePort: d.options.basePort } : {}),
    ...(d.strategy.memberUnits ? { envFiles: true } : {}),
    // Loopback members share one network stack: peer-link faults need a namespace per member.
    ...(faultsFor(s).some((f) => f.needs?.peerNetwork) ? { network: 'netns' as const } : {}),
  };
  // One folder per scenario and version: a matrix runs the same scenario on several versions.
  const to = d.restoreDist ? `-to-${d.restoreDist.version}` : '';
  const cluster = d.scope.use(await d.provider.create(spec, d.dist, d.run, `${s.id}-${d.dist.version}${to}`));
  d.cluster = cluster;
  const logs = d.options.logsDir;
  if (logs) d.scope.defer(() => cluster.collectLogs(logs)); // before the cluster's disposal removes its folder
  await d.rec.step(`start ${spec.size}-member cluster (etcd ${d.dist.version}, ${d.provider.name})`, () =>
    cluster.start(),
  );
}

async function seed(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  const opts = { objects: d.options.objects ?? d.scenario.fixtures.objects };
  const v2 = d.v2.ok ? v2Fixture(d.scenario.fixtures.v2, opts) : [];
  if (d.v2.ok) await d.rec.step('seed v2 fixture', () => putAllV2(cluster.access(), v2));
  const seeder = d.extensions.find((e) => e.seedV3);
  if (seeder?.seedV3) {
    // Instead of raw /registry keys: objects the apiserver itself encodes and stores.
    const by = seeder.seedV3.bind(seeder);
    d.obs.seeded = { v2: v2.length, ...(await d.rec.step(`seed v3 through ${seeder.name}`, () => by(d))) };
    return;
  }
  const v3 = v3Fixture(d.scenario.fixtures.v3, opts);
  const put = await d.rec.step('seed v3 fixture', () => putAllV3(cluster.access(), v3, { bulk: true }));
  d.obs.seeded = { v2: v2.length, v3: put };
}

async function backup(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  // Read back from etcd, never from what we think we wrote.
  const point = await d.rec.step('observe backup point', () => readData(cluster, d.keep));
  d.backupPoint = point;
  d.obs.backupPoint = await describeBackupPoint(cluster, point);
  await refusable(d, 'backup', async () => {
    const a = await d.strategy.backup(cluster, d.rec);
    d.artifact = a;
    d.obs.backup = {
      outcome: 'completed',
      sha256: a.sha256,
      bytes: a.bytes,
      ...(a.revision !== undefined ? { revision: a.revision } : {}),
    };
  });
  if (!d.ended) await backupPointAtSnapshot(d, cluster);
}

/**
 * Under write load the backup holds the snapshot's own revision, not the moment the harness read the
 * cluster: the v3 backup point is read again at that revision, so the comparison stays exact. Without
 * a load nothing changes (the same read, the same revision).
 */
async function backupPointAtSnapshot(d: DrillContext, cluster: Cluster): Promise<void> {
  const [point, rev] = [d.backupPoint, d.artifact?.revision];
  if (!point || rev === undefined || rev === point.revision || !d.loads?.length) return;
  const v3 = await d.rec.step(`read v3 at the snapshot's revision ${rev}`, () =>
    readV3At(cluster, rev, d.keep),
  );
  d.backupPoint = { ...point, v3, revision: rev };
  const described = d.obs.backupPoint;
  if (described)
    d.obs.backupPoint = {
      ...described,
      v3: summarize(v3),
      revision: rev,
      readRevision: point.revision,
      byType: countByType(v3.keys()),
    };
}

async function afterBackup(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  const point = d.backupPoint;
  if (!point) throw new HarnessError('STRATEGY', 'no backup point was read');
  const raw = d.extensions.every((e) => e.rawV3Writes !== false);
  // Writes the backup cannot hold: seen after the restore, they prove the data came from elsewhere.
  d.obs.postBackupWrites = await d.rec.step('write after the backup (markers, a change, a deletion)', () =>
    writeAfterBackup(cluster.access(), point, raw, cluster.spec.enableV2),
  );
}

/** After the extensions' own after-backup writes: the cluster as the disaster finds it. */
async function beforeDisaster(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  if (d.options.beforeDisaster) await d.options.beforeDisaster(cluster, d.artifact?.files ?? []);
  const p = await d.rec.step('observe the cluster just before the disaster', () => readData(cluster, d.keep));
  d.beforeDisaster = p;
  d.obs.beforeDisaster = { revision: p.revision, v2: summarize(p.v2), v3: summarize(p.v3) };
}

async function restore(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  const artifact = d.artifact;
  if (!artifact) throw new HarnessError('STRATEGY', 'no backup to restore');
  if (d.restoreDist) await switchToRestoreVersion(d, cluster, d.restoreDist);
  const snap = artifact.files.find((f) => f.endsWith('.db'));
  if (snap) {
    // What etcd says of the file it is about to restore (a bit flip passes this; only restore checks the hash).
    d.obs.snapshotBeforeRestore = await d.rec.step('snapshot status before restore', () =>
      snapshotStatus(cluster, snap).then(
        (s) => ({ ...s }),
        (err: unknown) => ({
          error: errorLine(String((err as HarnessError).details?.stderr ?? (err as Error).message)),
        }),
      ),
    );
  }
  await refusable(d, 'restore', async () => {
    await d.strategy.restore(artifact, cluster, d.rec);
    d.obs.restore = { outcome: 'completed' };
  });
}

/** A cross-version drill: from here on B's tools restore and B's etcd runs every member. */
async function switchToRestoreVersion(d: DrillContext, cluster: Cluster, to: EtcdDist): Promise<void> {
  await d.rec.step(`switch to etcd ${to.version}'s etcd, etcdctl and etcdutl for the restore`, async () => {
    if (!cluster.useDist)
      throw new HarnessError('BAD_INPUT', `provider ${cluster.provider} cannot change etcd version`);
    cluster.useDist(to);
  });
}

async function restored(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  const [b, before] = [d.backupPoint, d.beforeDisaster];
  if (!b || !before)
    throw new HarnessError('STRATEGY', 'the backup point or the pre-disaster state was not read');
  if (d.options.afterRestore) await d.options.afterRestore(cluster);
  const against = d.strategy.restoresTo ?? 'backup-point';
  const r = await d.rec.step('observe restored cluster', () =>
    readRestored(cluster, b, before, d.keep, against),
  );
  d.obs.restored = r.observed;
  d.restored = r.first;
  // Without probes the harness's own reads are the clients: the pre-disaster read and the restored one.
  // A load writing during the rebuild is a client too: its first write came right after the restored start.
  const firstLoadAck = firstAckAfterDisaster(d);
  d.obs.revisions = {
    maxSeenBeforeDisaster: before.revision,
    firstSeenAfterDisaster: Math.min(r.first.revision, firstLoadAck - 1),
  };
  if (d.loads?.length)
    await observeInto(d, 'writeLoad', "the write load's acknowledged writes on the restored cluster", () =>
      ackedLoads(cluster, d.loads ?? [], d.artifact?.revision),
    );
}

/** The lowest revision a write load acknowledged after the disaster (Infinity when none did). */
function firstAckAfterDisaster(d: DrillContext): number {
  const after = (d.loads ?? []).filter((l) => AFTER_DISASTER.includes(l.phase));
  let first = Number.POSITIVE_INFINITY;
  for (const l of after) for (const w of l.load.log.acked) first = Math.min(first, w.revision);
  return first;
}

async function assess(d: DrillContext): Promise<void> {
  const cluster = clusterOf(d);
  await observeInto(d, 'integrity', 'integrity: hashkv on every member at one revision, alarms', async () => {
    const v = await readIntegrity(cluster);
    const { revision, hashes, alarms, ...more } = v;
    return { revision, hashes, alarms, outcome: integrityOutcome(v), evidence: more };
  });
  const revs = d.obs.revisions;
  if (!revs) return;
  // Below the restored start, and no higher than a revision a client saw before the disaster: when the
  // restore moved forward, probes writing before their first read must not make the start look later.
  const below = Math.min(revs.firstSeenAfterDisaster, revs.maxSeenBeforeDisaster + 1);
  try {
    const readable = await d.rec.step(`can revision ${below - 1} (below the restored start) be read?`, () =>
      historyReadable(cluster, below),
    );
    if (readable !== undefined) d.obs.revisions = { ...revs, historyBelowStartReadable: readable };
  } catch (err) {
    lost(d, 'revisions', err);
  }
}

/**
 * Each phase's own body; `close` runs after the extensions' hooks (the pre-disaster read must see
 * what they wrote after the backup).
 */
export const PHASE_BODIES: Record<
  Phase,
  { body?: (d: DrillContext) => Promise<void>; close?: (d: DrillContext) => Promise<void> }
> = {
  start: { body: start },
  seed: { body: seed },
  backup: { body: backup },
  'after-backup': { body: afterBackup, close: beforeDisaster },
  disaster: {}, // its faults are the disaster (lose-every-member by default)
  restore: { body: restore },
  restored: { body: restored },
  assess: { body: assess },
};
