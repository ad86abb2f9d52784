/**
 * The 1.36 build's cache, override and failure paths, against Debian sid's real package lists.
 * In the `k8s-modern` project (its global setup has built the binary once).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { MODERN_SOURCE, resolveModernK8s } from './modern-dist.ts';

describe('apiextensions-apiserver 1.36 from Debian sid', () => {
  it('a second resolve builds nothing: cached, the recorded version and packages', async () => {
    const first = await resolveModernK8s({ log: silentLogger });
    // Its time (a networked apt-get update and a --help) is not asserted: timings are the bench's.
    const again = await resolveModernK8s({ log: silentLogger });
    expect(again.cached).toBe(true);
    expect(again.binDir).toBe(first.binDir);
    expect(again.version).toMatch(/^1\.\d+\.\d+$/);
    const pins = again.packages ?? [];
    const apiserverPin = pins.find((p) => p.name === MODERN_SOURCE.versionPackage);
    expect(apiserverPin?.version).toMatch(new RegExp(`^0\\.${again.version.split('.')[1]}\\.`));
    expect(pins.some((p) => /^golang-1\.\d+-go$/.test(p.name))).toBe(true);
    expect(pins.length).toBeGreaterThan(50);
    expect(again.origin).toContain(`${pins.length} packages`);
    const listed = await readFile(join(again.binDir, '..', 'packages.txt'), 'utf8');
    expect(listed.trim().split('\n')).toHaveLength(pins.length);
  });

  it('--k8s-modern-bin-dir: a real build is accepted with its version, a fake one refused', async () => {
    const built = await resolveModernK8s({ log: silentLogger });
    const own = await resolveModernK8s({ binDir: built.binDir, log: silentLogger });
    expect(own).toMatchObject({ version: built.version, cached: false, origin: `bin-dir ${built.binDir}` });
    const fake = await mkdtemp(join(tmpdir(), 'k8s-modern-fake-'));
    try {
      await writeFile(join(fake, MODERN_SOURCE.binary), '#!/bin/sh\necho "Usage: nothing"\n');
      await chmod(join(fake, MODERN_SOURCE.binary), 0o755);
      await expect(resolveModernK8s({ binDir: fake, log: silentLogger })).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: expect.stringContaining('lists no --etcd-servers flag'),
      });
    } finally {
      await rm(fake, { recursive: true, force: true });
    }
  });

  it('a package gone from sid is named, with the way out', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'k8s-modern-cache-'));
    try {
      await mkdir(cacheDir, { recursive: true });
      const err = await resolveModernK8s({
        cacheDir,
        log: silentLogger,
        rootPackage: 'golang-k8s-etcd-drill-vanished-dev',
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'ETCD_DIST',
        details: { package: 'golang-k8s-etcd-drill-vanished-dev' },
      });
      expect(String((err as Error).message)).toMatch(
        /no longer serves golang-k8s-etcd-drill-vanished-dev.*--k8s-modern-bin-dir/,
      );
      // A fresh cache: nothing to fall back on, and it says so.
      expect(String((err as Error).message)).toContain(
        `no cached build exists in ${join(cacheDir, 'k8s-modern')}`,
      );
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
