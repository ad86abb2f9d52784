import type { Keyset } from '../etcd/api.ts';
import type { DataOutcome } from '../scenario.ts';
import { diffKeysets, type KeysetDiff } from './diff.ts';

/**
 * Where restored data came from. B is the backup point, D the cluster just before the disaster
 * (B plus writes acknowledged after the backup: markers added, keys changed and deleted), R the
 * restored cluster. The write-up told "from the backup" from "from the live WAL" by counting by hand;
 * here a post-backup write seen in R says the data did not come from the backup alone.
 */
export interface Provenance {
  readonly outcome: DataOutcome;
  /** R against B, key by key. */
  readonly diff: KeysetDiff;
  /** Keys written (or deleted) after the backup whose post-backup state R shows. */
  readonly postBackupSeen: readonly string[];
  /** RPO: writes acknowledged after the backup that R does not have. */
  readonly lostAfterBackup: readonly string[];
}

/** Keys whose state differs between B and D: added, changed or deleted after the backup. */
export function writtenAfter(b: Keyset, d: Keyset): string[] {
  const keys = new Set([...b.keys(), ...d.keys()]);
  return [...keys].filter((k) => b.get(k) !== d.get(k)).sort();
}

/**
 * What a procedure should bring back: the backup point (a restore from a backup) or the cluster just
 * before the disaster (a procedure that keeps surviving data: replacing one member, restarting in place).
 */
export type RestoreTarget = 'backup-point' | 'pre-disaster';

export function provenance(
  b: Keyset,
  d: Keyset,
  r: Keyset,
  against: RestoreTarget = 'backup-point',
): Provenance {
  if (against === 'pre-disaster') return againstPreDisaster(b, d, r);
  const diff = diffKeysets(b, r);
  const after = writtenAfter(b, d);
  // A post-backup deletion absent from R proves nothing alone (a partial restore lacks keys too):
  // it counts only beside an addition or change that R shows.
  const writes = after.filter((k) => d.has(k) && r.get(k) === d.get(k));
  const deletions = after.filter((k) => !d.has(k) && !r.has(k));
  const postBackupSeen = writes.length > 0 ? [...writes, ...deletions].sort() : [];
  const lostAfterBackup = after.filter((k) => r.get(k) !== d.get(k));
  const exact = diff.missing.length === 0 && diff.changed.length === 0 && diff.extra.length === 0;
  let outcome: DataOutcome;
  if (exact) outcome = 'restored';
  else if (r.size === 0) outcome = 'lost';
  else if (postBackupSeen.length > 0) outcome = 'post-backup';
  else if (diff.extra.length === 0) outcome = 'partial';
  else outcome = 'mismatch';
  return { outcome, diff, postBackupSeen, lostAfterBackup };
}

/**
 * R against D: everything acknowledged before the disaster should be there, post-backup writes
 * included, so `post-backup` is no finding here and `restored` means exactly D.
 */
function againstPreDisaster(b: Keyset, d: Keyset, r: Keyset): Provenance {
  const diff = diffKeysets(d, r);
  const after = writtenAfter(b, d);
  const postBackupSeen = after.filter((k) => r.get(k) === d.get(k));
  const lostAfterBackup = after.filter((k) => r.get(k) !== d.get(k));
  const exact = diff.missing.length === 0 && diff.changed.length === 0 && diff.extra.length === 0;
  let outcome: DataOutcome;
  if (exact) outcome = 'restored';
  else if (r.size === 0) outcome = 'lost';
  else if (diff.extra.length === 0) outcome = 'partial';
  else outcome = 'mismatch';
  return { outcome, diff, postBackupSeen, lostAfterBackup };
}
