import type { Cluster, Member } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { withV3 } from '../etcd/api.ts';
import { answer, poll } from '../util/poll.ts';

/**
 * consistent: every member running, all hash alike, no alarm. transient mismatch: hashes differed and
 * agreed again within three looks. hash mismatch: they differed on all three. incomplete: a member is
 * not running (or none could be hashed), so agreement cannot be claimed. alarm: an alarm is raised.
 */
export const INTEGRITY_OUTCOMES = [
  'consistent',
  'transient mismatch',
  'hash mismatch',
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
  return { ...r.last, looks: looks.map(({ revision, hashes }) => ({ revision, hashes })) };
}

function differ(v: IntegrityLook): boolean {
  return new Set(v.hashes.map((h) => h.hash)).size > 1;
}

async function hashOnce(cluster: Cluster): Promise<IntegrityView> {
  const members = cluster.members.filter((m) => m.running);
  const missing = cluster.members.filter((m) => !m.running).map((m) => m.name);
  const gone = missing.length > 0 ? { missing } : {};
  if (members.length === 0) return { revision: 0, hashes: [], alarms: [], ...gone };
  const revs = await Promise.all(
    members.map((m) =>
      withV3(cluster.access([m]), async (c) =>
        Number((await c.kv.range({ key: Buffer.from([0]), serializable: true, limit: 1 })).header.revision),
      ),
    ),
  );
  const revision = Math.min(...revs);
  const hashes = await Promise.all(members.map((m) => hashMember(cluster, m, revision)));
  const alarms = await withV3(cluster.access(), async (c) => {
    const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' });
    return res.alarms.map((a) => `${a.alarm} on ${a.memberID}`);
  });
  return { revision, hashes, alarms, ...gone };
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
  if (differ(v)) return 'hash mismatch';
  if ((v.missing?.length ?? 0) > 0 || v.hashes.length === 0) return 'incomplete';
  return v.looks?.some(differ) ? 'transient mismatch' : 'consistent';
}
