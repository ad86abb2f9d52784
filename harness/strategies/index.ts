import { v3SnapshotForceNewCluster } from './s1-v3-snapshot.ts';
import type { Strategy } from './types.ts';
import {
  v2BackupAsDataDir,
  v2BackupWithoutSnapshot,
  v2BackupWithSnapshotAsDb,
  v2BackupWithV3,
} from './v2-backup.ts';
import { v3SnapshotAllMembers, v3SnapshotBumpRevision } from './v3-all-members.ts';

/** Strategy registry: the names scenario files use. */
export const STRATEGIES: ReadonlyMap<string, Strategy> = new Map(
  [
    v3SnapshotForceNewCluster,
    v2BackupAsDataDir,
    v2BackupWithoutSnapshot,
    v2BackupWithSnapshotAsDb,
    v3SnapshotAllMembers,
    v3SnapshotBumpRevision,
    v2BackupWithV3,
  ].map((s) => [s.name, s]),
);
