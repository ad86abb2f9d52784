import { createHash } from 'node:crypto';
import { provenance, type RestoreTarget } from '../checks/provenance.ts';
import { countByType } from '../checks/registry.ts';
import type { Cluster, HealthReport } from '../cluster/types.ts';
import { dumpV2, dumpV3, type Keyset, type MemberInfo, memberStatus } from '../etcd/api.ts';
import { PROBE_PREFIX } from '../probes/types.ts';
import type { KeysetSummary, MemberData, MembershipView, Observations } from '../result.ts';
import { poll } from '../util/poll.ts';
import { isAfterDisasterLoadKey } from './load.ts';

/** Which v3 keys the data checks compare. */
export type KeyFilter = (key: string) => boolean;

export const everyKey: KeyFilter = () => true;

/** Both APIs' data as the harness read it, kept in memory between phases (only summaries are reported). */
export interface DataPoint {
  readonly v2: Keyset;
  readonly v3: Keyset;
  readonly revision: number;
}

/** Never what the probes write, nor a write load after the disaster: both write to the restored cluster. */
function compared(keys: Keyset, keep: KeyFilter): Keyset {
  return new Map(
    [...keys].filter(([k]) => !k.startsWith(PROBE_PREFIX) && !isAfterDisasterLoadKey(k) && keep(k)),
  );
}

export function summarize(keys: Keyset): KeysetSummary {
  const h = createHash('sha256');
  for (const [k, v] of [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) h.update(`${k}=${v}\n`);
  return { count: keys.size, sha256: h.digest('hex') };
}

/** Both APIs through the cluster's endpoints (a read of the cluster, not of each member). */
export async function readData(cluster: Cluster, keep: KeyFilter): Promise<DataPoint> {
  const a = cluster.access();
  const [v2, v3] = await Promise.all([dumpV2(a), dumpV3(a)]);
  return { v2, v3: compared(v3.keys, keep), revision: v3.revision };
}

/**
 * The v3 data at one past revision: under write load the backup holds the snapshot's revision, not the
 * moment the harness read the cluster.
 */
export async function readV3At(cluster: Cluster, revision: number, keep: KeyFilter): Promise<Keyset> {
  return compared((await dumpV3(cluster.access(), { revision })).keys, keep);
}

export async function membershipView(cluster: Cluster): Promise<MembershipView> {
  const [members, clusterId] = await Promise.all([cluster.memberList(), clusterIdOf(cluster)]);
  return view(members, clusterId);
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

function memberData(b: Keyset, d: Keyset, r: Keyset, against: RestoreTarget): MemberData {
  const p = provenance(b, d, r, against);
  return {
    outcome: p.outcome,
    ...(against === 'pre-disaster' ? { against } : {}),
    keys: summarize(r),
    expected: p.diff.expected,
    same: p.diff.same,
    missing: p.diff.missing.length,
    extra: p.diff.extra.length,
    changed: p.diff.changed.length,
    firstMissing: p.diff.missing.slice(0, 10),
    firstExtra: p.diff.extra.slice(0, 10),
    firstChanged: p.diff.changed.slice(0, 10),
    postBackupSeen: p.postBackupSeen.slice(0, 10),
    lostAfterBackup: p.lostAfterBackup.length,
    firstLost: p.lostAfterBackup.slice(0, 10),
  };
}

/**
 * The restored cluster, every running member read on its own against the backup point `b` and the
 * cluster just before the disaster `d` (`against`: which one it should equal): members that disagree are a finding a cluster-wide read would
 * hide (seen: members added after an S4 restore got the WAL's data, not the first member's db).
 */
export async function readRestored(
  cluster: Cluster,
  b: DataPoint,
  d: DataPoint,
  keep: KeyFilter,
  against: RestoreTarget = 'backup-point',
): Promise<{ observed: NonNullable<Observations['restored']>; first: DataPoint }> {
  const [v3, membership, health] = await Promise.all([
    dumpV3(cluster.access()),
    membershipView(cluster),
    answeredHealth(cluster),
  ]);
  const replicas = await Promise.all(
    cluster.members
      .filter((m) => m.running)
      .map(async (m) => {
        const one = cluster.access([m]);
        const [r2, r3] = await Promise.all([dumpV2(one), dumpV3(one)]);
        return { name: m.name, v2: r2, v3: compared(r3.keys, keep) };
      }),
  );
  const first = replicas[0] ?? { v2: new Map(), v3: compared(v3.keys, keep) };
  return {
    first: { v2: first.v2, v3: first.v3, revision: v3.revision },
    observed: {
      members: replicas.map((r) => ({
        name: r.name,
        v2: memberData(b.v2, d.v2, r.v2, against),
        v3: memberData(b.v3, d.v3, r.v3, against),
      })),
      membership,
      health: {
        up: health.up,
        leaders: health.leaders.length,
        members: health.members.map((m) => ({
          name: m.name,
          running: m.running,
          healthy: m.healthy,
          answered: !m.running || m.answered !== false,
          ...(m.reason ? { reason: m.reason } : {}),
        })),
      },
      revision: v3.revision,
      byType: countByType(first.v3.keys()),
    },
  };
}

/**
 * Every member's health, looked at again (up to 10 s) while a running member gives no answer at
 * all: a busy machine must not read as an unhealthy member.
 */
async function answeredHealth(cluster: Cluster): Promise<HealthReport> {
  const r = await poll(() => cluster.health(cluster.members), {
    boundMs: 10_000,
    intervalMs: 500,
    signal: cluster.ctx.signal,
    what: 'reading member health',
    done: (h) => h.members.every((m) => !m.running || m.answered !== false),
  });
  return r.last;
}

/** The backup point as reported: summaries, revision, membership, per-type counts. */
export async function describeBackupPoint(
  cluster: Cluster,
  p: DataPoint,
): Promise<NonNullable<Observations['backupPoint']>> {
  return {
    v2: summarize(p.v2),
    v3: summarize(p.v3),
    revision: p.revision,
    membership: await membershipView(cluster),
    byType: countByType(p.v3.keys()),
  };
}
