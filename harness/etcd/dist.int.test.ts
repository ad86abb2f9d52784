import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { resolveEtcd } from './dist.ts';

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe('etcd distributions (real binaries)', () => {
  it('a version fetched once is served from the cache, checked by running it', async () => {
    const d = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    expect(d.cached).toBe(true);
    expect(d.origin).toMatch(/^debian bookworm 3\.4\.23/);
    expect(d.etcdutl).toBeUndefined();
    const d35 = await resolveEtcd({ version: '3.5.30', log: silentLogger });
    expect(d35.etcdutl).toMatch(/etcdutl$/);
  });

  it('an unknown version fails at once, listing what can be provided and how to bring your own', async () => {
    await expect(resolveEtcd({ version: '9.9.9', log: silentLogger })).rejects.toThrow(
      /unknown etcd version "9\.9\.9": etcd-drill can provide 3\.3\.25, 3\.4\.23, 3\.5\.16, 3\.5\.30\. .*--etcd-bin-dir/,
    );
  });

  it('--etcd-bin-dir reads the version from the binary and refuses a mismatch', async () => {
    const cached = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const d = await resolveEtcd({ binDir: cached.binDir, log: silentLogger });
    expect(d.version).toBe('3.4.23');
    expect(d.origin).toBe(`bin-dir ${cached.binDir}`);
    await expect(
      resolveEtcd({ binDir: cached.binDir, version: '3.5.30', log: silentLogger }),
    ).rejects.toThrow(/--etcd 3\.5\.30 was asked for, but .* is etcd 3\.4\.23/);
  });

  it('a folder without etcd names the missing binary', async () => {
    const cached = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const dir = await mkdtemp(join(tmpdir(), 'drill-bin-'));
    tmp.push(dir);
    await copyFile(cached.etcdctl, join(dir, 'etcdctl'));
    await expect(resolveEtcd({ binDir: dir, log: silentLogger })).rejects.toThrow(
      /missing etcd binary .*\/etcd/,
    );
  });
});
