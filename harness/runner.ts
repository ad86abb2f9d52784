import { join } from 'node:path';
import { v2Fixture, v3Fixture } from '../fixtures/index.ts';
import { summarizeDiff } from './checks/diff.ts';
import { historyReadable, type IntegrityView, integrityOutcome, readIntegrity } from './checks/integrity.ts';
import { provenance } from './checks/provenance.ts';
import { typeCounts } from './checks/registry.ts';
import type { Cluster, ClusterSpec, HealthReport, Provider } from './cluster/types.ts';
import type { RunContext } from './context.ts';
import { type HarnessError, Refusal, type SerializedError, serializeError } from './errors.ts';
import {
  type Access,
  deleteV2,
  deleteV3,
  dumpV2,
  dumpV3,
  type Keyset,
  type MemberInfo,
  memberStatus,
  putAllV2,
  putAllV3,
} from './etcd/api.ts';
import type { EtcdDist } from './etcd/dist.ts';
import { type Expectation, judge, sourceText } from './expectations.ts';
import { corruptSnapshots } from './faults/snapshot.ts';
import { K8S_CHECK_TITLES } from './k8s/check-names.ts';
import type { K8sDist } from './k8s/dist.ts';
import { type K8sReport, K8sStage, workloadKey } from './k8s/stage.ts';
import {
  assessProbes,
  PROBE_NAMES,
  PROBE_PREFIX,
  PROBES,
  type ProbeReport,
  type ProbeSet,
  startProbes,
} from './probes/index.ts';
import type { ProbeName } from './probes/types.ts';
import type { CheckResult, MembershipView, ScenarioResult, StepResult } from './result.ts';
import { mergeVerdicts } from './result.ts';
import { DEFAULT_EXPECTATIONS, expectationFor, type Scenario } from './scenario.ts';
import { Scope } from './scope.ts';
import { errorLine, snapshotStatus } from './strategies/common.ts';
import { STRATEGIES } from './strategies/index.ts';
import type { Recorder } from './strategies/types.ts';
import { ctlTlsFlags } from './tls.ts';

export interface RunScenarioOptions {
  readonly scenario: Scenario;
  readonly dist: EtcdDist;
  readonly provider: Provider;
  readonly ctx: RunContext;
  /** v3 key count; overrides the scenario's. */
  readonly objects?: number;
  readonly basePort?: number;
  /** Overrides the scenario's cluster.tls. */
  readonly tls?: boolean;
  /** Leave the restored cluster running (only when the run got that far). */
  readonly keep?: boolean;
  /** Where member logs are copied at the end. */
  readonly logsDir?: string;
  /** Runs on the restored cluster before it is observed: lets a test tamper to prove the checks can fail. */
  readonly afterRestore?: (cluster: Cluster) => Promise<void>;
  /** Run a real Kubernetes control plane over the cluster, seeded through its API, judged in two modes. */
  readonly k8s?: K8sDist;
  /** Run the component probes across the disaster (default true). */
  readonly probes?: boolean;
  /** How long each probe gets to agree with etcd after the restore (and again after a restart). */
  readonly probeBoundMs?: number;
  /** Runs after the post-backup writes, before the disaster: lets a test swap the backup for a later one. */
  readonly beforeDisaster?: (cluster: Cluster, backupFiles: readonly string[]) => Promise<void>;
}

/** What is read from a cluster at one moment: the data of both APIs, and who its members are. */
interface Snapshot {
  readonly v2: Keyset;
  readonly v3: Keyset;
  readonly revision: number;
  readonly membership: MembershipView;
  readonly health: HealthReport;
  /** The data as each running member serves it. */
  readonly replicas: readonly { readonly name: string; readonly v2: Keyset; readonly v3: Keyset }[];
}

/** Which v3 keys the data checks compare. */
type KeyFilter = (key: string) => boolean;

/** Never what the probes write: they keep writing across the restore. */
function compared(keys: Keyset, keep: KeyFilter): Keyset {
  return new Map([...keys].filter(([k]) => !k.startsWith(PROBE_PREFIX) && keep(k)));
}

const everyKey: KeyFilter = () => true;

async function observe(cluster: Cluster, keep: KeyFilter): Promise<Snapshot> {
  const eps = cluster.access();
  const [v3, members, health] = await Promise.all([
    dumpV3(eps).then((d) => ({ ...d, keys: compared(d.keys, keep) })),
    cluster.memberList(),
    cluster.health(cluster.members),
  ]);
  // Each member read on its own: members that disagree are a finding a cluster-wide read would hide
  // (seen: members added after an S4 restore got the WAL's data, not the first member's db).
  const replicas = await Promise.all(
    cluster.members
      .filter((m) => m.running)
      .map(async (m) => {
        const one = cluster.access([m]);
        const [r2, r3] = await Promise.all([dumpV2(one), dumpV3(one)]);
        return { name: m.name, v2: r2, v3: compared(r3.keys, keep) };
      }),
  );
  const [first] = replicas;
  const clusterId = await clusterIdOf(cluster);
  return {
    v2: first?.v2 ?? new Map(),
    v3: first?.v3 ?? v3.keys,
    revision: v3.revision,
    membership: view(members, clusterId),
    health,
    replicas,
  };
}

function sameKeyset(a: Keyset, b: Keyset): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

type DataView = Pick<Snapshot, 'v2' | 'v3' | 'revision'>;

async function observeData(cluster: Cluster, keep: KeyFilter): Promise<DataView> {
  const a = cluster.access();
  const [v2, v3] = await Promise.all([dumpV2(a), dumpV3(a)]);
  return { v2, v3: compared(v3.keys, keep), revision: v3.revision };
}

/**
 * Writes after the restore, as a cluster at work makes them: a new object, a changed one, a deleted
 * one. Probes that follow watches must see them to agree with etcd.
 */
async function writeAfterRestore(a: Access, restored: Keyset): Promise<void> {
  const keys = [...restored.keys()].filter((k) => k.startsWith('/registry/')).sort();
  const stamp = new Date().toISOString();
  await putAllV3(a, [
    { key: '/registry/configmaps/etcd-drill/after-restore', value: stamp },
    ...(keys[1] ? [{ key: keys[1], value: `changed after the restore at ${stamp}` }] : []),
  ]);
  if (keys.length > 3) await deleteV3(a, keys.at(-2) as string);
}

export const MARKER_KEY = '/etcd-drill/after-backup';

/**
 * Acknowledged writes after the backup, in both APIs: a new marker key, a changed key and a deleted
 * key. A restore from the backup alone shows none of them; what it loses of them is the RPO.
 */
async function writeAfterBackup(a: Access, b: Snapshot, rawV3: boolean): Promise<Record<string, string[]>> {
  const stamp = new Date().toISOString();
  const v2leaves = [...b.v2].filter(([, v]) => v !== '<dir>').map(([k]) => k);
  return {
    // Under a real apiserver only the marker: raw bytes in its objects would break its reads.
    v3: await writeAfter(
      rawV3 ? [...b.v3.keys()] : [],
      stamp,
      (key, value) => putAllV3(a, [{ key, value }]),
      (k) => deleteV3(a, k),
    ),
    v2: await writeAfter(
      v2leaves,
      stamp,
      (key, value) => putAllV2(a, [{ key, value }]),
      (k) => deleteV2(a, k),
    ),
  };
}

/** In one API: the marker, a change to the first key, the deletion of the last. Returns the keys touched. */
async function writeAfter(
  keys: readonly string[],
  stamp: string,
  put: (key: string, value: string) => Promise<void>,
  del: (key: string) => Promise<void>,
): Promise<string[]> {
  const [change, ...rest] = [...keys].sort();
  const gone = rest.at(-1);
  await put(MARKER_KEY, stamp);
  if (change) await put(change, `changed after the backup at ${stamp}`);
  if (gone) await del(gone);
  return [MARKER_KEY, ...(change ? [change] : []), ...(gone ? [gone] : [])];
}

async function clusterIdOf(cluster: Cluster): Promise<string | undefined> {
  const [ep] = cluster.endpoints();
  return ep ? (await memberStatus(ep, cluster.dist.version, cluster.access().tls)).clusterId : undefined;
}

function view(members: readonly MemberInfo[], clusterId: string | undefined): MembershipView {
  return {
    ...(clusterId ? { clusterId } : {}),
    members: [...members]
      .map((m) => ({ name: m.name, id: m.id, peerUrls: [...m.peerUrls] }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export async function runScenario(o: RunScenarioOptions): Promise<ScenarioResult> {
  const { scenario: s, dist, ctx } = o;
  const log = ctx.log.child({ scope: s.id });
  const startedAt = new Date();
  const t0 = Date.now();
  const steps: StepResult[] = [];
  const notes: Record<string, unknown> = {};
  const rec: Recorder = {
    async step(title, fn) {
      const start = Date.now();
      log.progress(`${title} …`);
      try {
        const r = await fn();
        steps.push({ title, startMs: start - t0, durationMs: Date.now() - start, ok: true });
        log.progress(`${title}: ok (${((Date.now() - start) / 1000).toFixed(1)}s)`);
        return r;
      } catch (err) {
        steps.push({
          title,
          startMs: start - t0,
          durationMs: Date.now() - start,
          ok: false,
          error: serializeError(err),
        });
        log.progress(`${title}: FAILED (${((Date.now() - start) / 1000).toFixed(1)}s)`);
        throw err;
      }
    },
    note(key, value) {
      notes[key] = value;
    },
  };
  const strategy = STRATEGIES.get(s.strategy);
  const base = {
    scenarioId: s.id,
    title: s.title,
    strategy: s.strategy,
    provider: o.provider.name,
    etcd: { version: dist.version, origin: dist.origin },
    clusterSize: s.cluster.size,
    tls: o.tls ?? s.cluster.tls,
    startedAt: startedAt.toISOString(),
  };
  const support = strategy
    ? await strategy.supports(dist)
    : { ok: false as const, reason: `unknown strategy ${s.strategy}` };
  if (!strategy || !support.ok) {
    const reason = support.ok ? 'unknown strategy' : support.reason;
    log.progress(`not applicable on etcd ${dist.version}: ${reason}`);
    return {
      ...base,
      verdict: 'not-applicable',
      notApplicable: reason,
      durationMs: 0,
      steps,
      counts: {},
      revisions: {},
      membership: {},
      notes,
      checks: [],
    };
  }

  const spec: ClusterSpec = {
    size: s.cluster.size,
    token: s.cluster.token,
    enableV2: true,
    tls: o.tls ?? s.cluster.tls,
    ...(o.basePort !== undefined ? { basePort: o.basePort } : {}),
  };
  const fixtureOpts = { objects: o.objects ?? s.fixtures.objects };
  let before: Snapshot | undefined;
  let after: Snapshot | undefined;
  let beforeDisaster: DataView | undefined;
  let error: SerializedError | undefined;
  let refusal: Refusal | undefined;
  let probes: ProbeSet | undefined;
  let components: ProbeReport[] | undefined;
  let integrity: IntegrityView | undefined;
  let historyBelowStart: boolean | undefined;
  let k8s: K8sStage | undefined;
  let k8sReport: K8sReport | undefined;
  const keep: KeyFilter = o.k8s ? workloadKey : everyKey;
  let seen: ReturnType<ProbeSet['revisionsSeen']> | undefined;
  let kept: ScenarioResult['kept'];
  const scope = new Scope();
  try {
    // One folder per scenario and version: a matrix runs the same scenario on several versions.
    const cluster = scope.use(await o.provider.create(spec, dist, ctx, `${s.id}-${dist.version}`));
    if (o.logsDir) {
      const dir = o.logsDir;
      scope.defer(() => cluster.collectLogs(dir)); // before the cluster's disposal removes its folder
    }
    await rec.step(`start ${spec.size}-member cluster (etcd ${dist.version}, ${o.provider.name})`, () =>
      cluster.start(),
    );
    const k8sDist = o.k8s;
    if (k8sDist) {
      const stage = await rec.step(`start Kubernetes ${k8sDist.version} control plane over the cluster`, () =>
        K8sStage.start(cluster, k8sDist, ctx, join(ctx.workDir, `${s.id}-${dist.version}-k8s`)),
      );
      k8s = scope.use(stage);
      if (o.logsDir) {
        const dir = o.logsDir;
        scope.defer(() => stage.collectLogs(dir)); // before the control plane's disposal
      }
    }
    await rec.step('seed fixtures', async () => {
      const v2 = v2Fixture(s.fixtures.v2, fixtureOpts);
      await putAllV2(cluster.access(), v2);
      if (k8s) {
        // Instead of raw /registry keys: objects the apiserver itself encodes and stores.
        notes.seeded = { v2: v2.length, k8sObjects: await k8s.seed(cluster.access(), rec) };
        return;
      }
      const v3 = v3Fixture(s.fixtures.v3, fixtureOpts);
      await putAllV3(cluster.access(), v3);
      notes.seeded = { v2: v2.length, v3: v3.length };
    });
    if (o.probes ?? true) {
      // Started before the backup and never restarted by the runner: they live through it all, as components do.
      probes = await rec.step(`start component probes (${PROBE_NAMES.join(', ')})`, () =>
        startProbes(cluster.access()),
      );
      const running = probes;
      scope.defer(() => running.stop()); // before the cluster's disposal
    }
    // Read back from etcd, never from what we think we wrote.
    before = await rec.step('observe backup point', () => observe(cluster, keep));
    const artifact = await rec.step('backup', () => strategy.backup(cluster, rec));
    notes.backup = { sha256: artifact.sha256, bytes: artifact.bytes, revision: artifact.revision };
    // Writes the backup cannot hold: seen after the restore, they prove the data came from elsewhere.
    notes.postBackupWrites = await rec.step('write after the backup (markers, a change, a deletion)', () =>
      writeAfterBackup(cluster.access(), before as Snapshot, !k8s),
    );
    if (k8s) {
      const stage = k8s;
      await rec.step('create Kubernetes objects after the backup (a restore must not bring them back)', () =>
        stage.afterBackup(),
      );
    }
    for (const fault of s.faults) {
      notes.faults = await rec.step(`fault: corrupt the snapshot (${fault.how})`, () =>
        corruptSnapshots(artifact.files, fault),
      );
    }
    if (o.beforeDisaster) await o.beforeDisaster(cluster, artifact.files);
    beforeDisaster = await rec.step('observe the cluster just before the disaster', () =>
      observeData(cluster, keep),
    );
    // Killed, not stopped: a disaster gives no graceful shutdown (and etcd's waits on open client streams).
    await rec.step('disaster: kill every member and lose its data dir', async () => {
      for (const m of cluster.members) await m.kill();
      // After the kills: an answer from the old cluster must not count as the restored one's.
      probes?.markDisaster();
      for (const m of cluster.members) await m.wipe();
    });
    const snap = artifact.files.find((f) => f.endsWith('.db'));
    if (snap) {
      // What etcd says of the file it is about to restore (a bit flip passes this; only restore checks the hash).
      notes.snapshotBeforeRestore = await rec.step('snapshot status before restore', () =>
        snapshotStatus(cluster, snap).catch((err: unknown) => ({
          error: errorLine(String((err as HarnessError).details?.stderr ?? (err as Error).message)),
        })),
      );
    }
    try {
      await rec.step('restore', () => strategy.restore(artifact, cluster, rec));
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      refusal = err;
      log.progress(`etcd refused the restore: ${err.quote}`);
    }
    if (!refusal) {
      if (o.afterRestore) await o.afterRestore(cluster);
      after = await rec.step('observe restored cluster', () => observe(cluster, keep));
      const restored = after;
      seen = probes?.revisionsSeen();
      if (probes) {
        const running = probes;
        // With a control plane its own writes (leases, events) play this part.
        if (!k8s) {
          await rec.step('write after the restore (a new object, a change, a deletion)', () =>
            writeAfterRestore(cluster.access(), restored.v3),
          );
        }
        components = await rec.step('components: does each probe agree with etcd (restarted if not)?', () =>
          assessProbes(running, cluster.access(), seen?.maxBefore ?? 0, o.probeBoundMs),
        );
      }
      integrity = await rec.step('integrity: hashkv on every member at one revision, alarms', () =>
        readIntegrity(cluster),
      );
      if (k8s) {
        const stage = k8s;
        const r = await rec.step('Kubernetes: checks with the components kept running, then restarted', () =>
          stage.assess(cluster.access()),
        );
        k8sReport = {
          version: stage.dist.version,
          origin: stage.dist.origin,
          startMs: stage.cp.startMs,
          ...r,
        };
      }
      const startedAt = seen?.minAfter ?? restored.revision;
      historyBelowStart = await rec.step(
        `can revision ${startedAt - 1} (below the restored start) be read?`,
        () => historyReadable(cluster, startedAt),
      );
    }
    if (o.keep && !refusal) {
      cluster.detach();
      kept = {
        endpoints: cluster.endpoints(),
        workDir: ctx.workDir,
        ...(cluster.pki ? { etcdctlFlags: ctlTlsFlags(cluster.pki) } : {}),
      };
    }
  } catch (err) {
    error = serializeError(err);
    log.warn(`scenario stopped by a harness error: ${error.message}`);
  } finally {
    try {
      await scope[Symbol.asyncDispose]();
    } catch (err) {
      error ??= serializeError(err);
    }
  }

  const revisionsSeen = {
    ...(seen && seen.maxBefore > 0
      ? { maxSeenBeforeDisaster: Math.max(seen.maxBefore, beforeDisaster?.revision ?? 0) }
      : {}),
    ...(seen?.minAfter !== undefined ? { firstSeenAfterDisaster: seen.minAfter } : {}),
  };
  const checks = refusal
    ? [restoreCheck(s, dist.version, refusal)]
    : before && beforeDisaster && after && integrity
      ? [
          restoreCheck(s, dist.version),
          ...evaluate(s, dist.version, before, beforeDisaster, after),
          revisionCheck(s, dist.version, beforeDisaster, after, revisionsSeen, historyBelowStart),
          integrityCheck(s, dist.version, integrity),
          ...componentChecks(s, dist.version, components ?? []),
          ...k8sChecks(s, dist.version, k8sReport),
        ]
      : [];
  const verdict = error ? 'unknown' : mergeVerdicts(checks);
  return {
    ...base,
    verdict,
    durationMs: Date.now() - t0,
    steps,
    counts: {
      ...(before ? { backup: { v2: before.v2.size, v3: before.v3.size } } : {}),
      ...(after ? { restored: { v2: after.v2.size, v3: after.v3.size } } : {}),
      ...(before && after ? { byType: typeCounts(before.v3.keys(), after.v3.keys()) } : {}),
    },
    revisions: {
      ...(before ? { backup: before.revision } : {}),
      ...(after ? { restored: after.revision } : {}),
      ...revisionsSeen,
    },
    membership: {
      ...(before ? { before: before.membership } : {}),
      ...(after ? { after: after.membership } : {}),
    },
    notes,
    checks,
    ...(components ? { components } : {}),
    ...(k8sReport ? { k8s: k8sReport } : {}),
    ...(refusal ? { refusal: { step: refusal.step, outcome: refusal.outcome, quote: refusal.quote } } : {}),
    ...(error ? { error } : {}),
    ...(kept ? { kept } : {}),
  };
}

/** Compares the backup point with the restored cluster and grades each against the scenario's expectation. */
export function evaluate(
  s: Scenario,
  version: string,
  before: Snapshot,
  beforeDisaster: DataView,
  after: Snapshot,
): CheckResult[] {
  const data = (api: 'v2' | 'v3', title: string): CheckResult => {
    const perMember = after.replicas.map((r) => ({
      name: r.name,
      p: provenance(before[api], beforeDisaster[api], r[api]),
    }));
    const p = perMember[0]?.p ?? provenance(before[api], beforeDisaster[api], after[api]);
    const agree = after.replicas.every((r) => sameKeyset(r[api], after.replicas[0]?.[api] ?? new Map()));
    const observed = agree ? p.outcome : 'divergent';
    const exp = expectationFor(s.expect[api] ?? DEFAULT_EXPECTATIONS.notReached, version);
    return {
      ...graded(`${api}-data`, title, exp, observed),
      details: {
        ...summarizeDiff(p.diff),
        postBackupSeen: p.postBackupSeen.slice(0, 10),
        rpo: { lost: p.lostAfterBackup.length, firstLost: p.lostAfterBackup.slice(0, 10) },
        members: Object.fromEntries(
          perMember.map(({ name, p: mp }) => [name, { outcome: mp.outcome, keys: mp.diff.observed }]),
        ),
      },
    };
  };
  const h = after.health;
  const membersBack = after.membership.members.length;
  const healthy = h.members.filter((m) => m.healthy).length;
  const observedMembership =
    h.up && membersBack === s.cluster.size && healthy === s.cluster.size ? 'healthy' : 'degraded';
  const expM = expectationFor(s.expect.membership ?? DEFAULT_EXPECTATIONS.notReached, version);
  return [
    data('v3', 'v3 keys: the backup point exactly (every key and value, nothing written after)'),
    data('v2', 'v2 entries: the backup point exactly (every entry, nothing written after)'),
    {
      ...graded(
        'membership',
        `membership: ${s.cluster.size} members, all healthy, one leader`,
        expM,
        observedMembership,
      ),
      details: {
        members: membersBack,
        healthy,
        leaders: h.leaders.length,
        unhealthy: h.members.filter((m) => !m.healthy).map((m) => `${m.name}: ${m.reason ?? 'unhealthy'}`),
      },
    },
  ];
}

function graded(
  id: string,
  title: string,
  exp: Expectation,
  observed: string,
  details?: Record<string, unknown>,
): CheckResult {
  const j = judge(exp, observed);
  return {
    id,
    title,
    expected: j.expected,
    observed,
    verdict: j.verdict,
    source: sourceText(j.source),
    ...(details ? { details } : {}),
  };
}

/** Did etcd take the backup for restoring? A refusal quotes etcd and ends the scenario there. */
function restoreCheck(s: Scenario, version: string, refusal?: Refusal): CheckResult {
  const exp = expectationFor(s.expect.restore ?? DEFAULT_EXPECTATIONS.restore, version);
  return graded(
    'restore',
    'restore: etcd accepts the backup',
    exp,
    refusal ? refusal.outcome : 'completed',
    refusal ? { step: refusal.step, etcdSays: refusal.quote } : undefined,
  );
}

/** Revisions clients saw: did the restored cluster hand out revisions below ones already seen? */
function revisionCheck(
  s: Scenario,
  version: string,
  beforeDisaster: DataView,
  after: Snapshot,
  seen: { maxSeenBeforeDisaster?: number; firstSeenAfterDisaster?: number },
  historyBelowStart: boolean | undefined,
): CheckResult {
  const highest = seen.maxSeenBeforeDisaster ?? beforeDisaster.revision;
  // With probes running, the first revision they saw after the disaster is the restored cluster's start;
  // the revision read later has moved on with their writes.
  const restoredAt = seen.firstSeenAfterDisaster ?? after.revision;
  const exp = expectationFor(s.expect.revision ?? DEFAULT_EXPECTATIONS.revision, version);
  return graded(
    'revision',
    'revision: the restored cluster never hands out a revision a client has already seen',
    exp,
    restoredAt < highest ? 'backwards' : 'forward',
    {
      highestSeenBeforeDisaster: highest,
      restoredStartsAt: restoredAt,
      nowAt: after.revision,
      // false: compacted, so a watch resuming below the start is cancelled and its client relists.
      ...(historyBelowStart !== undefined ? { historyBelowStartReadable: historyBelowStart } : {}),
    },
  );
}

function integrityCheck(s: Scenario, version: string, v: IntegrityView): CheckResult {
  const exp = expectationFor(s.expect.integrity ?? DEFAULT_EXPECTATIONS.integrity, version);
  return graded(
    'integrity',
    'integrity: every member hashes the same keyspace, no alarm',
    exp,
    integrityOutcome(v),
    {
      atRevision: v.revision,
      hashes: Object.fromEntries(
        v.hashes.map((h) => [h.member, { hash: h.hash, compactRevision: h.compactRevision }]),
      ),
      alarms: v.alarms,
      ...(v.transientMismatch ? { transientMismatch: v.transientMismatch.hashes } : {}),
    },
  );
}

function componentChecks(s: Scenario, version: string, reports: readonly ProbeReport[]): CheckResult[] {
  return reports.map((r) => {
    const spec = s.expect.components?.[r.probe as ProbeName] ?? DEFAULT_EXPECTATIONS.component;
    const exp = expectationFor(spec, version);
    const kind = PROBES.find((p) => p.name === r.probe);
    return graded(`component-${r.probe}`, `component ${r.probe}: ${kind?.standsFor ?? ''}`, exp, r.outcome, {
      ...(r.recoverMs !== undefined ? { recoverMs: r.recoverMs } : {}),
      ...(r.restartRecoverMs !== undefined ? { afterRestartMs: r.restartRecoverMs } : {}),
      evidence: r.evidence,
      ...(r.afterRestart ? { afterRestart: r.afterRestart } : {}),
      ...(r.warnings ? { warnings: r.warnings } : {}),
    });
  });
}

/** Each control-plane check, graded on its outcome across the two modes. */
function k8sChecks(s: Scenario, version: string, report: K8sReport | undefined): CheckResult[] {
  return (report?.checks ?? []).map((c) => {
    const exp = expectationFor(s.expect.k8s?.[c.check] ?? DEFAULT_EXPECTATIONS.component, version);
    return graded(`k8s-${c.check}`, `Kubernetes: ${K8S_CHECK_TITLES[c.check]}`, exp, c.outcome, {
      keptRunning: { ok: c.kept.ok, ms: c.kept.ms, evidence: c.kept.evidence },
      restarted: { ok: c.restarted.ok, ms: c.restarted.ms, evidence: c.restarted.evidence },
    });
  });
}
