import { HarnessError } from '../errors.ts';
import { BUMP_FLAGS, restoreSnapshot, saveSnapshot, supportsRestoreFlags } from './common.ts';
import type { Strategy } from './types.ts';

function allMembers(name: string, title: string, extraFlags: readonly string[]): Strategy {
  return {
    name,
    title,
    supports: supportsRestoreFlags(extraFlags),
    // The backup is a plain `snapshot save`, which every version has; only the restore needs the flags.
    supportsBackup: async () => ({ ok: true }),
    rebuild: 'all-members',
    backup: saveSnapshot,
    /**
     * etcd's disaster-recovery guide: every member restored from the same snapshot with its own name
     * and peer URL and the full initial cluster, then all started; no force-new-cluster, no member add.
     */
    async restore(artifact, cluster, rec) {
      const snapshot = artifact.files[0];
      if (!snapshot) throw new HarnessError('STRATEGY', 'nothing to restore: no snapshot file');
      for (const m of cluster.members) await restoreSnapshot(cluster, m, snapshot, rec, extraFlags);
      await rec.step('start every member and wait for full membership', async () => {
        await Promise.all(cluster.members.map((m) => m.start({ state: 'new' })));
        await cluster.waitHealthy(cluster.members);
      });
    },
  };
}

export const v3SnapshotAllMembers = allMembers(
  'v3-snapshot-all-members',
  "etcd's disaster recovery: every member restored from one snapshot, all started together",
  [],
);

/** What Kubernetes should use today: clients that remember revisions are forced to notice the restore. */
export const v3SnapshotBumpRevision = allMembers(
  'v3-snapshot-bump-revision',
  'etcdutl snapshot restore --bump-revision 1000000000 --mark-compacted on every member, all started together',
  BUMP_FLAGS,
);
