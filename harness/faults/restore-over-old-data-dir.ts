import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Member } from '../cluster/types.ts';
import { clusterOf } from '../engine/context.ts';
import { HarnessError } from '../errors.ts';
import { hasDataDir, restoreOverOldDataDir } from '../strategies/data-dir.ts';
import { defineFault } from './kind.ts';

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

const LEAVES_DATA = ['quorum-loss', 'power-loss'];

/** Fault 8: the restore copied over a surviving data dir; provenance tells whether the old data shows. */
export const restoreOverOld = defineFault({
  kind: 'restore-over-old-data-dir',
  summary:
    "the restore lands on a member's surviving data dir instead of an empty one (needs quorum-loss or power-loss)",
  params: {
    member: z
      .string()
      .regex(/^etcd[1-9]\d*$/, 'a member name (etcd1, etcd2, …)')
      .default('etcd1'),
  },
  defaultAt: { after: 'disaster' },
  providers: { process: true, container: true },
  build: (spec) => ({
    supports(d) {
      if (!d.scenario.faults.some((f) => LEAVES_DATA.includes(f.kind)))
        throw new HarnessError(
          'BAD_INPUT',
          `scenario ${d.scenario.id}: restore-over-old-data-dir needs a surviving data dir; add a quorum-loss or power-loss fault`,
        );
      // Only the first member gets the backup in the member-add procedures; the others join empty.
      if (d.strategy.rebuild === 'member-add' && spec.member !== 'etcd1')
        return {
          ok: false,
          reason: `${d.strategy.name} restores the backup into etcd1 only; ${spec.member} joins empty`,
        };
      if (d.strategy.rebuild === 'replace-member' || d.strategy.rebuild === 'in-place')
        return { ok: false, reason: `${d.strategy.name} restores no backup` };
      if (d.strategy.rebuild === 'opaque')
        return {
          ok: false,
          reason: `${d.strategy.name} decides itself what to do with a surviving data dir`,
        };
      return { ok: true };
    },
    async inject(d) {
      const m = clusterOf(d).members.find((x) => x.name === spec.member);
      if (!m)
        throw new HarnessError(
          'BAD_INPUT',
          `restore-over-old-data-dir: the cluster has no member ${spec.member}`,
        );
      return overOldDataDir(m);
    },
  }),
});
