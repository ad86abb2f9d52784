import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { execa } from './exec.ts';

export interface LongBuildOptions {
  readonly argv: readonly [string, ...string[]];
  readonly cwd: string;
  /** The whole environment (nothing of the caller's is added). */
  readonly env: Record<string, string>;
  /** Names the build in the heartbeat and the error, e.g. 'Kubernetes'. */
  readonly what: string;
  /** Names the step that ran in the error, e.g. 'make WHAT=cmd/kube-apiserver' (argv[0] may be a wrapper such as nice). */
  readonly step: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  /** @default 30_000 */
  readonly heartbeatMs?: number;
}

/**
 * Runs a long build in its own process group, its output to the debug log, a progress line every
 * heartbeatMs (a silent build of several minutes looks hung), and an error quoting the output's tail.
 */
export async function runLongBuild(opts: LongBuildOptions): Promise<void> {
  const { log, signal } = opts;
  const started = Date.now();
  const tail: string[] = [];
  let last = '';
  const [bin, ...args] = opts.argv;
  // Own process group, so an abort reaches every go/compile process the build started, not its parent alone.
  const child = execa(bin, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs,
  });
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // gone
    }
  };
  const onAbort = () => {
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 5000).unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const heartbeat = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    log.progress(
      `building ${opts.what}: ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s so far${last ? ` (${last.slice(0, 100)})` : ''}`,
    );
  }, opts.heartbeatMs ?? 30_000);
  try {
    for await (const line of child.iterable({ from: 'all' })) {
      log.debug(line, { build: opts.what });
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.trim()) last = line.trim();
    }
    const res = await child;
    if (res.failed) {
      killGroup('SIGKILL');
      signal?.throwIfAborted();
      throw new HarnessError(
        'ETCD_DIST',
        `building ${opts.what} failed: ${opts.step} ${res.timedOut ? `timed out after ${opts.timeoutMs} ms` : res.exitCode !== undefined ? `exited ${res.exitCode}` : `was killed (${res.signal})`}; its output ends: ${tail.slice(-8).join(' | ')}`,
        { details: { tail, step: opts.step } },
      );
    }
  } catch (err) {
    killGroup('SIGKILL');
    throw err;
  } finally {
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** How long a first build of Kubernetes may take (and, doubled, how long another process waits for its lock). */
export const BUILD_TIMEOUT_MS = 60 * 60_000;

/**
 * A build in a fresh staging folder under `root`, removed afterwards whatever happens. The caller
 * holds root's lock, so staging folders left by a killed build are garbage (GBs of Go cache) and go
 * first. An abort surfaces as the abort, not as the failed step it cut short.
 */
export async function inStaging<T>(
  root: string,
  signal: AbortSignal | undefined,
  body: (staging: string) => Promise<T>,
): Promise<T> {
  for (const e of await readdir(root)) {
    if (e.startsWith('staging-')) await rm(join(root, e), { recursive: true, force: true });
  }
  const staging = await mkdtemp(join(root, 'staging-'));
  try {
    return await body(staging);
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Writes the manifest into the built `out` folder and moves it to `dir` in one rename: readers see all or nothing. */
export async function commitBuild(out: string, dir: string, manifest: object): Promise<void> {
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(out, dir);
}

/**
 * A Go build's environment: the caller's without its GO*, CGO_* or KUBE_* settings, Go first on PATH,
 * offline, no cgo, every cache inside staging; `extra` adds the build's own (GOPATH, module mode).
 */
export function goBuildEnv(
  goroot: string,
  staging: string,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(GO|KUBE_|CGO_)/.test(k)) env[k] = v;
  }
  return {
    ...env,
    PATH: `${join(goroot, 'bin')}${delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`,
    GOROOT: goroot,
    GOCACHE: join(staging, 'gocache'),
    GOPROXY: 'off',
    CGO_ENABLED: '0',
    HOME: join(staging, 'home'),
    ...extra,
  };
}
