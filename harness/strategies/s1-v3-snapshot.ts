import { HarnessError } from '../errors.ts';
import { forceNewClusterThenAdd, restoreSnapshot, saveSnapshot } from './common.ts';
import type { Strategy } from './types.ts';

/**
 * The write-up's step 3 (S1): snapshot restore on the first member, start it with --force-new-cluster,
 * then `member add` the others one at a time (finding 2).
 */
export const v3SnapshotForceNewCluster: Strategy = {
  name: 'v3-snapshot-force-new-cluster',
  title: 'v3 snapshot save → snapshot restore → --force-new-cluster → member add one by one',
  async supports() {
    return { ok: true }; // snapshot save/restore and --force-new-cluster exist in every 3.x
  },
  rebuild: 'member-add',
  backup: saveSnapshot,
  async restore(artifact, cluster, rec) {
    const [first] = cluster.members;
    const snapshot = artifact.files[0];
    if (!first || !snapshot)
      throw new HarnessError('STRATEGY', 'nothing to restore: no member or no snapshot file');
    await restoreSnapshot(cluster, first, snapshot, rec);
    await forceNewClusterThenAdd(cluster, rec);
  },
};
