import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupKind, parseEndpoints } from './input.ts';

const dir = await mkdtemp(join(tmpdir(), 'verify-input-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('backupKind', () => {
  it('a file is a snapshot; a folder with member/wal a v2 backup', async () => {
    await writeFile(join(dir, 'snapshot.db'), 'x');
    await mkdir(join(dir, 'v2', 'member', 'wal'), { recursive: true });
    expect(backupKind(join(dir, 'snapshot.db'))).toBe('v3-snapshot');
    expect(backupKind(join(dir, 'v2'))).toBe('v2-backup-dir');
  });

  it('names what is wrong: missing, or a folder that is no backup', () => {
    expect(() => backupKind(join(dir, 'nope.db'))).toThrow(/nope\.db does not exist: give a snapshot\.db/);
    expect(() => backupKind(tmpdir())).toThrow(/neither a file nor a folder holding member\/wal/);
  });
});

describe('parseEndpoints', () => {
  it('takes URLs and host:port', () => {
    expect(parseEndpoints('http://10.0.0.1:2379, 10.0.0.2:2379')).toEqual([
      'http://10.0.0.1:2379',
      'http://10.0.0.2:2379',
    ]);
  });
  it('refuses what is no client URL', () => {
    expect(() => parseEndpoints('10.0.0.1')).toThrow(/not a client URL with a port/);
    expect(() => parseEndpoints(',')).toThrow(/names no endpoint/);
  });
});
