import { type Access, deleteV2, deleteV3, type Keyset, putAllV2, putAllV3 } from '../etcd/api.ts';
import { LOAD_PREFIX } from './load.ts';

export const MARKER_KEY = '/etcd-drill/after-backup';

/**
 * Acknowledged writes after the backup, in both APIs: a new marker key, a changed key and a deleted
 * key. A restore from the backup alone shows none of them; what it loses of them is the RPO. Under a
 * real apiserver (`rawV3` false) only the marker: raw bytes in its objects would break its reads.
 */
export async function writeAfterBackup(
  a: Access,
  b: { v2: Keyset; v3: Keyset },
  rawV3: boolean,
  /** False where the cluster serves no v2 API: no v2 writes. */
  v2 = true,
): Promise<{ v2: string[]; v3: string[] }> {
  const stamp = new Date().toISOString();
  const v2leaves = [...b.v2].filter(([, v]) => v !== '<dir>').map(([k]) => k);
  return {
    v3: await writeAfter(
      // The markers touch the seeded keys, never a write load's (the load's log judges those).
      rawV3 ? [...b.v3.keys()].filter((k) => !k.startsWith(LOAD_PREFIX)) : [],
      stamp,
      async (key, value) => {
        await putAllV3(a, [{ key, value }]);
      },
      (k) => deleteV3(a, k),
    ),
    v2: !v2
      ? []
      : await writeAfter(
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
  // The first and last in sort order, found without sorting a million keys.
  let [change, gone]: (string | undefined)[] = [keys[0], keys[0]];
  for (const k of keys) {
    if (change === undefined || k < change) change = k;
    if (gone === undefined || k > gone) gone = k;
  }
  if (keys.length < 2) gone = undefined;
  await put(MARKER_KEY, stamp);
  if (change) await put(change, `changed after the backup at ${stamp}`);
  if (gone) await del(gone);
  return [MARKER_KEY, ...(change ? [change] : []), ...(gone ? [gone] : [])];
}

/**
 * Writes after the restore, as a cluster at work makes them: a new object, a changed one, a deleted
 * one. Probes that follow watches must see them to agree with etcd.
 */
export async function writeAfterRestore(a: Access, restored: Keyset): Promise<void> {
  const keys = [...restored.keys()].filter((k) => k.startsWith('/registry/')).sort();
  const stamp = new Date().toISOString();
  await putAllV3(a, [
    { key: '/registry/configmaps/etcd-drill/after-restore', value: stamp },
    ...(keys[1] ? [{ key: keys[1], value: `changed after the restore at ${stamp}` }] : []),
  ]);
  if (keys.length > 3) await deleteV3(a, keys.at(-2) as string);
}
