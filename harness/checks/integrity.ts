import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { withV3 } from '../etcd/api.ts';

/** What `endpoint hashkv` and `alarm list` say about a cluster at one revision. */
export interface IntegrityView {
  /** The revision every member hashed. */
  readonly revision: number;
  readonly hashes: readonly {
    readonly member: string;
    readonly hash: number;
    readonly compactRevision?: number;
  }[];
  /** Raised alarms, as "NOSPACE on <member id>". */
  readonly alarms: readonly string[];
  /** A first look whose hashes differed, when later looks agreed. */
  readonly transientMismatch?: IntegrityView;
}

/**
 * Hashes the keyspace on every running member at the same revision (the lowest any has applied, so
 * none answers "future revision"), and lists alarms. Probes keep writing meanwhile; a fixed revision
 * makes that harmless.
 */
export async function readIntegrity(cluster: Cluster): Promise<IntegrityView> {
  // A mismatch must hold on a second and third look, at later revisions, to count: seen once on 3.3.25
  // (s7) and gone on the next look, which a member still settling after `member add` explains.
  const first = await hashOnce(cluster);
  if (integrityOutcome(first) !== 'hash mismatch') return first;
  let again = first;
  for (let look = 2; look <= 3 && integrityOutcome(again) === 'hash mismatch'; look++) {
    await sleep(1000);
    again = await hashOnce(cluster);
  }
  return integrityOutcome(again) === 'hash mismatch' ? again : { ...again, transientMismatch: first };
}

async function hashOnce(cluster: Cluster): Promise<IntegrityView> {
  const members = cluster.members.filter((m) => m.running);
  const revs = await Promise.all(
    members.map((m) =>
      withV3(cluster.access([m]), async (c) =>
        Number((await c.kv.range({ key: Buffer.from([0]), serializable: true, limit: 1 })).header.revision),
      ),
    ),
  );
  const revision = Math.min(...revs);
  const hashes = await Promise.all(
    members.map(async (m) => {
      for (let attempt = 1; ; attempt++) {
        try {
          // etcdctl: neither etcd3's client nor the JSON gateway offers HashKV.
          const out = await cluster.etcdctl(['endpoint', 'hashkv', '--rev', String(revision), '-w', 'json'], {
            endpoints: [m],
          });
          const [row] = JSON.parse(out.stdout) as { HashKV: { hash: number; compact_revision?: number } }[];
          if (row?.HashKV.hash === undefined) throw new Error(`no hash in: ${out.stdout.slice(0, 200)}`);
          return { member: m.name, hash: row.HashKV.hash, compactRevision: row.HashKV.compact_revision ?? 0 };
        } catch (err) {
          // A member that cannot hash leaves the check ungraded: never "consistent" by default.
          if (attempt >= 5) {
            throw new HarnessError(
              'CLUSTER_UNHEALTHY',
              `HashKV at revision ${revision} failed on ${m.name}`,
              {
                cause: err,
              },
            );
          }
          await sleep(200);
        }
      }
    }),
  );
  const alarms = await withV3(cluster.access(), async (c) => {
    const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' });
    return res.alarms.map((a) => `${a.alarm} on ${a.memberID}`);
  });
  return { revision, hashes, alarms };
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

/** consistent / hash mismatch / alarm, as the integrity check reports it. */
export function integrityOutcome(v: IntegrityView): 'consistent' | 'hash mismatch' | 'alarm' {
  if (v.alarms.length > 0) return 'alarm';
  const distinct = new Set(v.hashes.map((h) => h.hash));
  return distinct.size <= 1 ? 'consistent' : 'hash mismatch';
}
