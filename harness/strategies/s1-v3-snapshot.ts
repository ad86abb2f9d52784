import { HarnessError } from '../errors.ts';
import {
  BUMP_FLAGS,
  forceNewClusterThenAdd,
  restoreSnapshot,
  saveSnapshot,
  supportsRestoreFlags,
} from './common.ts';
import type { Strategy } from './types.ts';

/**
 * The write-up's step 3 (S1): snapshot restore on the first member, start it with --force-new-cluster,
 * then `member add` the others one at a time (finding 2). `extraFlags` go to that one restore.
 */
function forceNewCluster(name: string, title: string, extraFlags: readonly string[]): Strategy {
  return {
    name,
    title,
    // snapshot save/restore and --force-new-cluster exist in every 3.x; the bump flags do not.
    supports: supportsRestoreFlags(extraFlags),
    supportsBackup: async () => ({ ok: true }),
    rebuild: 'member-add',
    backup: saveSnapshot,
    async restore(artifact, cluster, rec) {
      const [first] = cluster.members;
      const snapshot = artifact.files[0];
      if (!first || !snapshot)
        throw new HarnessError('STRATEGY', 'nothing to restore: no member or no snapshot file');
      await restoreSnapshot(cluster, first, snapshot, rec, extraFlags);
      await forceNewClusterThenAdd(cluster, rec);
    },
  };
}

export const v3SnapshotForceNewCluster = forceNewCluster(
  'v3-snapshot-force-new-cluster',
  'v3 snapshot save → snapshot restore → --force-new-cluster → member add one by one',
  [],
);

/** Issue 15 part 6: Kubernetes' recommended restore flags, but with the write-up's rebuild. */
export const v3SnapshotBumpForceNewCluster = forceNewCluster(
  'v3-snapshot-bump-revision-force-new-cluster',
  'v3 snapshot restore --bump-revision 1000000000 --mark-compacted on the first member → --force-new-cluster → member add one by one',
  BUMP_FLAGS,
);
