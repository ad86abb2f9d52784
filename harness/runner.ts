import { v2Fixture, v3Fixture } from '../fixtures/index.ts';
import { classify, diffKeysets, summarizeDiff } from './checks/diff.ts';
import type { Cluster, ClusterSpec, HealthReport, Provider } from './cluster/types.ts';
import type { RunContext } from './context.ts';
import { type SerializedError, serializeError } from './errors.ts';
import {
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
}

/** What is read from a cluster at one moment: the data of both APIs, and who its members are. */
interface Snapshot {
  readonly v2: Keyset;
  readonly v3: Keyset;
  readonly revision: number;
  readonly membership: MembershipView;
  readonly health: HealthReport;
}

async function observe(cluster: Cluster): Promise<Snapshot> {
  const eps = cluster.access();
  const [v2, v3, members, health] = await Promise.all([
    dumpV2(eps),
    dumpV3(eps),
    cluster.memberList(),
    cluster.health(cluster.members),
  ]);
  const clusterId = await clusterIdOf(cluster);
  return { v2, v3: v3.keys, revision: v3.revision, membership: view(members, clusterId), health };
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
  let error: SerializedError | undefined;
  let kept: ScenarioResult['kept'];
  const scope = new Scope();
  try {
    const cluster = scope.use(await o.provider.create(spec, dist, ctx, s.id));
    if (o.logsDir) {
      const dir = o.logsDir;
      scope.defer(() => cluster.collectLogs(dir)); // runs after the members stopped: logs are complete
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

  const checks = before && after ? evaluate(s, dist.version, before, after) : [];
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
export function evaluate(s: Scenario, version: string, before: Snapshot, after: Snapshot): CheckResult[] {
  const data = (api: 'v2' | 'v3', title: string): CheckResult => {
    const diff = diffKeysets(before[api], after[api]);
    const observed = classify(diff);
    const exp = expectationFor(s.expect[api], version);
    return {
      id: `${api}-data`,
      title,
      expected: exp.outcome,
      observed,
      verdict: observed === exp.outcome ? 'as-expected' : 'unexpected',
      source: exp.source,
      details: summarizeDiff(diff),
    };
  };
  const h = after.health;
  const membersBack = after.membership.members.length;
  const healthy = h.members.filter((m) => m.healthy).length;
  const observedMembership =
    h.up && membersBack === s.cluster.size && healthy === s.cluster.size ? 'healthy' : 'degraded';
  const expM = expectationFor(s.expect.membership, version);
  return [
    data('v3', 'v3 keys: every key and value at backup time, and nothing else'),
    data('v2', 'v2 entries: every entry at backup time, and nothing else'),
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
