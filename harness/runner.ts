import { v2Fixture, v3Fixture } from '../fixtures/index.ts';
import { summarizeDiff } from './checks/diff.ts';
import { provenance } from './checks/provenance.ts';
import type { Cluster, ClusterSpec, HealthReport, Provider } from './cluster/types.ts';
import type { RunContext } from './context.ts';
import { type SerializedError, serializeError } from './errors.ts';
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
import type { CheckResult, MembershipView, ScenarioResult, StepResult } from './result.ts';
import { mergeVerdicts } from './result.ts';
import { expectationFor, type Scenario } from './scenario.ts';
import { Scope } from './scope.ts';
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

async function observe(cluster: Cluster): Promise<Snapshot> {
  const eps = cluster.access();
  const [v3, members, health] = await Promise.all([
    dumpV3(eps),
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
        return { name: m.name, v2: r2, v3: r3.keys };
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

async function observeData(cluster: Cluster): Promise<Pick<Snapshot, 'v2' | 'v3'>> {
  const a = cluster.access();
  const [v2, v3] = await Promise.all([dumpV2(a), dumpV3(a)]);
  return { v2, v3: v3.keys };
}

export const MARKER_KEY = '/etcd-drill/after-backup';

/**
 * Acknowledged writes after the backup, in both APIs: a new marker key, a changed key and a deleted
 * key. A restore from the backup alone shows none of them; what it loses of them is the RPO.
 */
async function writeAfterBackup(a: Access, b: Snapshot): Promise<Record<string, string[]>> {
  const stamp = new Date().toISOString();
  const v2leaves = [...b.v2].filter(([, v]) => v !== '<dir>').map(([k]) => k);
  return {
    v3: await writeAfter(
      [...b.v3.keys()],
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
  let beforeDisaster: Pick<Snapshot, 'v2' | 'v3'> | undefined;
  let error: SerializedError | undefined;
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
    await rec.step('seed fixtures', async () => {
      const v2 = v2Fixture(s.fixtures.v2, fixtureOpts);
      const v3 = v3Fixture(s.fixtures.v3, fixtureOpts);
      await putAllV2(cluster.access(), v2);
      await putAllV3(cluster.access(), v3);
      notes.seeded = { v2: v2.length, v3: v3.length };
    });
    // Read back from etcd, never from what we think we wrote.
    before = await rec.step('observe backup point', () => observe(cluster));
    const artifact = await rec.step('backup', () => strategy.backup(cluster, rec));
    notes.backup = { sha256: artifact.sha256, bytes: artifact.bytes, revision: artifact.revision };
    // Writes the backup cannot hold: seen after the restore, they prove the data came from elsewhere.
    notes.postBackupWrites = await rec.step('write after the backup (markers, a change, a deletion)', () =>
      writeAfterBackup(cluster.access(), before as Snapshot),
    );
    if (o.beforeDisaster) await o.beforeDisaster(cluster, artifact.files);
    beforeDisaster = await rec.step('observe the cluster just before the disaster', () =>
      observeData(cluster),
    );
    await rec.step('disaster: stop every member and lose its data dir', async () => {
      await cluster.stopAll();
      for (const m of cluster.members) await m.wipe();
    });
    await rec.step('restore', () => strategy.restore(artifact, cluster, rec));
    if (o.afterRestore) await o.afterRestore(cluster);
    after = await rec.step('observe restored cluster', () => observe(cluster));
    if (o.keep) {
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

  const checks =
    before && beforeDisaster && after ? evaluate(s, dist.version, before, beforeDisaster, after) : [];
  const verdict = error ? 'unknown' : mergeVerdicts(checks);
  return {
    ...base,
    verdict,
    durationMs: Date.now() - t0,
    steps,
    counts: {
      ...(before ? { backup: { v2: before.v2.size, v3: before.v3.size } } : {}),
      ...(after ? { restored: { v2: after.v2.size, v3: after.v3.size } } : {}),
    },
    revisions: {
      ...(before ? { backup: before.revision } : {}),
      ...(after ? { restored: after.revision } : {}),
    },
    membership: {
      ...(before ? { before: before.membership } : {}),
      ...(after ? { after: after.membership } : {}),
    },
    notes,
    checks,
    ...(error ? { error } : {}),
    ...(kept ? { kept } : {}),
  };
}

/** Compares the backup point with the restored cluster and grades each against the scenario's expectation. */
export function evaluate(
  s: Scenario,
  version: string,
  before: Snapshot,
  beforeDisaster: Pick<Snapshot, 'v2' | 'v3'>,
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
    const exp = expectationFor(s.expect[api], version);
    return {
      id: `${api}-data`,
      title,
      expected: exp.outcome,
      observed,
      verdict: observed === exp.outcome ? 'as-expected' : 'unexpected',
      source: exp.source,
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
  const expM = expectationFor(s.expect.membership, version);
  return [
    data('v3', 'v3 keys: the backup point exactly (every key and value, nothing written after)'),
    data('v2', 'v2 entries: the backup point exactly (every entry, nothing written after)'),
    {
      id: 'membership',
      title: `membership: ${s.cluster.size} members, all healthy, one leader`,
      expected: expM.outcome,
      observed: observedMembership,
      verdict: observedMembership === expM.outcome ? 'as-expected' : 'unexpected',
      source: expM.source,
      details: {
        members: membersBack,
        healthy,
        leaders: h.leaders.length,
        unhealthy: h.members.filter((m) => !m.healthy).map((m) => `${m.name}: ${m.reason ?? 'unhealthy'}`),
      },
    },
  ];
}
