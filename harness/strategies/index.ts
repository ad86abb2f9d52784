import { replaceMember } from './replace-member.ts';
import { restartInPlace } from './restart-in-place.ts';
import { v3SnapshotBumpForceNewCluster, v3SnapshotForceNewCluster } from './s1-v3-snapshot.ts';
import type { Strategy } from './types.ts';
import { V2_BACKUP_STRATEGIES } from './v2-backup.ts';
import { v3SnapshotAllMembers, v3SnapshotBumpRevision } from './v3-all-members.ts';

/** Strategy registry: the names scenario files use. */
export const STRATEGIES: ReadonlyMap<string, Strategy> = new Map(
  [
    v3SnapshotForceNewCluster,
    ...V2_BACKUP_STRATEGIES,
    v3SnapshotAllMembers,
    v3SnapshotBumpRevision,
    v3SnapshotBumpForceNewCluster,
    replaceMember,
    restartInPlace,
  ].map((s) => [s.name, s]),
);
