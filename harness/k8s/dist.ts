import { existsSync } from 'node:fs';
import { access, constants, copyFile, mkdir, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { HarnessError, type HarnessErrorCode } from '../errors.ts';
import { defaultCacheDir } from '../etcd/dist.ts';
import type { Logger } from '../log.ts';
import { machineMirror, privateApt } from '../util/apt.ts';
import { BUILD_TIMEOUT_MS, commitBuild, goBuildEnv, inStaging, runLongBuild } from '../util/build.ts';
import { execa } from '../util/exec.ts';
import { withFileLock } from '../util/lock.ts';

/** A Kubernetes control plane's binaries, each checked by running it. */
export interface K8sDist {
  /** From `kube-apiserver --version`, e.g. '1.20.2'. */
  readonly version: string;
  readonly binDir: string;
  readonly apiserver: string;
  readonly controllerManager: string;
  readonly scheduler: string;
  /** 'debian bookworm 1.20.5+really1.20.2-1.1+deb12u1, built with go 1.15.15' or 'bin-dir /x'. */
  readonly origin: string;
  /** True when this call found them in the cache (nothing was built). */
  readonly cached: boolean;
  /** A node's binaries from the same build, when asked for (`node`) or already cached. */
  readonly node?: K8sNodeBinaries;
}

/** What a kind node image runs besides the control plane's images (issue 14). */
export interface K8sNodeBinaries {
  readonly kubelet: string;
  readonly kubeadm: string;
  readonly kubectl: string;
  readonly kubeProxy: string;
  /** Kubernetes' own pause, built from the same source (build/pause/linux/pause.c). */
  readonly pause: string;
}

export interface ResolveK8sOptions {
  /** Binaries the user already has (any version). */
  readonly binDir?: string;
  /** Root of the cache; binaries go to <cacheDir>/k8s/<debian-version>/bin. @default defaultCacheDir() */
  readonly cacheDir?: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** Also kubelet, kubeadm, kubectl and kube-proxy (kind's node image); a cache without them is rebuilt. */
  readonly node?: boolean;
}

/**
 * Where the binaries come from (ENVIRONMENT.md, Kubernetes): Debian's source package, built with
 * Go 1.15, because Go >= 1.18 builds an apiserver that panics (its vendored reflect2 is too old).
 */
export const K8S_SOURCE = {
  suite: 'bookworm',
  package: 'kubernetes',
  goSuite: 'bullseye',
  goPackages: ['golang-1.15-go', 'golang-1.15-src'],
  goRoot: 'usr/lib/go-1.15',
} as const;

const BINARIES = [
  ['apiserver', 'kube-apiserver'],
  ['controllerManager', 'kube-controller-manager'],
  ['scheduler', 'kube-scheduler'],
] as const;

/** kubeadm and kubectl have no --version: the third field is what prints theirs. */
const NODE_BINARIES = [
  ['kubelet', 'kubelet'],
  ['kubeadm', 'kubeadm', ['version', '-o', 'short']],
  ['kubectl', 'kubectl', ['version', '--client', '--short']],
  ['kubeProxy', 'kube-proxy'],
] as const;

type Binaries = readonly (readonly [string, string, (readonly string[])?])[];

/** Tools the build runs, and the Debian package that has each. */
const BUILD_TOOLS: Readonly<Record<string, string>> = {
  make: 'make',
  rsync: 'rsync',
  jq: 'jq',
  'dpkg-source': 'dpkg-dev',
  patch: 'patch',
  xz: 'xz-utils',
};

/** The node build also compiles Kubernetes' pause (build/pause/linux/pause.c), statically. */
const NODE_BUILD_TOOLS: Readonly<Record<string, string>> = { gcc: 'gcc' };

/** `kube-apiserver --version` prints "Kubernetes v1.20.2"; `kubeadm version -o short` "v1.20.2"; `kubectl version --client --short` "Client Version: v1.20.2". */
export function parseK8sVersionOutput(out: string): string | undefined {
  return /^(?:Kubernetes |Client Version: )?v(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)\s*$/m.exec(out)?.[1];
}

/** `go version` prints "go version go1.15.15 linux/amd64". */
export function parseGoVersionOutput(out: string): string | undefined {
  return /\bgo version go(\d+\.\d+(?:\.\d+)?)\b/.exec(out)?.[1];
}

/** The "Version:" field of a Debian .dsc (the source package version apt picked). */
export function parseDscVersion(dsc: string): string | undefined {
  return /^Version:\s*(\S+)\s*$/m.exec(dsc)?.[1];
}

export async function resolveK8s(opts: ResolveK8sOptions): Promise<K8sDist> {
  if (opts.binDir) return fromBinDir(opts.binDir, opts.log);
  const root = join(opts.cacheDir ?? defaultCacheDir(), 'k8s');
  const node = opts.node === true;
  const hit = await fromCache(root, node);
  if (hit) return hit;
  await mkdir(root, { recursive: true });
  // One build per machine at a time: a second caller waits, then finds the first one's binaries.
  return withFileLock(
    join(root, 'build.lock'),
    async () =>
      (await fromCache(root, node)) ?? inStaging(root, opts.signal, (staging) => build(root, staging, opts)),
    2 * BUILD_TIMEOUT_MS,
  );
}

function paths(binDir: string): Pick<K8sDist, 'apiserver' | 'controllerManager' | 'scheduler'> {
  return {
    apiserver: join(binDir, 'kube-apiserver'),
    controllerManager: join(binDir, 'kube-controller-manager'),
    scheduler: join(binDir, 'kube-scheduler'),
  };
}

async function fromBinDir(binDir: string, log: Logger): Promise<K8sDist> {
  const what =
    'give a folder holding kube-apiserver, kube-controller-manager and kube-scheduler (any version), or drop --k8s-bin-dir to let etcd-drill build them from Debian';
  const st = await stat(binDir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new HarnessError('BAD_INPUT', `--k8s-bin-dir ${binDir} is not a folder: ${what}`);
  }
  const versions = await checkBinaries(binDir, 'BAD_INPUT', what, log);
  const node = await cachedNode(binDir, versions.version);
  return {
    ...versions,
    binDir,
    origin: `bin-dir ${binDir}`,
    cached: false,
    ...paths(binDir),
    ...(node ? { node } : {}),
  };
}

/**
 * Runs each binary with --version; returns the apiserver's version. Components of different
 * versions are the user's choice (Kubernetes allows some skew), so only said, never refused.
 */
async function checkBinaries(
  binDir: string,
  code: HarnessErrorCode,
  what: string,
  log?: Logger,
  binaries: Binaries = BINARIES,
): Promise<{ version: string }> {
  // Every binary checked, so one message names all that are wrong.
  const seen = await Promise.all(
    binaries.map(async ([, name, args]): Promise<{ name: string; v?: string; problem?: string }> => {
      const p = join(binDir, name);
      try {
        await access(p, constants.X_OK);
      } catch {
        return { name, problem: `missing Kubernetes binary ${p} (absent or not executable)` };
      }
      const res = await execa(p, [...(args ?? ['--version'])], { reject: false, timeout: 30_000 });
      const v = parseK8sVersionOutput(res.stdout);
      if (v) return { name, v };
      const said = `${res.stderr} ${res.stdout}`.replace(/\s+/g, ' ').trim().slice(0, 200);
      const how = res.failed
        ? `failed (${res.exitCode !== undefined ? `exit ${res.exitCode}` : (res.signal ?? res.code)})`
        : 'printed no "Kubernetes vX.Y.Z"';
      return {
        name,
        problem: `broken Kubernetes binary ${p}: \`${name} --version\` ${how}${said ? `: ${said}` : ''}`,
      };
    }),
  );
  const problems = seen.flatMap((s) => (s.problem ? [s.problem] : []));
  if (problems.length > 0) throw new HarnessError(code, `${problems.join('; ')}; ${what}`);
  const version = seen[0]?.v as string;
  if (seen.some((s) => s.v !== version)) {
    log?.warn(
      `Kubernetes components of different versions in ${binDir}: ${seen.map((s) => `${s.name} ${s.v}`).join(', ')}`,
    );
  }
  return { version };
}

interface Manifest {
  version: string;
  debianVersion: string;
  goVersion: string;
  origin: string;
  builtAt: string;
  buildSeconds: number;
}

function nodePaths(binDir: string): K8sNodeBinaries {
  const p = Object.fromEntries(NODE_BINARIES.map(([key, name]) => [key, join(binDir, name)]));
  return { ...p, pause: join(binDir, 'pause') } as unknown as K8sNodeBinaries;
}

/** The node binaries beside the control plane's, when all four are there and of `version`. */
async function cachedNode(binDir: string, version: string): Promise<K8sNodeBinaries | undefined> {
  try {
    const node = await checkBinaries(binDir, 'ETCD_DIST', 'rebuilding', undefined, NODE_BINARIES);
    const pause = await access(join(binDir, 'pause'), constants.X_OK).then(
      () => true,
      () => false,
    );
    return node.version === version && pause ? nodePaths(binDir) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Any complete build under <root>/<debian-version>/ (newest first), without asking the network;
 * with `node`, only one that also holds the node binaries.
 */
async function fromCache(root: string, node: boolean): Promise<K8sDist | undefined> {
  if (!existsSync(root)) return undefined;
  const found: { dir: string; m: Manifest }[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('staging-') || e.name.endsWith('.lock')) continue;
    const dir = join(root, e.name);
    try {
      found.push({ dir, m: JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest });
    } catch {
      // no manifest: an unfinished or foreign folder
    }
  }
  found.sort((a, b) => b.m.builtAt.localeCompare(a.m.builtAt));
  for (const { dir, m } of found) {
    const binDir = join(dir, 'bin');
    try {
      const { version } = await checkBinaries(binDir, 'ETCD_DIST', 'rebuilding');
      if (version !== m.version) continue;
      const nodeBins = node ? await cachedNode(binDir, version) : undefined;
      if (node && !nodeBins) continue;
      return {
        version,
        binDir,
        origin: m.origin,
        cached: true,
        ...paths(binDir),
        ...(nodeBins ? { node: nodeBins } : {}),
      };
    } catch {
      // a damaged cache entry is rebuilt
    }
  }
  return undefined;
}

async function build(root: string, staging: string, opts: ResolveK8sOptions): Promise<K8sDist> {
  const { log, signal } = opts;
  const started = Date.now();
  await ensureBuildTools(log, signal, opts.node ? { ...BUILD_TOOLS, ...NODE_BUILD_TOOLS } : BUILD_TOOLS);
  const hint = 'pass --k8s-bin-dir with your own Kubernetes binaries';
  const apt = await privateApt({
    dir: join(staging, 'apt'),
    mirror: await machineMirror(`${hint} instead`),
    entries: [
      { types: 'deb-src', suites: [K8S_SOURCE.suite] },
      { types: 'deb', suites: [K8S_SOURCE.goSuite] },
    ],
    hint,
    signal,
    timeoutMs: 900_000,
  });
  log.progress(
    `building Kubernetes from Debian ${K8S_SOURCE.suite}'s sources with Go 1.15 (first use; about ${opts.node ? '12' : '8'} min on 2 cores; cached afterwards)`,
  );
  log.progress(`apt: updating private package lists (${K8S_SOURCE.suite} sources, ${K8S_SOURCE.goSuite})`);
  await apt('apt-get', ['update']);
  const dl = join(staging, 'dl');
  await mkdir(dl);
  log.progress(
    `apt: downloading the ${K8S_SOURCE.package} source package and ${K8S_SOURCE.goPackages.join(', ')}`,
  );
  await apt('apt-get', ['source', '--download-only', `${K8S_SOURCE.package}/${K8S_SOURCE.suite}`], dl);
  await apt('apt-get', ['download', ...K8S_SOURCE.goPackages], dl);

  const files = await readdir(dl);
  const dsc = files.find((f) => f.endsWith('.dsc'));
  const debianVersion = dsc ? parseDscVersion(await readFile(join(dl, dsc), 'utf8')) : undefined;
  if (!dsc || !debianVersion) {
    throw new HarnessError(
      'ETCD_DIST',
      `apt-get source left no readable .dsc in ${dl} (found: ${files.join(', ')})`,
    );
  }
  log.progress(`unpacking ${dsc} and Go 1.15`);
  const src = join(staging, 'src');
  // No keyring for the .dsc signature here: apt already checked the files against the signed Sources index.
  await execa('dpkg-source', ['-x', dsc, src], { cwd: dl, cancelSignal: signal });
  const goTree = join(staging, 'go');
  for (const f of files.filter((f) => f.endsWith('.deb'))) {
    await execa('dpkg-deb', ['-x', join(dl, f), goTree], { cancelSignal: signal });
  }
  await rm(dl, { recursive: true, force: true });
  const goroot = join(goTree, K8S_SOURCE.goRoot);
  const env = goBuildEnv(goroot, staging, { GOPATH: join(src, '.go') });
  const goVersion = parseGoVersionOutput(
    (await execa(join(goroot, 'bin', 'go'), ['version'], { env, extendEnv: false })).stdout,
  );
  if (!goVersion) throw new HarnessError('ETCD_DIST', `no usable Go in ${goroot}`);

  // Debian's rules: GOPATH=$src/.go with k8s.io/kubernetes pointing back at the tree.
  await mkdir(join(src, '.go', 'src', 'k8s.io'), { recursive: true });
  await symlink('../../..', join(src, '.go', 'src', 'k8s.io', 'kubernetes'));
  const binaries: Binaries = opts.node ? [...BINARIES, ...NODE_BINARIES] : BINARIES;
  await runMake(src, env, binaries, log, signal);

  const out = join(staging, 'out');
  await mkdir(join(out, 'bin'), { recursive: true });
  for (const [, name] of binaries) {
    await copyFile(join(src, '_output', 'bin', name), join(out, 'bin', name));
  }
  if (opts.node) await buildPause(src, join(out, 'bin', 'pause'), signal);
  const origin = `debian ${K8S_SOURCE.suite} ${debianVersion}, built with go ${goVersion}`;
  const { version } = await checkBinaries(
    join(out, 'bin'),
    'ETCD_DIST',
    'the build produced binaries that do not run',
    log,
    binaries,
  );
  const buildSeconds = Math.round((Date.now() - started) / 1000);
  const manifest: Manifest = {
    version,
    debianVersion,
    goVersion,
    origin,
    builtAt: new Date().toISOString(),
    buildSeconds,
  };
  // Its own folder: replacing the control plane's entry could pull binaries from under a running drill.
  const dir = join(root, opts.node ? `${debianVersion}-node` : debianVersion);
  await commitBuild(out, dir, manifest);
  log.progress(`Kubernetes ${version} built in ${buildSeconds} s and cached in ${dir}`);
  const binDir = join(dir, 'bin');
  return {
    version,
    binDir,
    origin,
    cached: false,
    ...paths(binDir),
    ...(opts.node ? { node: nodePaths(binDir) } : {}),
  };
}

/** The sandbox every pod starts with; kubeadm 1.20 names it pause:3.2. Static: its image has no libc. */
async function buildPause(src: string, dest: string, signal?: AbortSignal): Promise<void> {
  const c = join(src, 'build', 'pause', 'linux', 'pause.c');
  const r = await execa('gcc', ['-Os', '-static', '-DVERSION=3.2-etcd-drill', '-o', dest, c], {
    cancelSignal: signal,
    reject: false,
  });
  if (r.failed) {
    const why = String(r.stderr).trim().split('\n').pop() ?? '';
    throw new HarnessError(
      'ETCD_DIST',
      `gcc -static of Kubernetes' pause failed (${why}): apt-get install libc6-dev`,
    );
  }
  await execa('strip', [dest], { cancelSignal: signal, reject: false });
}

async function runMake(
  src: string,
  env: Record<string, string>,
  binaries: Binaries,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const what = binaries.map(([, name]) => `cmd/${name}`).join(' ');
  log.progress(`make WHAT="${what}" (make's output goes to the debug log)`);
  await runLongBuild({
    argv: ['make', `WHAT=${what}`],
    cwd: src,
    env,
    what: 'Kubernetes',
    step: `make WHAT="${what}"`,
    log,
    signal,
    timeoutMs: BUILD_TIMEOUT_MS,
  });
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, tool)));
}

/** make, rsync, jq, … must be on PATH; as root, missing ones are installed from the machine's apt. */
async function ensureBuildTools(
  log: Logger,
  signal: AbortSignal | undefined,
  tools: Readonly<Record<string, string>>,
): Promise<void> {
  const missing = Object.keys(tools).filter((t) => !onPath(t));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => tools[t] as string))];
  const advice = `install them (apt-get install ${pkgs.join(' ')}) or pass --k8s-bin-dir with your own Kubernetes binaries`;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new HarnessError('ETCD_DIST', `building Kubernetes needs ${missing.join(', ')} on PATH: ${advice}`);
  }
  log.progress(`installing ${pkgs.join(' ')} for the Kubernetes build (apt-get install -y)`);
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execa('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], {
      env: aptEnv,
      reject: false,
      cancelSignal: signal,
      timeout: 600_000,
    });
  let res = await install();
  if (res.failed) {
    // Stale lists on a fresh machine: refresh once and retry.
    await execa('apt-get', ['update', '-q'], {
      env: aptEnv,
      reject: false,
      cancelSignal: signal,
      timeout: 600_000,
    });
    res = await install();
  }
  signal?.throwIfAborted();
  const still = missing.filter((t) => !onPath(t));
  if (res.failed || still.length > 0) {
    throw new HarnessError(
      'ETCD_DIST',
      `building Kubernetes needs ${still.join(', ') || missing.join(', ')} on PATH and apt-get install failed (${String(res.stderr).split('\n').slice(-2).join(' ')}): ${advice}`,
    );
  }
}
