import { open, stat, truncate } from 'node:fs/promises';
import { HarnessError } from '../errors.ts';
import type { Fault } from '../scenario.ts';

/**
 * Damages the backup's snapshot files in place, between the backup and the restore, the way a bad
 * disk or an interrupted copy would. Returns what was done, for the report.
 */
export async function corruptSnapshots(
  files: readonly string[],
  fault: Extract<Fault, { kind: 'corrupt-snapshot' }>,
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
