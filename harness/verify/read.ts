import { type Access, digest, type Keyset, withV3 } from '../etcd/api.ts';
import { type Contents, ContentsTally } from './contents.ts';

const PAGE = 1000;
const ALL = Buffer.from([0]);

/** Every v3 key with its value digest, in pages pinned to one revision; values are tallied, not kept. */
export async function readKeyspace(
  a: Access,
): Promise<{ keys: Keyset; contents: Contents; revision: number }> {
  const tally = new ContentsTally();
  const keys: Keyset = new Map();
  const revision = await withV3(a, async (c) => {
    let from = ALL;
    let rev = 0;
    for (;;) {
      const res = await c.kv.range({ key: from, range_end: ALL, limit: PAGE, revision: rev });
      if (rev === 0) rev = Number(res.header.revision);
      for (const kv of res.kvs) {
        const k = kv.key.toString('utf8');
        keys.set(k, digest(kv.value));
        tally.add(k, kv.value);
      }
      const last = res.kvs.at(-1);
      if (!res.more || !last) return rev;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
  });
  return { keys, contents: tally.result(keys), revision };
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
