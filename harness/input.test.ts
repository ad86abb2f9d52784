import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWritableDir } from './input.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'input-test-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('checkWritableDir', () => {
  it('refuses a path under /proc at once (a recursive mkdir there spins forever)', () => {
    const t0 = Date.now();
    expect(() => checkWritableDir('/proc/forbidden', '--out')).toThrow(
      /^--out \/proc\/forbidden: cannot create a folder in \/proc \(ENOENT\): give --out a folder you can write to$/,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(existsSync('/proc/forbidden')).toBe(false);
  });

  it('refuses a regular file, and a path under one', () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(() => checkWritableDir(file, '--out')).toThrow(/is a file, not a folder: give --out a folder/);
    expect(() => checkWritableDir(join(file, 'sub'), '--out')).toThrow(
      new RegExp(`lies under the file ${file}, not a folder`),
    );
  });

  it('accepts an existing folder and one still to be made, leaving nothing behind', () => {
    checkWritableDir(dir, '--out');
    checkWritableDir(join(dir, 'a', 'b'), '--out');
    expect(readdirSync(dir)).toEqual([]);
  });
});
