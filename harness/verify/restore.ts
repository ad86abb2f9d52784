import { copyFile, cp } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Cluster } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { forceNewClusterThenAdd, restoreSnapshot } from '../strategies/common.ts';
import type { Recorder } from '../strategies/types.ts';
import type { BackupKind } from './types.ts';

/** How each kind is restored, for the report: the procedures the built-in strategies drill. */
export const HOW: Record<BackupKind, string> = {
  'v3-snapshot':
    "etcd's disaster recovery: snapshot restore on every member, all started together (as v3-snapshot-all-members)",
  'v2-backup-dir':
    'the backup dir copied in as the first member’s data dir, --force-new-cluster, then member add (as v2-backup-without-snapshot)',
};

/**
 * Where the members' restores read the file. Processes read it where it lies: `snapshot restore`
 * opens it read-only, and a copy of a GiB-sized file took 2.6 s. Containers see only the cluster's
 * backup folder, so they get a copy there and the user's file is never mounted.
 */
async function snapshotFor(cluster: Cluster, path: string, rec: Recorder): Promise<string> {
  if (cluster.provider === 'process') return resolve(path);
  const copy = join(cluster.backupDir, basename(path));
  await rec.step('copy the snapshot into the throwaway cluster', () => copyFile(path, copy));
  return copy;
}

/**
 * Restores the backup into the cluster's stopped, empty members.
 */
export async function restoreInto(
  cluster: Cluster,
  kind: BackupKind,
  path: string,
  rec: Recorder,
  o: { skipHashCheck: boolean },
): Promise<void> {
  const [first] = cluster.members;
  if (!first) throw new HarnessError('STRATEGY', 'a cluster without members cannot be restored');
  if (kind === 'v2-backup-dir') {
    await rec.step(`copy the v2 backup in as ${first.name}'s data dir`, () =>
      cp(path, first.dataDir, { recursive: true }),
    );
    return forceNewClusterThenAdd(cluster, rec);
  }
  const copy = await snapshotFor(cluster, path, rec);
  const flags = o.skipHashCheck ? ['--skip-hash-check'] : [];
  // All at once: each rewrites the whole db, and a GiB-sized one takes seconds per member.
  await Promise.all(cluster.members.map((m) => restoreSnapshot(cluster, m, copy, rec, flags)));
  await rec.step('start every member and wait for full membership', async () => {
    await Promise.all(cluster.members.map((m) => m.start({ state: 'new' })));
    await cluster.waitHealthy(cluster.members);
  });
}
