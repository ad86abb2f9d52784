import type { Cluster, Member } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { memberStatus, withV3 } from '../etcd/api.ts';
import { answer, poll } from '../util/poll.ts';

/**
 * consistent: every member running, all hash alike, no alarm. transient mismatch: hashes differed and
 * agreed again within three looks. hash mismatch: they differed on all three. revision mismatch: the
 * hashes agree, but the members' revisions cannot come from one history (below), on all three looks.
 * incomplete: a member is not running (or none could be hashed), so agreement cannot be claimed.
 * alarm: an alarm is raised.
 */
export const INTEGRITY_OUTCOMES = [
  'consistent',
  'transient mismatch',
  'hash mismatch',
  'revision mismatch',
  'incomplete',
  'alarm',
] as const;
export type IntegrityOutcome = (typeof INTEGRITY_OUTCOMES)[number];

/** One look: every running member's hash at one revision. */
export interface IntegrityLook {
  /** The revision every member hashed. */
  readonly revision: number;
  readonly hashes: readonly {
    readonly member: string;
    readonly hash: number;
    readonly compactRevision?: number;
  }[];
  /** Each member's own revision and raft index when it was asked for them. */
  readonly positions?: readonly MemberPosition[];
}

export interface MemberPosition {
  readonly member: string;
  readonly revision: number;
  readonly raftIndex: number;
  /** false on 3.3: raftIndex is the committed index, which may run ahead of what it applied. */
  readonly applied: boolean;
}

/** What `endpoint hashkv` and `alarm list` say about a cluster at one revision (the last look). */
export interface IntegrityView extends IntegrityLook {
  /** Raised alarms, as "NOSPACE on <member id>". */
  readonly alarms: readonly string[];
  /** Members not running: not hashed, so the comparison is incomplete. */
  readonly missing?: readonly string[];
  /** Every look, when the first one's hashes differed (with their revisions). */
  readonly looks?: readonly IntegrityLook[];
}

const LOOKS = 3;

/**
 * Hashes the keyspace on every running member at the same revision (the lowest any has applied, so
 * none answers "future revision"), and lists alarms. Probes keep writing meanwhile; a fixed revision
 * makes that harmless. Throws when a running member cannot be hashed: that is unknown, not an outcome.
 */
export async function readIntegrity(cluster: Cluster): Promise<IntegrityView> {
  // A mismatch must hold on a second and third look, at later revisions, to count: seen once on 3.3.25
  // (s7) and gone on the next look, which a member still settling after `member add` explains.
  const looks: IntegrityView[] = [];
  const r = await poll(
    async () => {
      const v = await hashOnce(cluster);
      looks.push(v);
      return v;
    },
    {
      boundMs: Number.POSITIVE_INFINITY,
      intervalMs: 1000,
      signal: cluster.ctx.signal,
      what: 'hashing the members',
      done: (v) => !differ(v) || looks.length >= LOOKS,
    },
  );
  if (looks.length === 1) return r.last;
  return {
    ...r.last,
    looks: looks.map(({ revision, hashes, positions }) => ({
      revision,
      hashes,
      ...(positions ? { positions } : {}),
    })),
  };
}

function differ(v: IntegrityLook): boolean {
  return hashesDiffer(v) || historiesDiffer(v.positions ?? []);
}

const hashesDiffer = (v: IntegrityLook) => new Set(v.hashes.map((h) => h.hash)).size > 1;

/**
 * Members of one cluster apply one raft log, and an entry raises the revision by one at most: a member
 * ahead by n entries is ahead by at most n revisions. Further apart, their stores began from different
 * states (one restored, one left empty), and hashes at the lowest common revision can agree on nothing
 * at all (a restored member's keys all lie above an empty member's revision). SLACK where a member
 * gives only its committed index (3.3), which may run ahead of what it applied.
 */
const SLACK = 10;

export function historiesDiffer(ps: readonly MemberPosition[]): boolean {
  return ps.some((a) =>
    ps.some(
      (b) =>
        a.revision - b.revision >
        Math.max(0, a.raftIndex - b.raftIndex) + (a.applied && b.applied ? 0 : SLACK),
    ),
  );
}

async function hashOnce(cluster: Cluster): Promise<IntegrityView> {
  const members = cluster.members.filter((m) => m.running);
  const missing = cluster.members.filter((m) => !m.running).map((m) => m.name);
  const gone = missing.length > 0 ? { missing } : {};
  if (members.length === 0) return { revision: 0, hashes: [], alarms: [], ...gone };
  const positions = await Promise.all(
    members.map(async (m) => {
      const s = await memberStatus(m.clientUrl, cluster.dist.version, cluster.access().tls);
      return { member: m.name, revision: s.revision, raftIndex: s.raftIndex, applied: s.raftIndexApplied };
    }),
  );
  const revision = Math.min(...positions.map((p) => p.revision));
  const hashes = await Promise.all(members.map((m) => hashMember(cluster, m, revision)));
  const alarms = await withV3(cluster.access(), async (c) => {
    const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' });
    return res.alarms.map((a) => `${a.alarm} on ${a.memberID}`);
  });
  return { revision, hashes, positions, alarms, ...gone };
}

/** `endpoint hashkv` on one member, tried five times: a member that cannot hash leaves the check ungraded. */
async function hashMember(cluster: Cluster, m: Member, revision: number) {
  let attempts = 0;
  const hash = async () => {
    // etcdctl: neither etcd3's client nor the JSON gateway offers HashKV.
    const out = await cluster.etcdctl(['endpoint', 'hashkv', '--rev', String(revision), '-w', 'json'], {
      endpoints: [m],
    });
    const [row] = JSON.parse(out.stdout) as { HashKV: { hash: number; compact_revision?: number } }[];
    if (row?.HashKV.hash === undefined) throw new Error(`no hash in: ${out.stdout.slice(0, 200)}`);
    return { member: m.name, hash: row.HashKV.hash, compactRevision: row.HashKV.compact_revision ?? 0 };
  };
  const r = await poll(
    () => {
      attempts++;
      return answer(hash, cluster.ctx.signal);
    },
    {
      boundMs: Number.POSITIVE_INFINITY,
      intervalMs: 200,
      signal: cluster.ctx.signal,
      what: `hashing ${m.name}`,
      done: (got) => got.ok || attempts >= 5,
    },
  );
  if (r.last.ok) return r.last.value;
  throw new HarnessError('CLUSTER_UNHEALTHY', `HashKV at revision ${revision} failed on ${m.name}`, {
    cause: r.last.error,
  });
}

/**
 * Can the revision just below `revision` still be read? false means compacted: what
 * --mark-compacted arranges so that watchers resuming from an older revision are told to relist.
 */
export async function historyReadable(cluster: Cluster, revision: number): Promise<boolean | undefined> {
  if (revision <= 1) return undefined;
  return withV3(cluster.access(), (c) =>
    c.kv.range({ key: Buffer.from([0]), limit: 1, revision: String(revision - 1) }).then(
      () => true,
      (err: Error) => {
        if (/compacted/i.test(err.message)) return false;
        throw err;
      },
    ),
  );
}

/**
 * The outcome of a view. A mismatch that held on every look is a finding even with a member missing;
 * otherwise a missing member (or no hash at all) makes agreement unclaimable: incomplete.
 */
export function integrityOutcome(v: IntegrityView): IntegrityOutcome {
  if (v.alarms.length > 0) return 'alarm';
  if (hashesDiffer(v)) return 'hash mismatch';
  if (historiesDiffer(v.positions ?? [])) return 'revision mismatch';
  if ((v.missing?.length ?? 0) > 0 || v.hashes.length === 0) return 'incomplete';
  return v.looks?.some(differ) ? 'transient mismatch' : 'consistent';
}
