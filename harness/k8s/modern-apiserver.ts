/**
 * Kubernetes 1.36's apiserver storage layer over the drilled cluster: `apiextensions-apiserver`
 * (modern-dist.ts) as a supervised process, with a small client for CRDs and custom objects.
 * Flags as found by hand (ENVIRONMENT.md, "Kubernetes 1.36 storage layer").
 */

import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allocatePorts } from '../cluster/ports.ts';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import type { Access } from '../etcd/api.ts';
import { cleanEnv } from '../etcd/ctl.ts';
import { createPki } from '../tls.ts';
import { poll } from '../util/poll.ts';
import { type ProcessExit, START_MARK, Supervised } from '../util/supervisor.ts';
import { etcdTlsFlags } from './controlplane.ts';
import type { ModernK8sDist } from './modern-dist.ts';

export const MODERN_APISERVER = 'apiextensions-apiserver';
export const MODERN_ETCD_PREFIX = '/registry';
const STOP_GRACE_MS = 10_000;
const BACKOFF_MS = [1000, 2000, 4000, 8000] as const;
/**
 * Its core informers have no kube-apiserver behind them, so plain /readyz never answers 200;
 * excluding informer-sync, it does once it serves (ENVIRONMENT.md).
 */
export const READYZ_PATH = '/readyz?exclude=informer-sync';
/**
 * Admission plugins that need a kube-apiserver's objects (namespaces, policies, webhooks) it
 * cannot have; without them disabled it never serves a write.
 */
const DISABLED_ADMISSION = [
  'NamespaceLifecycle',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
];

export interface ModernApiserverOptions {
  readonly dist: Pick<ModernK8sDist, 'apiserver'>;
  /** The drilled cluster's client URLs and, when it uses TLS, the harness's client material. */
  readonly etcd: Access;
  /** A folder inside the run's workDir: certificates, kubeconfig, log (the path labels the process). */
  readonly dir: string;
  readonly ctx: RunContext;
  /** Bound on readiness. @default 120_000 */
  readonly readyTimeoutMs?: number;
  /** Restart it when it exits by itself (as 1.20's components are). @default false */
  readonly supervise?: boolean;
  /** Extra flags, last (they win). */
  readonly extraArgs?: readonly string[];
  /** Each exit nobody asked for (the supervisor restarts it when `supervise`). */
  readonly onExit?: (exit: ProcessExit) => void;
}

export interface ModernApiserver extends AsyncDisposable {
  readonly url: string;
  readonly etcdPrefix: string;
  readonly logFile: string;
  readonly api: ModernApi;
  /** Ms from start to ready. */
  readonly startMs: number;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, SIGKILL after a grace) and removes everything but its log. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the process and starts it again with the same flags, port and certificates (clients, an
   * informer among them, keep working, as against a real restarted apiserver); resolves once ready.
   */
  restart(): Promise<void>;
}

/** A custom object or a CRD: JSON as the API serves it. */
export interface KubeJson {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** A custom resource's address in the API. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** Omitted for cluster-scoped resources. */
  readonly namespace?: string;
}

export interface ModernList {
  readonly resourceVersion: string;
  readonly items: KubeJson[];
}

export interface ModernApi {
  /** Any request; throws a HarnessError with the status on anything but 2xx (a 429 is first retried: retry429). */
  request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; text: string }>;
  createCrd(crd: KubeJson): Promise<KubeJson>;
  /** Polls until the CRD's Established condition is True; fails after timeoutMs naming its conditions. */
  waitEstablished(name: string, timeoutMs?: number): Promise<void>;
  deleteCrd(name: string): Promise<void>;
  create(ref: ResourceRef, obj: KubeJson): Promise<KubeJson>;
  /** A quorum (consistent) list, or from the watch cache with resourceVersion '0'. */
  list(ref: ResourceRef, opts?: { resourceVersion?: string }): Promise<ModernList>;
  /** False when it was already gone (404). */
  delete(ref: ResourceRef, name: string): Promise<boolean>;
  /** A streaming watch (`path` with its query, `watch=1` added); events to `onEvent` as they arrive. */
  watch(path: string, onEvent: (ev: WatchEvent) => void): WatchStream;
}

/** One event of a watch stream, as the API sends it (ERROR carries a Status as its object). */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeJson & { code?: number; reason?: string; message?: string };
}

export interface WatchStream {
  /** When the stream ended: the HTTP status (a watch refused answers non-2xx, with its message) or a socket error. */
  readonly ended: Promise<{ status?: number; message?: string; error?: string }>;
  /** Resolves with the HTTP status once the server answered (the watch is registered), or at the end. */
  readonly answered: Promise<number | undefined>;
  close(): void;
}

export function resourcePath(ref: ResourceRef, name?: string): string {
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `/apis/${ref.group}/${ref.version}${ns}/${ref.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** A namespaced CRD with an open schema: the smallest the API accepts. */
export function simpleCrd(o: { group: string; kind: string; plural: string; version?: string }): KubeJson {
  const version = o.version ?? 'v1';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${o.plural}.${o.group}` },
    spec: {
      group: o.group,
      scope: 'Namespaced',
      names: { plural: o.plural, singular: o.kind.toLowerCase(), kind: o.kind, listKind: `${o.kind}List` },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

export interface ModernApiOptions {
  readonly server: string;
  /** PEM: the CA of the serving certificate, and the harness's client certificate (O=system:masters). */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** How long a request answered 429 is tried again (retry429). @default RETRY_429_MS */
  readonly retry429Ms?: number;
  /** Ends waits (waitEstablished) at once with 'ABORTED'. */
  readonly signal?: AbortSignal;
}

/**
 * Bound on retrying a 429. /readyz answers 200 before custom objects are served: until a CRD's
 * storage is set up again (its watch cache initialized, ~125 ms measured) its requests answer 429
 * "storage is (re)initializing". A caller just after a start or restart must not see that.
 */
export const RETRY_429_MS = 10_000;

/** The pause before retry n (from 0): 100 ms, doubling, at most 1 s. */
export function retry429Pause(retry: number): number {
  return Math.min(100 * 2 ** retry, 1000);
}

/**
 * `attempt` again while it answers 429 (the request was not served, so a retry of a write is
 * safe too), pausing retry429Pause, until `boundMs` would be passed; then the last
 * answer, for the caller to fail on.
 */
export async function retry429<T extends { status: number }>(
  attempt: () => Promise<T>,
  boundMs: number = RETRY_429_MS,
  pauseMs: (retry: number) => number = retry429Pause,
): Promise<T> {
  const started = Date.now();
  for (let retry = 0; ; retry++) {
    const res = await attempt();
    if (res.status !== 429) return res;
    const wait = pauseMs(retry);
    if (Date.now() - started + wait > boundMs) return res;
    await sleep(wait);
  }
}

/** A node https client with the harness's client certificate: no token, no kubeconfig. */
export function createModernApi(o: ModernApiOptions): ModernApi {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const call = (method: string, path: string, body?: unknown) =>
    retry429(() => once(method, path, body), o.retry429Ms);
  const once = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; json: unknown; text: string }>((done, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${o.server}${path}`,
        {
          method,
          agent: false,
          timeout: timeoutMs,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            done({ status: res.statusCode ?? 0, json, text });
          });
          res.on('error', fail);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', fail);
      req.end(payload);
    });
  const ok = async (method: string, path: string, body?: unknown) =>
    assertOk(method, path, await call(method, path, body));
  const assertOk = (method: string, path: string, res: { status: number; json: unknown; text: string }) => {
    if (res.status < 200 || res.status > 299) {
      const msg = (res.json as { message?: string } | undefined)?.message ?? res.text.slice(0, 300);
      throw new HarnessError(
        'CLUSTER_UNHEALTHY',
        `Kubernetes 1.36 API ${method} ${path}: ${res.status} ${msg}`,
        {
          details: { status: res.status },
        },
      );
    }
    return res;
  };
  const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  const api: ModernApi = {
    watch: (path, onEvent) => openWatch(o, path, onEvent),
    request: ok,
    async createCrd(crd) {
      return (await ok('POST', crds, crd)).json as KubeJson;
    },
    async waitEstablished(name, waitMs = 60_000) {
      const conditionsOf = (json: unknown) =>
        (json as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status
          ?.conditions ?? [];
      const { last, done } = await poll(() => call('GET', `${crds}/${encodeURIComponent(name)}`), {
        boundMs: waitMs,
        intervalMs: 200,
        signal: o.signal,
        what: `waiting for CRD ${name} to be Established`,
        done: (res) => conditionsOf(res.json).some((c) => c.type === 'Established' && c.status === 'True'),
      });
      if (!done) {
        throw new HarnessError(
          'TIMEOUT',
          `CRD ${name} not Established within ${waitMs} ms (status ${last.status}, conditions ${JSON.stringify(conditionsOf(last.json))})`,
        );
      }
    },
    async deleteCrd(name) {
      const path = `${crds}/${encodeURIComponent(name)}`;
      const res = await call('DELETE', path);
      if (res.status !== 404) assertOk('DELETE', path, res);
    },
    async create(ref, obj) {
      return (await ok('POST', resourcePath(ref), obj)).json as KubeJson;
    },
    async list(ref, opts = {}) {
      const q =
        opts.resourceVersion !== undefined
          ? `?resourceVersion=${encodeURIComponent(opts.resourceVersion)}`
          : '';
      const json = (await ok('GET', `${resourcePath(ref)}${q}`)).json as {
        metadata?: { resourceVersion?: string };
        items?: KubeJson[];
      };
      return { resourceVersion: json.metadata?.resourceVersion ?? '', items: json.items ?? [] };
    },
    async delete(ref, name) {
      const path = resourcePath(ref, name);
      const res = await call('DELETE', path);
      if (res.status === 404) return false;
      assertOk('DELETE', path, res);
      return true;
    },
  };
  return api;
}

/** Splits newline-delimited JSON: the complete lines of `buffer`, and what is left of it. */
export function ndjsonLines(buffer: string): { lines: string[]; rest: string } {
  const parts = buffer.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.filter((l) => l.trim() !== ''), rest };
}

/** A watch over node https: no timeout while it streams (the server ends it, or close()). */
function openWatch(o: ModernApiOptions, path: string, onEvent: (ev: WatchEvent) => void): WatchStream {
  const sep = path.includes('?') ? '&' : '?';
  let end: (r: { status?: number; message?: string; error?: string }) => void = () => {};
  let answer: (status: number | undefined) => void = () => {};
  const answered = new Promise<number | undefined>((r) => {
    answer = r;
  });
  const ended = new Promise<{ status?: number; message?: string; error?: string }>((r) => {
    end = r;
  });
  void ended.then((e) => answer(e.status));
  const req = request(
    `${o.server}${path}${sep}watch=1`,
    {
      method: 'GET',
      agent: false,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      headers: { accept: 'application/json' },
    },
    (res) => {
      const status = res.statusCode ?? 0;
      answer(status);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        if (status < 200 || status > 299) return;
        const { lines, rest } = ndjsonLines(buf);
        buf = rest;
        try {
          for (const l of lines) onEvent(JSON.parse(l) as WatchEvent);
        } catch (err) {
          // A line we cannot read ends this stream (not the harness): the caller sees why.
          end({ status, error: `unreadable watch event: ${(err as Error).message}` });
          req.destroy();
        }
      });
      res.on('end', () => end({ status, ...(status > 299 ? { message: statusMessage(buf) } : {}) }));
      res.on('error', (err) => end({ status, error: err.message }));
      res.on('close', () => end({ status }));
    },
  );
  req.on('error', (err) => end({ error: err.message }));
  req.end();
  return { ended, answered, close: () => req.destroy() };
}

function statusMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

/** A kubeconfig for the delegated authentication/authorization lookups it must be given but never needs. */
function unreachableKubeconfig(): string {
  // JSON is YAML. Port 1 on loopback refuses at once: lookups fail fast, system:masters needs none.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'none', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
    ],
    users: [{ name: 'none', user: {} }],
    contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
    'current-context': 'none',
  });
}

async function tailOf(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const run = text.slice(Math.max(0, text.lastIndexOf(START_MARK)));
  return run.split('\n').filter(Boolean).slice(-lines).join('\n');
}

/** Starts apiextensions-apiserver over the cluster and waits until it serves. */
export async function startModernApiserver(opts: ModernApiserverOptions): Promise<ModernApiserver> {
  const started = Date.now();
  const { ctx, dir } = opts;
  // The run folder in the command line is what the crash sweep finds (harness/workdir.ts).
  if (!resolve(dir).startsWith(`${resolve(ctx.workDir)}/`)) {
    throw new HarnessError(
      'BAD_INPUT',
      `startModernApiserver: ${dir} is not inside the run's folder ${ctx.workDir} (the crash sweep would miss its process): pass a dir under ctx.workDir, e.g. join(ctx.workDir, 'k8s-modern')`,
    );
  }
  if (opts.etcd.endpoints.length === 0) {
    throw new HarnessError(
      'BAD_INPUT',
      "startModernApiserver: no etcd endpoints given: pass the drilled cluster's access (cluster.access()) as etcd",
    );
  }
  await access(opts.dist.apiserver, constants.X_OK).catch((err: unknown) => {
    throw new HarnessError(
      'PROVIDER_START',
      `${MODERN_APISERVER}: missing binary ${opts.dist.apiserver} (absent or not executable); run \`etcd-drill fetch --k8s-modern\``,
      { cause: err },
    );
  });
  await mkdir(dir, { recursive: true });
  // Everything but the log goes under run/: removed on stop, and on any failure from here on
  // (the PKI's private keys among it).
  const runDir = join(dir, 'run');
  const logFile = join(dir, `${MODERN_APISERVER}.log`);
  const proc = new Supervised({
    name: MODERN_APISERVER,
    ctx,
    ...(opts.supervise ? { restart: { backoffMs: BACKOFF_MS } } : {}),
    ...(opts.onExit ? { onExit: opts.onExit } : {}),
  });
  const onAbort = () => proc.killNow();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        await proc.stop(STOP_GRACE_MS);
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
        await rm(runDir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };

  let url = '';
  let api: ModernApi | undefined;
  let argv: string[] = [];
  let env: Record<string, string> = {};
  const waitReady = async () => {
    const ready = api as ModernApi;
    const pid = proc.pid;
    const timeoutMs = opts.readyTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    let said = '';
    for (;;) {
      if (ctx.signal.aborted)
        throw new HarnessError('ABORTED', `interrupted while starting ${MODERN_APISERVER}`);
      if (!proc.running || proc.pid !== pid) {
        throw new HarnessError(
          'PROVIDER_START',
          `${MODERN_APISERVER} exited while starting (${proc.lastExit?.how ?? 'unknown'}); its log ${logFile} ends:\n${await tailOf(logFile, 12)}`,
          { details: { logFile } },
        );
      }
      try {
        const res = await ready.request('GET', READYZ_PATH);
        if (res.status === 200) break;
        said = `${res.status}`;
      } catch (err) {
        said = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      }
      if (Date.now() > deadline) {
        throw new HarnessError(
          'PROVIDER_START',
          `${MODERN_APISERVER} not ready within ${timeoutMs} ms (${url}${READYZ_PATH}: ${said.slice(0, 300)}); see its log ${logFile}, which ends:\n${await tailOf(logFile, 12)}`,
          { details: { logFile } },
        );
      }
      await sleep(250);
    }
  };
  try {
    const [port] = (await allocatePorts(1)) as [number];
    url = `https://127.0.0.1:${port}`;
    // Serving certificate (SANs localhost, 127.0.0.1) and the harness's client certificate from one
    // throwaway CA; O=system:masters is authorized without any webhook.
    const pki = await createPki(
      join(runDir, 'pki'),
      [MODERN_APISERVER],
      {},
      '/O=system:masters/CN=etcd-drill',
    );
    const serving = pki.members[MODERN_APISERVER] as { cert: string; key: string };
    const kubeconfig = join(runDir, 'none.kubeconfig');
    await writeFile(kubeconfig, unreachableKubeconfig());
    const etcdTls = await etcdTlsFlags(join(runDir, 'etcd-client'), opts.etcd.tls);
    const args = [
      `--etcd-servers=${opts.etcd.endpoints.join(',')}`,
      ...etcdTls,
      `--etcd-prefix=${MODERN_ETCD_PREFIX}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(runDir, 'cert-dir')}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--client-ca-file=${pki.caFile}`,
      '--authentication-skip-lookup',
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--kubeconfig=${kubeconfig}`,
      `--disable-admission-plugins=${DISABLED_ADMISSION.join(',')}`,
      // As run by hand; untested without it.
      '--enable-priority-and-fairness=false',
      '--v=1',
      ...(opts.extraArgs ?? []),
    ];
    const [ca, cert, key] = [pki.clientTls.ca, pki.clientTls.cert, pki.clientTls.key];
    api = createModernApi({ server: url, ca, cert, key, signal: ctx.signal });

    env = cleanEnv();
    // In-cluster settings would make it ignore its --kubeconfig.
    for (const k of Object.keys(env)) if (/^(KUBECONFIG|KUBERNETES_)/.test(k)) delete env[k];
    argv = [opts.dist.apiserver, ...args];
    await proc.start(argv, env, logFile);
    await waitReady();
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const startMs = Date.now() - started;
  ctx.log.debug('apiextensions-apiserver ready', { url, startMs });
  return {
    url,
    etcdPrefix: MODERN_ETCD_PREFIX,
    logFile,
    api: api as ModernApi,
    startMs,
    async restart() {
      if (stopped) throw new HarnessError('PROVIDER_START', `${MODERN_APISERVER} was stopped`);
      await proc.stop(STOP_GRACE_MS);
      // A Ctrl-C during the stop: its kill already ran, so no new process may start after it.
      if (stopped || ctx.signal.aborted)
        throw new HarnessError('ABORTED', `${MODERN_APISERVER} restart interrupted`);
      await proc.start(argv, env, logFile);
      await waitReady();
    },
    get running() {
      return proc.running;
    },
    get pid() {
      return proc.pid;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** What stop() leaves in `dir`: the log only. For tests and the sweep. */
export async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f !== `${MODERN_APISERVER}.log`);
}
