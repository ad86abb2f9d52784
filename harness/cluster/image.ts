import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Wait } from 'testcontainers';
import { HarnessError } from '../errors.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { defaultCacheDir } from '../etcd/dist.ts';
import { parseEtcdVersionOutput } from '../etcd/versions.ts';
import type { Logger } from '../log.ts';
import { execa } from '../util/exec.ts';
import { withFileLock } from '../util/lock.ts';
import { runLabels } from './docker.ts';

/**
 * The image tag for a distribution: etcd-drill/etcd:<version> for the versions etcd-drill fetches,
 * with a suffix for a user's own binaries so they never shadow ours.
 */
export function imageTag(dist: EtcdDist): string {
  if (!dist.origin.startsWith('bin-dir')) return `etcd-drill/etcd:${dist.version}`;
  return `etcd-drill/etcd:${dist.version}-custom-${createHash('sha256').update(dist.binDir).digest('hex').slice(0, 8)}`;
}

/** Shared libraries a binary links, from ldd (Debian's etcd links glibc; 3.3 also libpthread and libdl). */
export async function linkedLibs(binary: string): Promise<string[]> {
  const { stdout } = await execa('ldd', [binary], { reject: false });
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/**
 * Builds (once) a minimal image from the same binaries the process provider runs: no base image to
 * pull, since this machine reaches no registry. A root filesystem of etcd, etcdctl, etcdutl and the
 * libraries they link, imported with `docker import`.
 */
export async function ensureImage(dist: EtcdDist, log: Logger): Promise<string> {
  const tag = imageTag(dist);
  if ((await execa('docker', ['image', 'inspect', tag], { reject: false })).exitCode === 0) return tag;
  return withFileLock(join(defaultCacheDir(), `image-${tag.replace(/[/:]/g, '_')}.lock`), async () => {
    if ((await execa('docker', ['image', 'inspect', tag], { reject: false })).exitCode === 0) return tag;
    log.progress(`building image ${tag} from ${dist.binDir} (once)`);
    const root = await mkdtemp(join(tmpdir(), 'etcd-drill-image-'));
    try {
      const bins = [dist.etcd, dist.etcdctl, ...(dist.etcdutl ? [dist.etcdutl] : [])];
      await mkdir(join(root, 'usr/local/bin'), { recursive: true });
      await mkdir(join(root, 'tmp'), { recursive: true });
      const libs = new Set<string>();
      for (const b of bins) {
        await copyFile(b, join(root, 'usr/local/bin', basename(b)));
        for (const l of await linkedLibs(b)) libs.add(l);
      }
      for (const l of libs) {
        await mkdir(join(root, dirname(l)), { recursive: true });
        await copyFile(l, join(root, l));
      }
      const tar = execa('tar', ['-C', root, '-c', '.']);
      const imp = execa(
        'docker',
        [
          'import',
          '--change',
          'ENV PATH=/usr/local/bin',
          '--change',
          'LABEL etcd-drill.image=1',
          '--change',
          `LABEL etcd-drill.etcd-version=${dist.version}`,
          '-',
          tag,
        ],
        { reject: false },
      );
      tar.stdout?.pipe(imp.stdin as NodeJS.WritableStream);
      const [, res] = await Promise.all([tar, imp]);
      if (res.failed)
        throw new HarnessError(
          'PROVIDER_START',
          `docker import of ${tag} failed: ${String(res.stderr).slice(0, 300)}`,
        );
      return tag;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

/** Runs `etcd --version` in the image and refuses anything that is not etcd `expected`. */
export async function checkImage(image: string, expected: string): Promise<void> {
  let out = '';
  try {
    const c = await new GenericContainer(image)
      .withCommand(['etcd', '--version'])
      // Labelled like a run's containers so a sweep finds it if this process dies before removing it.
      .withLabels(runLabels(`image-check-${process.pid}`))
      .withWaitStrategy(Wait.forOneShotStartup())
      .withStartupTimeout(60_000)
      .start();
    try {
      for await (const chunk of await c.logs()) out += String(chunk);
    } finally {
      // stop() refuses an exited container and would skip the removal: remove it directly.
      const client = await getContainerRuntimeClient();
      await client.container.dockerode
        .getContainer(c.getId())
        .remove({ force: true })
        .catch(() => {});
    }
  } catch (err) {
    throw new HarnessError(
      'BAD_INPUT',
      `--image ${image} could not run "etcd --version" (is it an etcd image, and present or pullable?): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  const seen = parseEtcdVersionOutput(out);
  if (!seen)
    throw new HarnessError(
      'BAD_INPUT',
      `--image ${image} is not an etcd image: "etcd --version" printed ${JSON.stringify(out.slice(0, 120))}`,
    );
  if (seen !== expected) {
    throw new HarnessError(
      'BAD_INPUT',
      `--image ${image} holds etcd ${seen}, but etcd ${expected} was asked for: pass --etcd ${seen}, or an image of ${expected}`,
    );
  }
}
