import type { Entry } from '../checks/merge.ts';
import { type Access, currentRevision, digest, forEachPageV3, scanV3, withV3 } from '../etcd/api.ts';
import { type Contents, ContentsTally } from './contents.ts';

const ALL = Buffer.from([0]);

/** Every v3 key with its value's digest in etcd's order, page by page; `onKv` sees each value once. */
export async function* keyspaceEntries(
  a: Access,
  onKv: (key: string, value: Buffer, revision: number) => void = () => {},
): AsyncGenerator<Entry> {
  for await (const page of scanV3(a)) {
    for (const kv of page.kvs) {
      const k = kv.key.toString('utf8');
      onKv(k, kv.value, page.revision);
      yield [k, digest(kv.value)];
    }
  }
}

/**
 * What the keyspace holds, tallied as it is read (nothing held). With `diff`, the entries (keys and
 * value digests) go on to it (a diff with a live cluster) and are tallied as they pass; without, no
 * value is hashed at all.
 */
export async function readKeyspace(
  a: Access,
  diff?: (entries: AsyncIterable<Entry>) => Promise<void>,
): Promise<{ contents: Contents; revision: number }> {
  const tally = new ContentsTally();
  let revision = 0;
  if (diff)
    await diff(
      keyspaceEntries(a, (k, v, rev) => {
        tally.add(k, v);
        revision = rev;
      }),
    );
  // Counts need no order: the ranges are tallied as their pages arrive.
  else
    revision = await forEachPageV3(a, (page) => {
      for (const kv of page.kvs) tally.add(kv.key.toString('utf8'), kv.value);
    });
  // An empty keyspace has no key to carry the revision.
  return { contents: tally.result(), revision: revision || (await currentRevision(a)) };
}

/**
 * The compact revision: the oldest revision etcd still reads (it refuses older ones as compacted),
 * found by bisection since no API reports it. 0 when nothing was ever compacted.
 */
export async function compactRevision(a: Access, revision: number): Promise<number> {
  return withV3(a, async (c) => {
    const readable = async (rev: number) => {
      try {
        await c.kv.range({ key: ALL, range_end: ALL, limit: 1, count_only: true, revision: rev });
        return true;
      } catch (err) {
        if (/compacted/i.test(String((err as Error).message))) return false;
        throw err;
      }
    };
    if (revision < 1 || (await readable(1))) return 0;
    let lo = 1; // unreadable
    let hi = revision; // readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  });
}

export async function leaseCount(a: Access): Promise<number> {
  return withV3(a, async (c) => (await c.leaseClient.leaseLeases()).leases.length);
}
