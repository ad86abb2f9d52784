import { createHash } from 'node:crypto';
import { compareKeys, sortedEntries } from '../checks/merge.ts';
import { type Provenance, ProvenanceStream, provenance, type RestoreTarget } from '../checks/provenance.ts';
import { countByType } from '../checks/registry.ts';
import type { Cluster, HealthReport } from '../cluster/types.ts';
import {
  type Access,
  currentRevision,
  digest,
  dumpV2,
  dumpV3,
  type Keyset,
  type MemberInfo,
  memberStatus,
  scanV3,
} from '../etcd/api.ts';
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
function comparedBy(keep: KeyFilter): KeyFilter {
  return (k) => !k.startsWith(PROBE_PREFIX) && !isAfterDisasterLoadKey(k) && keep(k);
}

/** A keyset's count and one sha256 over its keys and digests in key order, fed key by key. */
export class KeysetHasher {
  readonly #h = createHash('sha256');
  #count = 0;
  #prev: string | undefined;
  add(key: string, digest: string): void {
    if (this.#prev !== undefined && compareKeys(this.#prev, key) >= 0)
      throw new Error(`keys out of order: "${key}" after "${this.#prev}"`);
    this.#prev = key;
    this.#count++;
    this.#h.update(`${key}=${digest}\n`);
  }
  result(): KeysetSummary {
    return { count: this.#count, sha256: this.#h.digest('hex') };
  }
}

export function summarize(keys: Keyset): KeysetSummary {
  const h = new KeysetHasher();
  for (const [k, v] of sortedEntries(keys)) h.add(k, v);
  return h.result();
}

/** The v2 data, or none where the cluster serves no v2 API (an etcd without one: the drill's v2 part is not applicable). */
function v2Of(cluster: Cluster, a: Access): Promise<Keyset> {
  return cluster.spec.enableV2 ? dumpV2(a) : Promise.resolve(new Map());
}

/** Both APIs through the cluster's endpoints (a read of the cluster, not of each member). */
export async function readData(cluster: Cluster, keep: KeyFilter): Promise<DataPoint> {
  const a = cluster.access();
  const [v2, v3] = await Promise.all([v2Of(cluster, a), dumpV3(a, {}, comparedBy(keep))]);
  return { v2, v3: v3.keys, revision: v3.revision };
}

/**
 * The v3 data at one past revision: under write load the backup holds the snapshot's revision, not the
 * moment the harness read the cluster.
 */
export async function readV3At(cluster: Cluster, revision: number, keep: KeyFilter): Promise<Keyset> {
  return (await dumpV3(cluster.access(), { revision }, comparedBy(keep))).keys;
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

function memberData(r: KeysetSummary, p: Provenance, against: RestoreTarget): MemberData {
  return {
    outcome: p.outcome,
    ...(against === 'pre-disaster' ? { against } : {}),
    keys: r,
    expected: p.diff.expected,
    same: p.diff.same,
    missing: p.diff.counts.missing,
    extra: p.diff.counts.extra,
    changed: p.diff.counts.changed,
    firstMissing: p.diff.missing.slice(0, 10),
    firstExtra: p.diff.extra.slice(0, 10),
    firstChanged: p.diff.changed.slice(0, 10),
    postBackupSeen: p.postBackupSeen.slice(0, 10),
    lostAfterBackup: p.lostAfterBackup.length,
    firstLost: p.lostAfterBackup.slice(0, 10),
  };
}

/** One member's v3 data compared as it is read (page by page, nothing held); `hold` keeps it as well. */
async function readMemberV3(
  a: Access,
  b: DataPoint,
  d: DataPoint,
  keep: KeyFilter,
  against: RestoreTarget,
  hold: boolean,
): Promise<{ summary: KeysetSummary; provenance: Provenance; keys?: Keyset }> {
  const p = new ProvenanceStream(b.v3, d.v3, against);
  const h = new KeysetHasher();
  const held: Keyset | undefined = hold ? new Map() : undefined;
  const wanted = comparedBy(keep);
  for await (const page of scanV3(a)) {
    for (const kv of page.kvs) {
      const k = kv.key.toString('utf8');
      if (!wanted(k)) continue;
      const v = digest(kv.value);
      p.add(k, v);
      h.add(k, v);
      held?.set(k, v);
    }
  }
  return { summary: h.result(), provenance: p.finish(), ...(held ? { keys: held } : {}) };
}

/**
 * The restored cluster, every running member read on its own against the backup point `b` and the
 * cluster just before the disaster `d` (`against`: which one it should equal): members that disagree are a finding a cluster-wide read would
 * hide (seen: members added after an S4 restore got the WAL's data, not the first member's db).
 * Each member is compared as it is read; only the first member's keys are kept (`first`, for what
 * comes after: the probes' writes after the restore).
 */
export async function readRestored(
  cluster: Cluster,
  b: DataPoint,
  d: DataPoint,
  keep: KeyFilter,
  against: RestoreTarget = 'backup-point',
): Promise<{ observed: NonNullable<Observations['restored']>; first: DataPoint }> {
  const [revision, membership, health] = await Promise.all([
    currentRevision(cluster.access()),
    membershipView(cluster),
    answeredHealth(cluster),
  ]);
  const running = cluster.members.filter((m) => m.running);
  const replicas = await Promise.all(
    running.map(async (m, i) => {
      const one = cluster.access([m]);
      const [r2, r3] = await Promise.all([
        v2Of(cluster, one),
        readMemberV3(one, b, d, keep, against, i === 0),
      ]);
      return { name: m.name, v2: r2, v3: r3 };
    }),
  );
  const firstV3 = replicas[0]?.v3.keys ?? (await dumpV3(cluster.access(), {}, comparedBy(keep))).keys;
  const first = { v2: replicas[0]?.v2 ?? new Map(), v3: firstV3 };
  return {
    first: { v2: first.v2, v3: first.v3, revision },
    observed: {
      members: replicas.map((r) => ({
        name: r.name,
        v2: memberData(summarize(r.v2), provenance(b.v2, d.v2, r.v2, against), against),
        v3: memberData(r.v3.summary, r.v3.provenance, against),
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
      revision,
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
