import { existsSync } from 'node:fs';
import type { Member } from '../cluster/types.ts';
import type { Recorder } from './types.ts';

/**
 * Members whose restore lands on their surviving data dir instead of an empty one (the write-up's
 * node2: the v2 backup copied over a data dir whose WAL and db were still there). Set by the
 * restore-over-old-data-dir fault for the restore phase only.
 */
const overOld = new WeakSet<Member>();

export function restoreOverOldDataDir(member: Member, on: boolean): void {
  if (on) overOld.add(member);
  else overOld.delete(member);
}

export function hasDataDir(member: Member): boolean {
  return existsSync(member.dataDir);
}

/**
 * Before a restore writes into a member's data dir: a surviving one (quorum-loss, power-loss) is
 * removed, as the procedures say (etcd's recovery guide restores into new data dirs and `snapshot
 * restore` refuses an existing one: "data-dir … exists" on 3.3, "… not empty" on 3.5); unless a
 * fault asked that the restore land over it. Says which it did.
 */
export async function dataDirForRestore(member: Member, rec: Recorder): Promise<'empty' | 'over-old'> {
  if (!hasDataDir(member)) return 'empty';
  if (overOld.has(member)) return 'over-old';
  await rec.step(`remove ${member.name}'s surviving data dir (the restore writes a new one)`, () =>
    member.wipe(),
  );
  return 'empty';
}
