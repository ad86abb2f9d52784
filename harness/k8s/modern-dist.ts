/**
 * Kubernetes 1.36's apiserver storage layer as one binary: `apiextensions-apiserver`, built from
 * Debian sid's Go source packages (ENVIRONMENT.md, "Kubernetes 1.36 storage layer"). It serves CRDs
 * and custom objects through the same generic registry, watch cache and etcd3 storage as
 * kube-apiserver; Debian ships no kube-apiserver source after 1.20.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  access,
  constants,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, relative } from 'node:path';
import { HarnessError, type HarnessErrorCode } from '../errors.ts';
import { defaultCacheDir } from '../etcd/dist.ts';
import type { Logger } from '../log.ts';
import { machineMirror, type PrivateApt, privateApt } from '../util/apt.ts';
import { BUILD_TIMEOUT_MS, commitBuild, goBuildEnv, inStaging, runLongBuild } from '../util/build.ts';
import { execa } from '../util/exec.ts';
import { withFileLock } from '../util/lock.ts';
import { parseGoVersionOutput } from './dist.ts';

/** The apiextensions-apiserver binary, checked by running it. */
export interface ModernK8sDist {
  /** What it reports on /version, e.g. '1.36.4', read from its Go build information (it has no --version flag). */
  readonly version: string;
  readonly binDir: string;
  readonly apiserver: string;
  /** 'debian sid golang-k8s-apiserver-dev 0.36.4-2 (317 packages, key 8f89993cecab5f4b), built with go 1.27.3' or 'bin-dir /x'. */
  readonly origin: string;
  /** The exact packages it was built from (absent for a user's own build). */
  readonly packages?: readonly PackagePin[];
  /** True when this call found it in the cache (nothing was built). */
  readonly cached: boolean;
}

export interface PackagePin {
  readonly name: string;
  readonly version: string;
}

export interface ResolveModernK8sOptions {
  /** A folder with the user's own apiextensions-apiserver (any version). */
  readonly binDir?: string;
  /** Root of the cache; the binary goes to <cacheDir>/k8s-modern/<key>/bin. @default defaultCacheDir() */
  readonly cacheDir?: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** The package whose -dev closure is built. @default MODERN_SOURCE.rootPackage (tests name a vanished one) */
  readonly rootPackage?: string;
}

export const MODERN_SOURCE = {
  suite: 'sid',
  /** Its recursive -dev dependencies are the build's whole GOPATH. */
  rootPackage: 'golang-k8s-apiextensions-apiserver-dev',
  /** Whose version gives the gitVersion stamped into the binary (0.36.4 → v1.36.4). */
  versionPackage: 'golang-k8s-apiserver-dev',
  /** The Go that built it by hand; a newer one is taken when the dependencies reach it. */
  minGo: [1, 26] as const,
  goPackage: 'k8s.io/apiextensions-apiserver',
  binary: 'apiextensions-apiserver',
} as const;

const OVERRIDE_HINT =
  'pass --k8s-modern-bin-dir with a folder holding your own apiextensions-apiserver build';

/** A Go source package (what the GOPATH build reads); C headers (libc6-dev, …) are not: CGO_ENABLED=0. */
function isGoSource(name: string): boolean {
  return /^golang-.+-dev$/.test(name);
}

/**
 * The Go source packages (golang-*-dev) of `apt-cache depends --recurse` output: the unindented
 * lines (each package once), without virtual ones (`<name>`, whose providers appear unindented
 * themselves). Nothing else enters the download or the cache key: the build is CGO_ENABLED=0, so
 * C header packages such as libc6-dev are not used, and a new version of one must not force a rebuild.
 */
export function parseDependsRecurse(out: string): string[] {
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    if (!line || /^\s/.test(line) || line.startsWith('<')) continue;
    const name = line.trim();
    if (isGoSource(name)) names.add(name);
  }
  return [...names].sort();
}

/**
 * Dependency groups of the closure that nothing in the suite satisfies, each as 'a-dev | b-dev'.
 * apt-cache prints an alternative as `|Depends: a` followed by its other members (the last without
 * `|`): the group is satisfied when any member exists. A name it does not know shows as virtual,
 * `Depends: <name>`, with the providers on the lines under it (indented further): none there means
 * the member is gone. Only groups naming a golang-* -dev package are the build's to judge.
 */
export function unprovidedDeps(out: string): string[] {
  const lines = out.split('\n');
  const unsatisfied = new Set<string>();
  let group: { name: string; exists: boolean }[] = [];
  const close = () => {
    if (group.length > 0 && !group.some((m) => m.exists) && group.some((m) => isGoSource(m.name))) {
      unsatisfied.add(group.map((m) => m.name).join(' | '));
    }
    group = [];
  };
  lines.forEach((line, i) => {
    if (!/^\s/.test(line)) {
      close();
      return;
    }
    const dep = /^\s+(\|?)Depends: (\S+)\s*$/.exec(line);
    if (!dep) return;
    const [, alt, raw = ''] = dep;
    const virtual = /^<(.+)>$/.exec(raw)?.[1];
    const next = lines[i + 1] ?? '';
    const exists = virtual === undefined || (/^\s{4,}\S/.test(next) && !/Depends:/.test(next));
    group.push({ name: virtual ?? raw, exists });
    if (!alt) close();
  });
  close();
  return [...unsatisfied].sort();
}

/**
 * The Go to build with: the newest golang-1.NN-go in the dependency closure (what the packages
 * themselves pull in), else the newest one the suite serves, never older than `min`.
 */
export function pickGo(
  closure: readonly string[],
  available: readonly string[],
  min: readonly [number, number] = MODERN_SOURCE.minGo,
): { go: string; src: string; minor: number } | undefined {
  const minors = (names: readonly string[]) =>
    names
      .map((n) => /^golang-1\.(\d+)-go$/.exec(n)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .filter((m) => m >= min[1])
      .sort((a, b) => b - a);
  const minor = minors(closure)[0] ?? minors(available)[0];
  if (minor === undefined) return undefined;
  return { go: `golang-1.${minor}-go`, src: `golang-1.${minor}-src`, minor };
}

/** `apt-cache show --no-all-versions` stanzas → name and version of each. */
export function parseShowVersions(out: string): PackagePin[] {
  const pins: PackagePin[] = [];
  for (const stanza of out.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)\s*$/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)\s*$/m.exec(stanza)?.[1];
    if (name && version && !pins.some((p) => p.name === name)) pins.push({ name, version });
  }
  return pins.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The cache key: the first 16 hex digits of sha256 over the sorted `name=version` lines, so any
 * package moving in sid means a new build and the same set never builds twice.
 */
export function cacheKey(pins: readonly PackagePin[]): string {
  const lines = [...pins]
    .map((p) => `${p.name}=${p.version}\n`)
    .sort()
    .join('');
  return createHash('sha256').update(lines).digest('hex').slice(0, 16);
}

/**
 * Debian's golang-k8s-apiserver-dev version → the Kubernetes version: '1:0.36.4+ds-2' → '1.36.4'.
 * 0.0.x is no release but the placeholder of unversioned builds (upstream's staging modules are
 * required at v0.0.0): undefined, not 1.0.x.
 */
export function k8sVersionFromDebian(debianVersion: string): string | undefined {
  const upstream = debianVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  const m = /^0\.(\d+)\.(\d+)(?:$|[+~])/.exec(upstream);
  return m && Number(m[1]) > 0 ? `1.${m[1]}.${m[2]}` : undefined;
}

/** The package apt could not find, from its error output ('E: Unable to locate package x'). */
export function vanishedPackage(aptError: string): string | undefined {
  return (
    /Unable to locate package (\S+)/.exec(aptError)?.[1] ??
    /Can't find a source to download version '[^']*' of '([^':]+)/.exec(aptError)?.[1] ??
    /Version '[^']*' for '([^']+)' was not found/.exec(aptError)?.[1]
  );
}

export async function resolveModernK8s(opts: ResolveModernK8sOptions): Promise<ModernK8sDist> {
  if (opts.binDir) return fromBinDir(opts.binDir);
  const root = join(opts.cacheDir ?? defaultCacheDir(), 'k8s-modern');
  await mkdir(root, { recursive: true });
  // One apt state and one build per machine at a time: a second caller waits, then finds the first one's binary.
  return withFileLock(
    join(root, 'build.lock'),
    () =>
      resolveLocked(root, opts).catch(async (err: unknown) => {
        const pkg = err instanceof HarnessError ? err.details?.package : undefined;
        if (typeof pkg !== 'string') throw err;
        throw vanished(pkg, { root, newest: await newestCached(root).catch(() => undefined) });
      }),
    2 * BUILD_TIMEOUT_MS,
  );
}

async function fromBinDir(binDir: string): Promise<ModernK8sDist> {
  const what =
    'give a folder holding apiextensions-apiserver (any version), or drop --k8s-modern-bin-dir to let etcd-drill build it from Debian sid';
  const st = await stat(binDir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new HarnessError('BAD_INPUT', `--k8s-modern-bin-dir ${binDir} is not a folder: ${what}`);
  }
  const version = await checkBinary(binDir, 'BAD_INPUT', what);
  return {
    version,
    binDir,
    apiserver: join(binDir, MODERN_SOURCE.binary),
    origin: `bin-dir ${binDir}`,
    cached: false,
  };
}

/** What a Go binary says about its own build (`go version -m`), read without a Go toolchain. */
export interface GoBuildInfo {
  readonly goVersion: string;
  /** The main package ("path" line). */
  readonly path?: string;
  /** "build" lines: -ldflags, CGO_ENABLED, … */
  readonly settings: ReadonlyMap<string, string>;
  /** "mod" and "dep" lines (module-mode builds): module path → version. */
  readonly modules: ReadonlyMap<string, string>;
}

const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * The build information Go (>= 1.18) writes into every binary: after the 14-byte magic, pointer
 * size and flags, padding to 32 bytes, then two length-prefixed strings (Go version, module info).
 * Older layouts (flags without bit 2, pointers instead of inline strings) give undefined.
 */
export function parseGoBuildInfo(buf: Buffer): GoBuildInfo | undefined {
  const at = buf.indexOf(BUILDINFO_MAGIC);
  if (at < 0 || ((buf[at + 15] ?? 0) & 2) === 0) return undefined;
  let p = at + 32;
  const uvarint = (): number => {
    let x = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = buf[p++];
      if (b === undefined) return -1;
      x += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return x;
    }
    return -1;
  };
  const str = (): string | undefined => {
    const n = uvarint();
    if (n < 0 || p + n > buf.length) return undefined;
    const s = buf.subarray(p, p + n).toString('utf8');
    p += n;
    return s;
  };
  const goVersion = str();
  const mod = str();
  if (!goVersion?.startsWith('go') || mod === undefined) return undefined;
  const settings = new Map<string, string>();
  const modules = new Map<string, string>();
  let path: string | undefined;
  // Module info is framed by two 16-byte sentinels; its lines are tab-separated.
  for (const line of (mod.length >= 32 ? mod.slice(16, -16) : mod).split('\n')) {
    const [kind, a, b] = line.split('\t');
    if (kind === 'path' && a) path = a;
    else if ((kind === 'mod' || kind === 'dep') && a && b) modules.set(a, b);
    else if (kind === 'build' && a) {
      const eq = a.indexOf('=');
      if (eq > 0) settings.set(a.slice(0, eq), a.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
    }
  }
  return { goVersion: goVersion.slice(2), ...(path ? { path } : {}), settings, modules };
}

/**
 * The Kubernetes version a binary reports on /version, from its build information: the gitVersion
 * stamped with -ldflags -X (recorded unless built with -trimpath), else the version of the
 * component-base module it was built against (module-mode builds, e.g. upstream's).
 */
export function k8sVersionFromBuildInfo(info: GoBuildInfo): string | undefined {
  const ldflags = info.settings.get('-ldflags') ?? '';
  const stamped = /k8s\.io\/component-base\/version\.gitVersion=v(\d+\.\d+\.\d+[^\s"']*)/.exec(ldflags)?.[1];
  if (stamped) return stamped;
  // A module at v0.0.0 (a replace to a local checkout) says nothing: the next one may.
  for (const m of ['k8s.io/component-base', 'k8s.io/apiextensions-apiserver']) {
    const mod = info.modules.get(m);
    const version = mod ? k8sVersionFromDebian(mod.replace(/^v/, '')) : undefined;
    if (version) return version;
  }
  return undefined;
}

/**
 * Checks the binary runs and is an apiserver (`--help` lists --etcd-servers; it has no --version
 * flag), and returns the version it reports, read from its Go build information.
 */
async function checkBinary(binDir: string, code: HarnessErrorCode, what: string): Promise<string> {
  const p = join(binDir, MODERN_SOURCE.binary);
  try {
    await access(p, constants.X_OK);
  } catch {
    throw new HarnessError(code, `missing ${p} (absent or not executable); ${what}`);
  }
  const res = await execa(p, ['--help'], { reject: false, timeout: 30_000 });
  if (res.failed || !/--etcd-servers\b/.test(`${res.stdout}${res.stderr}`)) {
    const said = `${res.stderr} ${res.stdout}`.replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new HarnessError(
      code,
      `broken ${p}: \`${MODERN_SOURCE.binary} --help\` ${res.failed ? `failed (exit ${res.exitCode ?? res.signal})` : 'lists no --etcd-servers flag'}${said ? `: ${said}` : ''}; ${what}`,
    );
  }
  const info = parseGoBuildInfo(await readFile(p));
  const version = info && k8sVersionFromBuildInfo(info);
  if (!version) {
    throw new HarnessError(
      code,
      `${p} runs, but its Go build information names no Kubernetes version (build it with -ldflags "-X k8s.io/component-base/version.gitVersion=v1.NN.N" and without -trimpath, or in module mode); ${what}`,
    );
  }
  return version;
}

interface Manifest {
  version: string;
  key: string;
  packages: PackagePin[];
  goVersion: string;
  origin: string;
  builtAt: string;
  buildSeconds: number;
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The build in <root>/<key>, if complete and its binary still reports the recorded version. */
async function cached(root: string, key: string): Promise<ModernK8sDist | undefined> {
  const dir = join(root, key);
  const m = await readManifest(dir);
  if (!m) return undefined;
  const binDir = join(dir, 'bin');
  const version = await checkBinary(binDir, 'ETCD_DIST', 'rebuilding').catch(() => undefined);
  if (version !== m.version) return undefined;
  return {
    version,
    binDir,
    apiserver: join(binDir, MODERN_SOURCE.binary),
    origin: m.origin,
    packages: m.packages,
    cached: true,
  };
}

/** The newest complete build of any key: what an offline machine can still use. */
async function newestCached(root: string): Promise<ModernK8sDist | undefined> {
  const found: { key: string; m: Manifest }[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('staging-') || e.name.endsWith('.lock') || e.name === 'apt')
      continue;
    const m = await readManifest(join(root, e.name));
    if (m) found.push({ key: e.name, m });
  }
  found.sort((a, b) => b.m.builtAt.localeCompare(a.m.builtAt));
  for (const { key } of found) {
    const hit = await cached(root, key);
    if (hit) return hit;
  }
  return undefined;
}

/** The exact package set sid serves now: the -dev closure plus its Go. */
async function packageSet(
  apt: PrivateApt,
  rootPackage: string,
): Promise<{ pins: PackagePin[]; goMinor: number }> {
  const closure = await aptNaming(
    () =>
      apt('apt-cache', [
        'depends',
        '--recurse',
        '--no-recommends',
        '--no-suggests',
        '--no-conflicts',
        '--no-breaks',
        '--no-replaces',
        '--no-enhances',
        rootPackage,
      ]),
    rootPackage,
  );
  const all = closure
    .split('\n')
    .filter((l) => l && !/^\s/.test(l) && !l.startsWith('<'))
    .map((l) => l.trim());
  const devs = parseDependsRecurse(closure);
  if (!devs.includes(rootPackage)) {
    throw vanished(rootPackage);
  }
  const unprovided = unprovidedDeps(closure);
  if (unprovided.length > 0) throw vanished(unprovided.join(', '));
  const available = (await apt('apt-cache', ['pkgnames', 'golang-1.'])).split('\n').map((l) => l.trim());
  const go = pickGo(all, available);
  if (!go) {
    throw new HarnessError(
      'ETCD_DIST',
      `Debian ${MODERN_SOURCE.suite} serves no golang-1.NN-go of 1.${MODERN_SOURCE.minGo[1]} or newer: ${OVERRIDE_HINT}`,
    );
  }
  const names = [...devs, go.go, go.src];
  const pins = parseShowVersions(
    await aptNaming(() => apt('apt-cache', ['show', '--no-all-versions', ...names])),
  );
  const missing = names.filter((n) => !pins.some((p) => p.name === n));
  if (missing.length > 0) throw vanished(missing.join(', '));
  return { pins, goMinor: go.minor };
}

/**
 * The error for a package sid no longer serves. With `cache` (resolveModernK8s adds it), the way
 * out names the newest cached build's folder, or says there is none.
 */
export function vanished(
  pkg: string,
  cache?: { root: string; newest: Pick<ModernK8sDist, 'binDir' | 'version'> | undefined },
): HarnessError {
  const fromCache = !cache
    ? ''
    : cache.newest
      ? `, or use the newest cached build (${cache.newest.version}): --k8s-modern-bin-dir ${cache.newest.binDir}`
      : ` (no cached build exists in ${cache.root} to fall back on)`;
  return new HarnessError(
    'ETCD_DIST',
    `Debian ${MODERN_SOURCE.suite} no longer serves ${pkg}, which building apiextensions-apiserver (Kubernetes 1.36) needs: ${OVERRIDE_HINT}${fromCache}`,
    { details: { package: pkg } },
  );
}

/**
 * Turns apt's "unable to locate" into the error naming the vanished package; `asked` is the one
 * package asked about, for apt-cache's nameless "No packages found".
 */
async function aptNaming<T>(fn: () => Promise<T>, asked?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : '';
    const pkg = vanishedPackage(msg) ?? (asked && /No packages found/.test(msg) ? asked : undefined);
    if (pkg) throw vanished(pkg);
    throw err;
  }
}

async function resolveLocked(root: string, opts: ResolveModernK8sOptions): Promise<ModernK8sDist> {
  const { log, signal } = opts;
  let apt: PrivateApt;
  let set: { pins: PackagePin[]; goMinor: number };
  try {
    apt = await privateApt({
      dir: join(root, 'apt'),
      mirror: await machineMirror(`${OVERRIDE_HINT} instead`),
      entries: [{ types: 'deb', suites: [MODERN_SOURCE.suite] }],
      hint: OVERRIDE_HINT,
      signal,
      timeoutMs: 900_000,
    });
    log.progress(`apt: updating private package lists (Debian ${MODERN_SOURCE.suite})`);
    await apt('apt-get', ['update']);
    set = await packageSet(apt, opts.rootPackage ?? MODERN_SOURCE.rootPackage);
  } catch (err) {
    signal?.throwIfAborted();
    // Offline: the newest build there is beats none; a vanished package is said all the same.
    const fallback =
      err instanceof HarnessError && !err.details?.package ? await newestCached(root) : undefined;
    if (!fallback) throw err;
    log.warn(
      `could not ask Debian ${MODERN_SOURCE.suite} for the package set; using the newest cached build`,
      {
        error: String(err),
        origin: fallback.origin,
      },
    );
    return fallback;
  }
  const key = cacheKey(set.pins);
  const hit = await cached(root, key);
  if (hit) return hit;
  return inStaging(root, opts.signal, (staging) => build(root, staging, key, set, apt, opts));
}

async function build(
  root: string,
  staging: string,
  key: string,
  set: { pins: PackagePin[]; goMinor: number },
  apt: PrivateApt,
  opts: ResolveModernK8sOptions,
): Promise<ModernK8sDist> {
  const { log, signal } = opts;
  const started = Date.now();
  const apiserverPin = set.pins.find((p) => p.name === MODERN_SOURCE.versionPackage);
  const k8sVersion = apiserverPin && k8sVersionFromDebian(apiserverPin.version);
  if (!apiserverPin || !k8sVersion) {
    throw new HarnessError(
      'ETCD_DIST',
      `cannot tell the Kubernetes version from ${MODERN_SOURCE.versionPackage} ${apiserverPin?.version ?? '(not in the package set)'}: ${OVERRIDE_HINT}`,
    );
  }
  log.progress(
    `building apiextensions-apiserver ${k8sVersion} from Debian ${MODERN_SOURCE.suite}'s Go sources (${set.pins.length} packages, Go 1.${set.goMinor}; first use: about 6-10 min on one niced core; cached afterwards)`,
  );
  const dl = join(staging, 'dl');
  await mkdir(dl);
  log.progress(`apt: downloading ${set.pins.length} packages`);
  // Pinned to the versions the key was computed from.
  await aptNaming(() => apt('apt-get', ['download', ...set.pins.map((p) => `${p.name}=${p.version}`)], dl));
  const debs = (await readdir(dl)).filter((f) => f.endsWith('.deb'));
  log.progress(`unpacking ${debs.length} packages`);
  const tree = join(staging, 'root');
  for (const f of debs) {
    await execa('dpkg-deb', ['-x', join(dl, f), tree], { cancelSignal: signal });
  }
  await rm(dl, { recursive: true, force: true });
  await rootSymlinks(tree);

  const goroot = join(tree, 'usr', 'lib', `go-1.${set.goMinor}`);
  const env = goBuildEnv(goroot, staging, {
    GOPATH: join(tree, 'usr', 'share', 'gocode'),
    GO111MODULE: 'off',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '',
    GOMAXPROCS: '1',
  });
  const goBin = join(goroot, 'bin', 'go');
  const goVersion = parseGoVersionOutput(
    (await execa(goBin, ['version'], { env, extendEnv: false, reject: false })).stdout,
  );
  if (!goVersion) throw new HarnessError('ETCD_DIST', `no usable Go in ${goroot}`);

  const out = join(staging, 'out');
  await mkdir(join(out, 'bin'), { recursive: true });
  const [major, minor] = k8sVersion.split('.') as [string, string];
  const ldflags = [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=v${k8sVersion}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
  log.progress(`go build ${MODERN_SOURCE.goPackage} (niced, one core; its output goes to the debug log)`);
  // nice and -p 1 / GOMAXPROCS=1: two cores, and the other one may be running a benchmark.
  await runLongBuild({
    argv: [
      'nice',
      '-n',
      '19',
      goBin,
      'build',
      '-p',
      '1',
      // No -trimpath: Go then leaves -ldflags (the stamped gitVersion) out of the build information.
      '-o',
      join(out, 'bin', MODERN_SOURCE.binary),
      '-ldflags',
      ldflags,
      MODERN_SOURCE.goPackage,
    ],
    cwd: staging,
    env,
    what: 'apiextensions-apiserver',
    step: `go build ${MODERN_SOURCE.goPackage}`,
    log,
    signal,
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  const version = await checkBinary(
    join(out, 'bin'),
    'ETCD_DIST',
    'the build produced a binary that does not run',
  );
  const origin = `debian ${MODERN_SOURCE.suite} ${MODERN_SOURCE.versionPackage} ${apiserverPin.version} (${set.pins.length} packages, key ${key}), built with go ${goVersion}`;
  const buildSeconds = Math.round((Date.now() - started) / 1000);
  const manifest: Manifest = {
    version,
    key,
    packages: set.pins,
    goVersion,
    origin,
    builtAt: new Date().toISOString(),
    buildSeconds,
  };
  await writeFile(join(out, 'packages.txt'), set.pins.map((p) => `${p.name}=${p.version}\n`).join(''));
  const dir = join(root, key);
  await commitBuild(out, dir, manifest);
  log.progress(`apiextensions-apiserver ${version} built in ${buildSeconds} s and cached in ${dir}`);
  const binDir = join(dir, 'bin');
  return {
    version,
    binDir,
    apiserver: join(binDir, MODERN_SOURCE.binary),
    origin,
    packages: set.pins,
    cached: false,
  };
}

/**
 * Debian's -dev packages link some source folders to others with absolute paths
 * (/usr/share/gocode/src/…): unpacked elsewhere, those must point inside the unpacked tree.
 */
async function rootSymlinks(tree: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const target = await readlink(p);
        if (target.startsWith('/')) {
          await rm(p);
          await symlink(relative(dir, join(tree, target)), p);
        }
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  if (existsSync(tree)) await walk(tree);
}
