import type { Keyset } from '../etcd/api.ts';
import type { DataOutcome } from '../scenario.ts';
import type { KeysetDiff } from './diff.ts';
import { MergeAgainst, sortedEntries } from './merge.ts';

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
  const out: string[] = [];
  for (const [k, v] of b) if (d.get(k) !== v) out.push(k);
  for (const k of d.keys()) if (!b.has(k)) out.push(k);
  return out.sort();
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
  const s = new ProvenanceStream(b, d, against);
  for (const [k, v] of sortedEntries(r)) s.add(k, v);
  return s.finish();
}

/**
 * Provenance of R as it is read, key by key in etcd's order: R is merged against its target (B or
 * D) and only R's values of the keys written after the backup are kept, never R itself.
 */
export class ProvenanceStream {
  readonly #merge: MergeAgainst;
  readonly #after: string[];
  readonly #afterSet: Set<string>;
  /** R's digests of the keys written after the backup. */
  readonly #r = new Map<string, string>();
  constructor(
    readonly b: Keyset,
    readonly d: Keyset,
    readonly against: RestoreTarget = 'backup-point',
  ) {
    this.#merge = new MergeAgainst(sortedEntries(against === 'pre-disaster' ? d : b));
    this.#after = writtenAfter(b, d);
    this.#afterSet = new Set(this.#after);
  }

  add(key: string, digest: string): void {
    this.#merge.add(key, digest);
    if (this.#afterSet.has(key)) this.#r.set(key, digest);
  }

  finish(): Provenance {
    const diff = this.#merge.finish();
    return this.against === 'pre-disaster' ? this.#preDisaster(diff) : this.#backupPoint(diff);
  }

  #backupPoint(diff: KeysetDiff): Provenance {
    const [d, r, after] = [this.d, this.#r, this.#after];
    // A post-backup deletion absent from R proves nothing alone (a partial restore lacks keys too):
    // it counts only beside an addition or change that R shows.
    const writes = after.filter((k) => d.has(k) && r.get(k) === d.get(k));
    const deletions = after.filter((k) => !d.has(k) && !r.has(k));
    const postBackupSeen = writes.length > 0 ? [...writes, ...deletions].sort() : [];
    const lostAfterBackup = after.filter((k) => r.get(k) !== d.get(k));
    let outcome: DataOutcome;
    if (exact(diff)) outcome = 'restored';
    else if (diff.observed === 0) outcome = 'lost';
    else if (postBackupSeen.length > 0) outcome = 'post-backup';
    else if (diff.counts.extra === 0) outcome = 'partial';
    else outcome = 'mismatch';
    return { outcome, diff, postBackupSeen, lostAfterBackup };
  }

  /**
   * R against D: everything acknowledged before the disaster should be there, post-backup writes
   * included, so `post-backup` is no finding here and `restored` means exactly D.
   */
  #preDisaster(diff: KeysetDiff): Provenance {
    const [d, r, after] = [this.d, this.#r, this.#after];
    const postBackupSeen = after.filter((k) => r.get(k) === d.get(k));
    const lostAfterBackup = after.filter((k) => r.get(k) !== d.get(k));
    let outcome: DataOutcome;
    if (exact(diff)) outcome = 'restored';
    else if (diff.observed === 0) outcome = 'lost';
    else if (diff.counts.extra === 0) outcome = 'partial';
    else outcome = 'mismatch';
    return { outcome, diff, postBackupSeen, lostAfterBackup };
  }
}

const exact = (d: KeysetDiff) => d.counts.missing === 0 && d.counts.changed === 0 && d.counts.extra === 0;
