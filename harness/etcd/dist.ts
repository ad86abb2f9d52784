import { existsSync } from 'node:fs';
import { access, constants, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { execa } from '../util/exec.ts';
import { withFileLock } from '../util/lock.ts';
import { fetchFromDebian } from './debian.ts';
import { fetchFromGithub } from './github.ts';
import {
  DEFAULT_ETCD_VERSION,
  KNOWN_VERSIONS,
  knownVersion,
  parseEtcdVersionOutput,
  parseVersion,
} from './versions.ts';

/** A set of etcd binaries whose version has been checked by running them. */
export interface EtcdDist {
  readonly version: string;
  readonly binDir: string;
  readonly etcd: string;
  readonly etcdctl: string;
  /** Present from 3.5 on; restore and offline tools moved there. */
  readonly etcdutl?: string;
  /** Where the binaries came from, for the report: 'debian 3.4.23-4+b4', 'github v3.5.30', 'bin-dir /opt/etcd'. */
  readonly origin: string;
  /** True when this call found them in the cache (nothing was downloaded). */
  readonly cached: boolean;
}

export type EtcdSource = 'debian' | 'github';

export interface ResolveOptions {
  /** @default DEFAULT_ETCD_VERSION */
  readonly version?: string;
  /** Binaries the user already has; the version is read from `etcd --version`. */
  readonly binDir?: string;
  /** Where to fetch from on a cache miss. @default 'debian' */
  readonly source?: EtcdSource;
  /** @default $ETCD_DRILL_CACHE or $XDG_CACHE_HOME/etcd-drill or ~/.cache/etcd-drill */
  readonly cacheDir?: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

export function defaultCacheDir(): string {
  if (process.env.ETCD_DRILL_CACHE) return process.env.ETCD_DRILL_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'etcd-drill');
}

export function unknownVersionMessage(version: string): string {
  const list = KNOWN_VERSIONS.map((k) => k.version).join(', ');
  return (
    `unknown etcd version "${version}": etcd-drill can provide ${list}. ` +
    'Use one of those, or pass --etcd-bin-dir <dir> with your own etcd and etcdctl binaries ' +
    '(or --etcd-source github for an official release on a machine with internet).'
  );
}

export async function resolveEtcd(opts: ResolveOptions): Promise<EtcdDist> {
  if (opts.binDir) return fromBinDir(opts.binDir, opts.version);
  const version = opts.version ?? DEFAULT_ETCD_VERSION;
  const source = opts.source ?? 'debian';
  const known = knownVersion(version);
  // Unknown versions only through --etcd-source github, which may know releases newer than this table.
  if (!parseVersion(version) || (!known && source === 'debian')) {
    throw new HarnessError('BAD_INPUT', unknownVersionMessage(version));
  }
  const dir = join(opts.cacheDir ?? defaultCacheDir(), 'etcd', version);
  const cached = await fromCache(dir, version);
  if (cached) return cached;

  await mkdir(dir, { recursive: true });
  // Two runs (or test workers) missing the same version must not both run apt in one lists dir.
  return withFileLock(`${dir}.lock`, async () => {
    const again = await fromCache(dir, version);
    if (again) return again;
    const staging = await mkdtemp(`${dir}.staging-`);
    try {
      opts.log.progress(`fetching etcd ${version} from ${source} (first use; cached afterwards)`);
      const aptDir = join(opts.cacheDir ?? defaultCacheDir(), 'apt');
      const origin =
        known && source === 'debian'
          ? await fetchFromDebian(known, aptDir, staging, opts.log, opts.signal)
          : await fetchFromGithub(version, staging, opts.signal);
      const dist = await checkBinaries(staging, version, origin);
      await writeFile(join(staging, 'origin.json'), JSON.stringify({ version, origin }, null, 2));
      await rm(join(dir, 'bin'), { recursive: true, force: true });
      await rename(join(staging, 'bin'), join(dir, 'bin'));
      await rename(join(staging, 'origin.json'), join(dir, 'origin.json'));
      opts.log.progress(`etcd ${version} cached in ${dir}`);
      return { ...dist, binDir: join(dir, 'bin'), ...paths(join(dir, 'bin'), dist.etcdutl !== undefined) };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}

function paths(binDir: string, hasEtcdutl: boolean) {
  return {
    etcd: join(binDir, 'etcd'),
    etcdctl: join(binDir, 'etcdctl'),
    ...(hasEtcdutl ? { etcdutl: join(binDir, 'etcdutl') } : {}),
  };
}

async function fromCache(dir: string, version: string): Promise<EtcdDist | undefined> {
  const meta = join(dir, 'origin.json');
  if (!existsSync(meta)) return undefined;
  try {
    const { origin } = JSON.parse(await readFile(meta, 'utf8')) as { origin: string };
    const dist = await checkBinaries(dir, version, origin);
    return { ...dist, cached: true };
  } catch {
    return undefined; // a damaged cache entry is refetched
  }
}

async function fromBinDir(binDir: string, wanted: string | undefined): Promise<EtcdDist> {
  if (!existsSync(binDir)) {
    throw new HarnessError(
      'BAD_INPUT',
      `--etcd-bin-dir ${binDir} does not exist: give a folder holding etcd and etcdctl`,
    );
  }
  // Version from the binary itself: the user's folder name may say anything.
  const version = await readVersion(join(binDir, 'etcd'));
  if (wanted && wanted !== version) {
    throw new HarnessError(
      'BAD_INPUT',
      `--etcd ${wanted} was asked for, but ${join(binDir, 'etcd')} is etcd ${version}: drop --etcd or point --etcd-bin-dir at ${wanted}`,
    );
  }
  return checkBinaries(binDir, version, `bin-dir ${binDir}`, true);
}

/** Looks for bin/ under `root` (cache layout) or binaries directly in it (user's folder). */
async function checkBinaries(root: string, version: string, origin: string, flat = false): Promise<EtcdDist> {
  const binDir = flat ? root : join(root, 'bin');
  for (const name of ['etcd', 'etcdctl']) {
    const p = join(binDir, name);
    try {
      await access(p, constants.X_OK);
    } catch {
      throw new HarnessError(
        'ETCD_DIST',
        `missing etcd binary ${p}: put etcd and etcdctl (and etcdutl for 3.5+) in that folder, or let etcd-drill fetch them by dropping --etcd-bin-dir`,
      );
    }
  }
  const seen = await readVersion(join(binDir, 'etcd'));
  if (seen !== version) {
    throw new HarnessError(
      'ETCD_DIST',
      `${join(binDir, 'etcd')} reports version ${seen}, expected ${version}`,
    );
  }
  const hasEtcdutl = existsSync(join(binDir, 'etcdutl'));
  return { version, binDir, origin, cached: false, ...paths(binDir, hasEtcdutl) };
}

async function readVersion(etcd: string): Promise<string> {
  const res = await execa(etcd, ['--version'], { reject: false, timeout: 20_000 });
  const v = parseEtcdVersionOutput(`${res.stdout}\n${res.stderr}`);
  if (res.failed && res.code === 'ENOENT') {
    throw new HarnessError(
      'ETCD_DIST',
      `missing etcd binary ${etcd}: install etcd there or drop --etcd-bin-dir`,
    );
  }
  if (!v) {
    throw new HarnessError(
      'ETCD_DIST',
      `${etcd} --version did not print an etcd version (is it etcd?): ${res.stderr || res.stdout}`.slice(
        0,
        300,
      ),
    );
  }
  return v;
}
