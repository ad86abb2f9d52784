import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Member } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { hasDataDir, restoreOverOldDataDir } from '../strategies/data-dir.ts';

/**
 * The restore lands on a member's surviving data dir instead of an empty one (the write-up's node2).
 * Needs a disaster that leaves that dir behind (quorum-loss with it as survivor, or power-loss).
 * Healed when the restore phase ends.
 */
export async function overOldDataDir(
  member: Member,
): Promise<{ description: string; evidence: Record<string, unknown>; heal(): Promise<void> }> {
  if (!hasDataDir(member)) {
    throw new HarnessError(
      'BAD_INPUT',
      `restore-over-old-data-dir: ${member.name} has no surviving data dir; pair it with quorum-loss (survivor ${member.name}) or power-loss`,
    );
  }
  const files = async (sub: string) =>
    (await readdir(join(member.dataDir, 'member', sub)).catch(() => [])).sort();
  restoreOverOldDataDir(member, true);
  return {
    description: `the restore into ${member.name} lands over its surviving data dir`,
    evidence: { member: member.name, snap: await files('snap'), wal: await files('wal') },
    async heal() {
      restoreOverOldDataDir(member, false);
    },
  };
}
