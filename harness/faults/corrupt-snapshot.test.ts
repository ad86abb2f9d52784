import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../errors.ts';
import { errorLine } from '../etcd/log-lines.ts';
import { corruptSnapshots } from './corrupt-snapshot.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('corrupt-snapshot fault', () => {
  it('truncates to half, or overwrites 4 bytes mid-file keeping the size', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fault-'));
    const a = join(dir, 'a.db');
    const b = join(dir, 'b.db');
    await writeFile(a, Buffer.alloc(1000, 1));
    await writeFile(b, Buffer.alloc(1000, 1));
    await corruptSnapshots([a, join(dir, 'v2-backup')], { how: 'truncate' });
    expect((await readFile(a)).length).toBe(500);
    await corruptSnapshots([b], { how: 'flip-bytes' });
    const flipped = await readFile(b);
    expect(flipped.length).toBe(1000);
    expect([...flipped.subarray(500, 504)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });
  it('refuses a backup without a snapshot file, saying what to do', async () => {
    const err = await corruptSnapshots(['/x/v2-backup'], { how: 'truncate' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/no snapshot file .*remove the fault/);
  });
});

describe("etcd's error line", () => {
  it('skips the JSON log lines 3.4 prints before the error', () => {
    const stderr = '{"level":"info","msg":"restoring snapshot"}\nError: expected sha256 [1 2], got [3 4]\n';
    expect(errorLine(stderr)).toBe('expected sha256 [1 2], got [3 4]');
  });
});
