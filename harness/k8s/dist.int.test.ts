import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../log.ts';
import { resolveK8s } from './dist.ts';

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

/** A folder of shell scripts standing in for the three binaries; `scripts` overrides some. */
async function fakeBinDir(scripts: Record<string, string | null> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drill-k8s-bin-'));
  tmp.push(dir);
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
    const body = name in scripts ? scripts[name] : 'echo Kubernetes v1.99.0';
    if (body === null || body === undefined) continue;
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

describe('Kubernetes binaries (real build from Debian)', () => {
  it(
    'builds once (ci/setup.sh does it), then serves the three binaries from the cache',
    async () => {
      // Progress on stderr: a build here takes ~8 min on 2 cores and should not look hung.
      const first = await resolveK8s({ log: createLogger() });
      expect(first.origin).toMatch(
        /^debian bookworm 1\.20\.\d+\+really1\.20\.\d+\S*, built with go 1\.15\.\d+$/,
      );
      const versions = await Promise.all(
        [first.apiserver, first.controllerManager, first.scheduler].map(async (bin) =>
          (await execa(bin, ['--version'])).stdout.trim(),
        ),
      );
      expect(versions[0]).toMatch(/^Kubernetes v1\.20\.\d+$/);
      expect(new Set(versions).size).toBe(1);
      expect(versions[0]).toBe(`Kubernetes v${first.version}`);

      const second = await resolveK8s({ log: silentLogger });
      expect(second).toMatchObject({ cached: true, binDir: first.binDir, version: first.version });
    },
    45 * 60_000,
  );
});

describe('--k8s-bin-dir', () => {
  it('accepts any version, read from kube-apiserver', async () => {
    const dir = await fakeBinDir();
    const d = await resolveK8s({ binDir: dir, log: silentLogger });
    expect(d).toMatchObject({
      version: '1.99.0',
      origin: `bin-dir ${dir}`,
      cached: false,
      scheduler: join(dir, 'kube-scheduler'),
    });
  });

  it('names a missing binary, as bad input', async () => {
    const dir = await fakeBinDir({ 'kube-scheduler': null });
    await expect(resolveK8s({ binDir: dir, log: silentLogger })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/^missing Kubernetes binary .*\/kube-scheduler .*--k8s-bin-dir/),
    });
  });

  it('names a binary whose --version fails, with what it said', async () => {
    const dir = await fakeBinDir({ 'kube-controller-manager': 'echo "cannot execute" >&2; exit 1' });
    await expect(resolveK8s({ binDir: dir, log: silentLogger })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(
        /^broken Kubernetes binary .*\/kube-controller-manager: `kube-controller-manager --version` failed \(exit 1\): cannot execute; give a folder/,
      ),
    });
  });

  it('names every binary that is wrong in one message', async () => {
    const dir = await fakeBinDir({ 'kube-apiserver': 'exit 1', 'kube-scheduler': null });
    await expect(resolveK8s({ binDir: dir, log: silentLogger })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(
        /^broken Kubernetes binary .*\/kube-apiserver: .* failed \(exit 1\); missing Kubernetes binary .*\/kube-scheduler /,
      ),
    });
  });

  it('refuses a folder that does not exist', async () => {
    await expect(
      resolveK8s({ binDir: join(tmpdir(), 'drill-no-such-dir'), log: silentLogger }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/is not a folder/) });
  });
});
