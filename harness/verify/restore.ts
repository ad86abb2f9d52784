import { copyFile, cp } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
 * Restores the backup into the cluster's stopped, empty members. The file is copied into the
 * cluster's backup folder first: containers see that folder, and the user's file is never touched.
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
  const copy = join(cluster.backupDir, basename(path));
  await rec.step('copy the snapshot into the throwaway cluster', () => copyFile(path, copy));
  const flags = o.skipHashCheck ? ['--skip-hash-check'] : [];
  // All at once: each rewrites the whole db, and a GiB-sized one takes seconds per member.
  await Promise.all(cluster.members.map((m) => restoreSnapshot(cluster, m, copy, rec, flags)));
  await rec.step('start every member and wait for full membership', async () => {
    await Promise.all(cluster.members.map((m) => m.start({ state: 'new' })));
    await cluster.waitHealthy(cluster.members);
  });
}
