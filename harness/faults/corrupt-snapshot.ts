import { open, stat, truncate } from 'node:fs/promises';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { defineFault } from './kind.ts';

/** truncate: cut the file in half; flip-bytes: overwrite 4 bytes in the middle (the size stays). */
const HOW = z.enum(['truncate', 'flip-bytes']);
type How = { readonly how: z.infer<typeof HOW> };

/**
 * Damages the backup's snapshot files in place, between the backup and the restore, the way a bad
 * disk or an interrupted copy would. Returns what was done, for the report.
 */
export async function corruptSnapshots(
  files: readonly string[],
  fault: How,
): Promise<{ file: string; how: string; bytes: number; to: number }[]> {
  const snaps = files.filter((f) => f.endsWith('.db'));
  if (snaps.length === 0) {
    throw new HarnessError(
      'BAD_INPUT',
      'the scenario asks to corrupt the snapshot, but this strategy wrote no snapshot file (*.db): remove the fault or pick a snapshot strategy',
    );
  }
  const done = [];
  for (const file of snaps) {
    const { size } = await stat(file);
    if (fault.how === 'truncate') {
      await truncate(file, Math.floor(size / 2));
      done.push({ file, how: 'truncated to half', bytes: size, to: Math.floor(size / 2) });
    } else {
      // Mid-file: inside bolt's pages, not the sha256 trailer, so only a content check can tell.
      const fh = await open(file, 'r+');
      try {
        await fh.write(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, Math.floor(size / 2));
      } finally {
        await fh.close();
      }
      done.push({ file, how: '4 bytes overwritten mid-file', bytes: size, to: size });
    }
  }
  return done;
}

/** Damages the backup between the backup and the restore: the restore must refuse it. */
export const corruptSnapshot = defineFault({
  kind: 'corrupt-snapshot',
  summary: "damage the backup's snapshot file (truncate, flip-bytes) before the restore",
  params: { how: HOW },
  defaultAt: { after: 'backup' },
  providers: { process: true, container: true },
  build: (spec) => ({
    async inject(d) {
      if (!d.artifact)
        throw new HarnessError('FAULT_INJECT', 'no backup to corrupt: the backup step made none');
      const done = await corruptSnapshots(d.artifact.files, spec);
      return { description: `corrupt the snapshot (${spec.how})`, evidence: { files: done } };
    },
  }),
});
