import type { Etcd3, Watcher } from 'etcd3';
import { type Access, digest } from '../etcd/api.ts';
import { bounded, Loop, prefixRange, probeClient, RevisionMark, readTruth } from './common.ts';
import type { ProbeKind, RunningProbe } from './types.ts';

const PREFIX = '/registry/';

/** The prefix at one revision, in pages (a single response is capped at 4 MiB by gRPC). */
async function listPrefix(c: Etcd3): Promise<{ keys: Map<string, string>; revision: number }> {
  const keys = new Map<string, string>();
  const { key, range_end } = prefixRange(PREFIX);
  let from = key;
  let revision = 0;
  for (;;) {
    const res = await c.kv.range({ key: from, range_end, limit: 1000, revision: String(revision) });
    if (revision === 0) revision = Number(res.header.revision);
    for (const kv of res.kvs) keys.set(kv.key.toString(), digest(kv.value));
    const last = res.kvs.at(-1);
    if (!res.more || !last) return { keys, revision };
    from = Buffer.concat([last.key, Buffer.from([0])]);
  }
}

/**
 * client-go's reflector (and the apiserver's watch cache, which is one): list /registry/ once, then
 * follow a watch from the next revision; relist only when the watch is cancelled (compacted).
 * After a restore the client resumes from the revision it last saw, as etcd3 and client-go both do.
 */
export const informer: ProbeKind = {
  name: 'informer',
  standsFor:
    "the apiserver's watch cache and client-go informers: list once, then follow a watch from the last revision seen",
  async start(a: Access): Promise<RunningProbe> {
    const c = probeClient(a);
    const rev = new RevisionMark();
    let cache = new Map<string, string>();
    let watcher: Watcher | undefined;
    let relists = 0;
    let lastRelistError: string | undefined;
    let needList = true;

    const listAndWatch = async () => {
      const listed = await listPrefix(c);
      rev.see({ revision: listed.revision });
      cache = listed.keys;
      const w = c
        .watch()
        .prefix(PREFIX)
        .startRevision(String(listed.revision + 1))
        .watcher();
      w.on('put', (kv) => cache.set(kv.key.toString(), digest(kv.value)));
      w.on('delete', (kv) => cache.delete(kv.key.toString()));
      w.on('data', (res) => rev.see(res.header));
      w.on('connected', (res) => rev.see(res.header));
      // A cancelled watch (etcd: "required revision has been compacted") is the reflector's cue to relist.
      w.on('error', (err: Error) => {
        lastRelistError = err.message;
        needList = true;
      });
      watcher = w;
      needList = false;
    };
    // The first list happens before start() returns: the probe must hold the backup point.
    try {
      await listAndWatch();
    } catch (err) {
      c.close();
      throw err;
    }
    const loop = new Loop(250, async () => {
      if (!needList) return;
      const old = watcher;
      watcher = undefined;
      if (old) await bounded(old.cancel(), 1000);
      await listAndWatch();
      relists++;
    });

    return {
      revisions: rev,
      async check(truthAccess) {
        const truth = await readTruth(truthAccess, listPrefix);
        const missing: string[] = [];
        const extra: string[] = [];
        const stale: string[] = [];
        for (const [k, v] of truth.keys) {
          const mine = cache.get(k);
          if (mine === undefined) missing.push(k);
          else if (mine !== v) stale.push(k);
        }
        for (const k of cache.keys()) if (!truth.keys.has(k)) extra.push(k);
        const differ = missing.length + extra.length + stale.length;
        return {
          ok: differ === 0,
          evidence: {
            keysDiffering: differ,
            missingFromCache: missing.slice(0, 5),
            extraInCache: extra.slice(0, 5),
            staleValues: stale.slice(0, 5),
            cacheKeys: cache.size,
            etcdKeys: truth.keys.size,
            watchResumesAt: Number(watcher?.lastRevision() ?? 0),
            etcdRevision: truth.revision,
            relists,
            ...(lastRelistError ? { lastWatchError: lastRelistError } : {}),
          },
        };
      },
      async stop() {
        await loop.stop();
        if (watcher) await bounded(watcher.cancel(), 1000);
        c.close();
      },
    };
  },
};
