/**
 * kind itself, from Debian trixie (ENVIRONMENT.md, kind): the CLI from its .deb and the node image's
 * base files (entrypoint, systemd units, containerd config) and the load balancer's starter config
 * from the same upstream tarball; and Debian's static busybox for a workload image. 0.27 is the one
 * Debian trixie ships, and its load balancer is still haproxy, which Debian can provide; from 0.32 it
 * is an Envoy image nothing here can build.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { defaultCacheDir } from '../etcd/dist.ts';
import type { Logger } from '../log.ts';
import { machineMirror, privateApt } from '../util/apt.ts';
import { commitBuild, inStaging } from '../util/build.ts';
import { execa } from '../util/exec.ts';
import { withFileLock } from '../util/lock.ts';

export const KIND_SOURCE = { suite: 'trixie', package: 'kind', version: '0.27.0' } as const;

export interface KindDist {
  /** From `kind version`, e.g. '0.27.0'. */
  readonly version: string;
  readonly kind: string;
  /** kind's `images/base/files` (the node's entrypoint, units, containerd config). */
  readonly baseFiles: string;
  /** kind's `images/haproxy` (the load balancer's starter config). */
  readonly haproxyDir: string;
  /** Debian's static busybox, for the drills' workload image (pods that really run). */
  readonly busybox: string;
  /** 'debian trixie kind 0.27.0-1+b2'. */
  readonly origin: string;
  readonly cached: boolean;
}

/** `kind version` prints "kind v0.27.0 go1.24.4 linux/amd64". */
export function parseKindVersionOutput(out: string): string | undefined {
  return /^kind v(\d+\.\d+\.\d+)\b/m.exec(out.trim())?.[1];
}

interface Manifest {
  readonly version: string;
  readonly debianVersion: string;
  readonly fetchedAt: string;
}

function layout(dir: string, m: Manifest, cached: boolean): KindDist {
  const src = join(dir, 'src');
  return {
    version: m.version,
    kind: join(dir, 'bin', 'kind'),
    baseFiles: join(src, 'images', 'base', 'files'),
    haproxyDir: join(src, 'images', 'haproxy'),
    busybox: join(dir, 'bin', 'busybox'),
    origin: `debian ${KIND_SOURCE.suite} kind ${m.debianVersion}`,
    cached,
  };
}

async function fromCache(dir: string): Promise<KindDist | undefined> {
  if (!existsSync(join(dir, 'manifest.json'))) return undefined;
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const d = layout(dir, m, true);
  const res = await execa(d.kind, ['version'], { reject: false, timeout: 30_000 });
  const whole = existsSync(d.baseFiles) && existsSync(d.busybox);
  return parseKindVersionOutput(res.stdout) === m.version && whole ? d : undefined;
}

/** The cached kind binary, if a fetch put one there (the sweep must not fetch). */
export function cachedKindBinary(cacheDir = defaultCacheDir()): string | undefined {
  const p = join(cacheDir, 'kind', KIND_SOURCE.version, 'bin', 'kind');
  return existsSync(p) ? p : undefined;
}

/** kind 0.27 and its source's image files, fetched once into <cache>/kind/<version>. */
export async function resolveKind(opts: {
  readonly cacheDir?: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}): Promise<KindDist> {
  const root = join(opts.cacheDir ?? defaultCacheDir(), 'kind');
  const dir = join(root, KIND_SOURCE.version);
  const hit = await fromCache(dir);
  if (hit) return hit;
  await mkdir(root, { recursive: true });
  return withFileLock(
    join(root, 'fetch.lock'),
    async () => (await fromCache(dir)) ?? inStaging(root, opts.signal, (s) => fetchKind(dir, s, opts)),
  );
}

async function fetchKind(
  dir: string,
  staging: string,
  opts: { readonly log: Logger; readonly signal?: AbortSignal },
): Promise<KindDist> {
  const { log, signal } = opts;
  const hint = 'kind cannot be fetched';
  const apt = await privateApt({
    dir: join(staging, 'apt'),
    mirror: await machineMirror(hint),
    entries: [{ types: 'deb deb-src', suites: [KIND_SOURCE.suite] }],
    hint,
    signal,
  });
  log.progress(`apt: fetching kind ${KIND_SOURCE.version} and its source from Debian ${KIND_SOURCE.suite}`);
  await apt('apt-get', ['update']);
  const policy = await apt('apt-cache', ['madison', KIND_SOURCE.package]);
  const debianVersion = policy
    .split('\n')
    .map((l) => l.split('|')[1]?.trim())
    .find((v) => v?.startsWith(`${KIND_SOURCE.version}-`));
  if (!debianVersion) {
    throw new HarnessError(
      'ETCD_DIST',
      `Debian ${KIND_SOURCE.suite} no longer serves kind ${KIND_SOURCE.version} (apt-cache madison: ${policy.trim().slice(0, 200) || 'nothing'})`,
    );
  }
  const dl = join(staging, 'dl');
  await mkdir(dl);
  await apt('apt-get', ['download', `${KIND_SOURCE.package}=${debianVersion}`, 'busybox-static'], dl);
  // Only the upstream tarball: the .debian.tar.xz of this source is missing from the archive (a 404).
  await apt(
    'apt-get',
    ['source', '--download-only', '--tar-only', `${KIND_SOURCE.package}/${KIND_SOURCE.suite}`],
    dl,
  );
  const files = await readdir(dl);
  const deb = files.find((f) => f.startsWith('kind_') && f.endsWith('.deb'));
  const busybox = files.find((f) => f.startsWith('busybox-static_'));
  const orig = files.find((f) => f.endsWith('.orig.tar.gz'));
  if (!deb || !orig || !busybox) {
    throw new HarnessError(
      'ETCD_DIST',
      `kind's .deb or .orig.tar.gz did not arrive (found: ${files.join(', ')})`,
    );
  }
  const out = join(staging, 'out');
  await execa('dpkg-deb', ['-x', join(dl, deb), join(staging, 'deb')], { cancelSignal: signal });
  await mkdir(join(out, 'bin'), { recursive: true });
  await rename(join(staging, 'deb', 'usr', 'bin', 'kind'), join(out, 'bin', 'kind'));
  await execa('dpkg-deb', ['-x', join(dl, busybox), join(staging, 'busybox')], { cancelSignal: signal });
  // bookworm's package has bin/busybox, trixie's (merged /usr) usr/bin/busybox.
  const bb = ['usr/bin/busybox', 'bin/busybox']
    .map((p) => join(staging, 'busybox', p))
    .find((p) => existsSync(p));
  if (!bb) throw new HarnessError('ETCD_DIST', `${busybox} holds no bin/busybox or usr/bin/busybox`);
  await rename(bb, join(out, 'bin', 'busybox'));
  await mkdir(join(out, 'src'));
  await execa(
    'tar',
    ['-xzf', join(dl, orig), '-C', join(out, 'src'), '--strip-components=1', '--wildcards', '*/images/'],
    {
      cancelSignal: signal,
    },
  );
  const version = parseKindVersionOutput((await execa(join(out, 'bin', 'kind'), ['version'])).stdout);
  if (version !== KIND_SOURCE.version) {
    throw new HarnessError(
      'ETCD_DIST',
      `the kind from ${deb} reports ${version ?? 'no version'}, not ${KIND_SOURCE.version}`,
    );
  }
  const manifest: Manifest = { version, debianVersion, fetchedAt: new Date().toISOString() };
  await commitBuild(out, dir, manifest);
  log.progress(`kind ${version} cached in ${dir}`);
  return layout(dir, manifest, false);
}
