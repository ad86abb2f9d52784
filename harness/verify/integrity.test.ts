import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrailer, clusterVersionsIn, hasTrailer, recordedVersions, toolWords } from './integrity.ts';

const dir = await mkdtemp(join(tmpdir(), 'verify-integrity-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A file shaped like `snapshot save` output: whole pages, a cluster version in them, the sha256 after. */
async function snapshotLike(name: string, body: Buffer, trailer?: Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, Buffer.concat([body, trailer ?? createHash('sha256').update(body).digest()]));
  return file;
}

const page = (text: string) => Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(4096 - text.length)]);

describe('checkTrailer and recordedVersions', () => {
  it('checks the trailer as etcd does and finds the recorded cluster version', async () => {
    const file = await snapshotLike(
      'ok.db',
      Buffer.concat([page('\0\0clusterVersion3.5.0downgrade'), page('')]),
    );
    expect((await checkTrailer(file)).trailer).toMatchObject({ present: true, ok: true });
    expect(await recordedVersions(file)).toEqual(['3.5.0']);
  });

  it('a version across a 1 MiB read boundary is read whole, once', async () => {
    const at = (1 << 20) - 19; // the first chunk ends after 'clusterVersion3.5.3'
    const body = Buffer.alloc(3 << 20);
    body.write('clusterVersion3.5.30\0', at, 'latin1');
    body.write('clusterVersion3.4.0\0', (3 << 20) - 20, 'latin1');
    const file = await snapshotLike('boundary.db', body);
    expect(await recordedVersions(file)).toEqual(['3.5.30', '3.4.0']);
  });

  it('a flipped byte: the trailer no longer matches', async () => {
    const body = page('data');
    const sum = createHash('sha256').update(body).digest();
    body[100] = 0xff;
    const file = await snapshotLike('flipped.db', body, sum);
    const s = await checkTrailer(file);
    expect(s.trailer.ok).toBe(false);
    expect(s.trailer.expected).toBe(sum.toString('hex'));
    expect(await recordedVersions(file)).toEqual([]);
  });

  it('a db copied from a data dir (whole pages) has no trailer', async () => {
    const file = join(dir, 'db');
    await writeFile(file, page('x'));
    expect((await checkTrailer(file)).trailer).toEqual({ present: false, ok: false });
  });
});

describe('helpers', () => {
  it('hasTrailer: 32 bytes past whole 512-byte pages', () => {
    expect(hasTrailer(20480 + 32)).toBe(true);
    expect(hasTrailer(20480)).toBe(false);
    expect(hasTrailer(10240 + 16)).toBe(false);
  });

  it('clusterVersionsIn: each version once', () => {
    expect(clusterVersionsIn('clusterVersion3.4.0\0clusterVersion3.5.0clusterVersion3.5.0')).toEqual([
      '3.4.0',
      '3.5.0',
    ]);
  });

  it("toolWords: a Go crash by its first lines, else etcd's error line", () => {
    const crash =
      'unexpected fault address 0x1\nfatal error: fault\n[signal SIGBUS: bus error]\n\ngoroutine 1';
    expect(toolWords(crash)).toBe(
      'unexpected fault address 0x1 | fatal error: fault | [signal SIGBUS: bus error]',
    );
    expect(toolWords('some log\nError: snapshot missing hash but --skip-hash-check=false\n')).toBe(
      'snapshot missing hash but --skip-hash-check=false',
    );
  });
});
