/**
 * A Kubernetes control plane over a drill's etcd: kube-apiserver, kube-controller-manager and
 * kube-scheduler as child processes on 127.0.0.1, plus Ready Node objects kept fresh by a heartbeat
 * (there is no kubelet). Each component can be stopped and started on its own, so a drill can keep
 * them running across a restore or restart them after it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFailure } from '../cluster/base.ts';
import { allocatePorts } from '../cluster/ports.ts';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import { cleanEnv } from '../etcd/ctl.ts';
import type { ClientTls } from '../etcd/http.ts';
import { createPki } from '../tls.ts';
import { execa } from '../util/exec.ts';
import { START_MARK, Supervised } from '../util/supervisor.ts';
import { createKubeApi, httpsGet, type KubeApi } from './api.ts';
import type { K8sDist } from './dist.ts';
import { Heartbeat, nodeFresh } from './heartbeat.ts';
import { lastWord } from './klog.ts';

export const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface LeaderElectionTimes {
  readonly leaseSeconds: number;
  readonly renewSeconds: number;
  readonly retrySeconds: number;
}

/**
 * Leader election as kube-controller-manager and kube-scheduler ship it (their flags' defaults, from
 * client-go's leaderelection: 15 s lease, 10 s renew deadline, 2 s retry): a leader rides out an etcd
 * outage of up to 10 s, and a restarted component waits out its predecessor's 15 s lease.
 */
export const SHIPPED_LEADER_ELECTION: LeaderElectionTimes = {
  leaseSeconds: 15,
  renewSeconds: 10,
  retrySeconds: 2,
};

/**
 * Shortened (`--k8s-short-leases`) so a drill waits seconds for a new holder. Consequence: a leader
 * that cannot renew for 3 s (etcd down) exits ("leaderelection lost") where the shipped one would
 * not; the supervisor below restarts it.
 */
export const SHORT_LEADER_ELECTION: LeaderElectionTimes = {
  leaseSeconds: 4,
  renewSeconds: 3,
  retrySeconds: 1,
};

/** Restart backoff of a supervised component: kubelet's is 10 s doubling to 5 min; a drill wants seconds. */
const BACKOFF_MS = [1000, 2000, 4000, 8000] as const;
const STOP_GRACE_MS = 10_000;
const APISERVER_READY_MS = 90_000;
const COMPONENT_READY_MS = 60_000;

export interface ControlPlaneOptions {
  readonly dist: K8sDist;
  readonly etcd: { readonly endpoints: readonly string[]; readonly tls?: ClientTls | undefined };
  /** A folder inside the run's workDir: certificates, tokens, kubeconfigs, logs (the folder path labels the processes). */
  readonly dir: string;
  readonly ctx: RunContext;
  /** Ready Node objects to register. @default 2 */
  readonly nodes?: number;
  /**
   * Restart a component that exits on its own (after a backoff), as kubelet does static pods or
   * systemd does units. Without it, a controller-manager that loses its lease during an etcd
   * outage stays dead. Components stopped through stop() are never restarted. @default true
   */
  readonly supervise?: boolean;
  /** @default SHIPPED_LEADER_ELECTION */
  readonly leaderElection?: LeaderElectionTimes;
}

/** One exit of a component that was not asked to stop. */
export interface ComponentExit {
  readonly component: Component;
  readonly at: string;
  /** 'code 1' or 'signal SIGKILL'. */
  readonly how: string;
  /** Its own last word: the klog fatal (or error) line, e.g. "leaderelection lost". */
  readonly reason: string;
}

export interface ControlPlane extends AsyncDisposable {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** Client as cluster-admin (system:masters). */
  readonly api: KubeApi;
  readonly dir: string;
  readonly nodeNames: readonly string[];
  /** Where the apiserver keeps objects in etcd. */
  readonly etcdPrefix: string;
  /** Files for kubectl or a user: admin kubeconfig, CA. */
  readonly files: { readonly kubeconfig: string; readonly ca: string; readonly logs: string };
  /** Milliseconds from startControlPlane() to everything ready (apiserver, leaders, Ready nodes). */
  readonly startMs: number;
  /** The components' leader election, as passed on their command lines. */
  readonly leaderElection: LeaderElectionTimes;
  /** Ms since startControlPlane() at each stage: certificates, apiserver ready, other components healthy, all ready. */
  readonly startTimings: Readonly<{ certs: number; apiserver: number; components: number; ready: number }>;
  running(component: Component): boolean;
  /** Stops one, some, or (no argument) all components: SIGTERM, SIGKILL after a grace. Not restarted by the supervisor. */
  stop(components?: Component | readonly Component[]): Promise<void>;
  /** Starts stopped components (no argument: all) in dependency order and waits until each is healthy. */
  start(components?: Component | readonly Component[]): Promise<void>;
  /** stop() then start() of these (no argument: all), the write-up's fix after a restore. */
  restart(components?: Component | readonly Component[]): Promise<void>;
  /**
   * Waits until the apiserver's /readyz and the other components' /healthz answer ok and the nodes
   * are Ready and untainted; tolerates exits (the supervisor restarts). Returns the ms it took.
   */
  waitReady(timeoutMs?: number): Promise<number>;
  /** Exits nobody asked for, in order (lost leases, crashes), since start. */
  exits(): readonly ComponentExit[];
  /** The heartbeat's view: failures since the last success, and when it last succeeded. */
  heartbeat(): { readonly failures: number; readonly lastOkAt?: string; readonly lastError?: string };
  collectLogs(destDir: string): Promise<void>;
  logTail(component: Component, lines?: number): Promise<string>;
}

/** What differs between the components: binary, flags, how to ask whether it is healthy. */
interface ComponentSpec {
  readonly name: Component;
  readonly bin: string;
  readonly args: readonly string[];
  readonly healthUrl: string;
  readonly healthToken?: string;
}

function asList(c: Component | readonly Component[] | undefined): Component[] {
  if (c === undefined) return [...COMPONENTS];
  return typeof c === 'string' ? [c] : [...c];
}

function token(): string {
  return randomBytes(24).toString('hex');
}

async function tailOf(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).slice(-lines).join('\n');
}

/** The log of the latest start only (a goroutine dump after a fatal runs to thousands of lines). */
async function thisRun(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.slice(Math.max(0, text.lastIndexOf(START_MARK)));
}

/** For an error message: the component's last word, then its last lines. */
async function quoteLog(file: string): Promise<string> {
  const run = await thisRun(file);
  const last = run.split('\n').filter(Boolean).slice(-6).join('\n');
  return `"${lastWord(run)}"; last lines of ${file}:\n${last}`;
}

/** One component's process slot: start, stop, supervise, log. */
class KubeProcess {
  readonly #proc: Supervised;
  readonly logFile: string;

  constructor(
    readonly spec: ComponentSpec,
    logDir: string,
    readonly ctx: RunContext,
    supervise: boolean,
    onExit: (e: ComponentExit) => void,
  ) {
    this.logFile = join(logDir, `${spec.name}.log`);
    this.#proc = new Supervised({
      name: spec.name,
      ctx,
      ...(supervise ? { restart: { backoffMs: BACKOFF_MS } } : {}),
      onExit: async ({ at, how }) => {
        const reason = lastWord(await thisRun(this.logFile));
        onExit({ component: spec.name, at, how, reason });
      },
    });
  }

  get running(): boolean {
    return this.#proc.running;
  }

  get wanted(): boolean {
    return this.#proc.wanted;
  }

  #launch(): Promise<void> {
    const env = cleanEnv();
    // In-cluster settings would make a component ignore its --kubeconfig.
    for (const k of Object.keys(env)) if (/^(KUBECONFIG|KUBERNETES_)/.test(k)) delete env[k];
    return this.#proc.start([this.spec.bin, ...this.spec.args], env, this.logFile);
  }

  /** Launches and waits until healthy; fails at once, quoting the log, if it exits first. */
  async start(timeoutMs: number): Promise<void> {
    if (this.running) return;
    await access(this.spec.bin, constants.X_OK).catch((err: unknown) => {
      throw new HarnessError(
        'PROVIDER_START',
        `${this.spec.name}: missing Kubernetes binary ${this.spec.bin} (absent or not executable)`,
        { cause: err },
      );
    });
    try {
      await this.#launch();
      // A different pid: the one this wait is about exited and the supervisor restarted it.
      const pid = this.#proc.pid;
      await this.waitHealthy(timeoutMs, () => this.#proc.pid !== pid || !this.running);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async healthy(): Promise<{ ok: boolean; said: string }> {
    try {
      const res = await httpsGet(this.spec.healthUrl, {
        ...(this.spec.healthToken ? { token: this.spec.healthToken } : {}),
        insecure: true,
        timeoutMs: 3000,
      });
      return {
        ok: res.status === 200 && res.body.trim() === 'ok',
        said: `${res.status} ${res.body.slice(0, 300)}`,
      };
    } catch (err) {
      return { ok: false, said: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Polls health; `gone()` true means the process this wait is about exited: fail with its log. */
  async waitHealthy(timeoutMs: number, gone?: () => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let said = '';
    for (;;) {
      // First: an abort kills the process too, and then "exited while starting" would hide the cause.
      if (this.ctx.signal.aborted)
        throw new HarnessError('ABORTED', `interrupted while starting ${this.spec.name}`);
      if (gone?.()) {
        throw startFailure(
          this.spec.name,
          await tailOf(this.logFile, 15),
          `exited while starting (${this.#proc.lastExit?.how}): ${await quoteLog(this.logFile)}`,
        );
      }
      const h = await this.healthy();
      if (h.ok) return;
      said = h.said;
      if (Date.now() > deadline) {
        throw new HarnessError(
          'PROVIDER_START',
          `${this.spec.name} not healthy within ${timeoutMs} ms (${this.spec.healthUrl}: ${said}): ${await quoteLog(this.logFile)}`,
          { details: { logTail: await tailOf(this.logFile, 20) } },
        );
      }
      await sleep(250);
    }
  }

  /** SIGTERM, SIGKILL after a grace (at once when `now`); the supervisor leaves it down after. */
  stop(now = false): Promise<void> {
    return now ? this.#proc.kill(STOP_GRACE_MS) : this.#proc.stop(STOP_GRACE_MS);
  }

  /** Synchronous SIGKILL, for an abort: no awaiting, the harness is going down. */
  killNow(): void {
    this.#proc.killNow();
  }
}

/**
 * An apiserver's flags for TLS to etcd (none for a plain cluster): the cluster's CA and the harness's
 * client certificate, written into `dir`.
 */
export async function etcdTlsFlags(dir: string, tls: ClientTls | undefined): Promise<string[]> {
  if (!tls) return [];
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ca.pem'), tls.ca);
  await writeFile(join(dir, 'client.pem'), tls.cert);
  await writeFile(join(dir, 'client-key.pem'), tls.key, { mode: 0o600 });
  return [
    `--etcd-cafile=${join(dir, 'ca.pem')}`,
    `--etcd-certfile=${join(dir, 'client.pem')}`,
    `--etcd-keyfile=${join(dir, 'client-key.pem')}`,
  ];
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const res = await execa('openssl', args, { cwd, reject: false });
  if (res.failed) {
    throw new HarnessError(
      'PROVIDER_START',
      `openssl ${args[0]} failed: ${String(res.stderr).slice(0, 300)}`,
    );
  }
}

function kubeconfig(server: string, caFile: string, tok: string, user: string): string {
  // JSON is YAML: client-go reads it as a kubeconfig.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'drill', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: user, user: { token: tok } }],
      contexts: [{ name: 'drill', context: { cluster: 'drill', user } }],
      'current-context': 'drill',
    },
    null,
    2,
  );
}

/**
 * Starts the control plane and waits until it serves: apiserver /readyz, controller-manager and
 * scheduler healthy and holding their leases, every node Ready without taints. On failure, stops
 * what it started and throws a HarnessError naming the component, with the last lines of its log.
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const started = Date.now();
  const { dist, dir, ctx } = opts;
  const log = ctx.log.child({ scope: 'k8s' });
  // The run folder in every command line is what the crash sweep finds (harness/workdir.ts).
  if (!resolve(dir).startsWith(`${resolve(ctx.workDir)}/`)) {
    throw new HarnessError(
      'BAD_INPUT',
      `startControlPlane: ${dir} is not inside the run's folder ${ctx.workDir}`,
    );
  }
  if (opts.etcd.endpoints.length === 0) {
    throw new HarnessError('BAD_INPUT', 'startControlPlane: no etcd endpoints given');
  }
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  const [apiPort, kcmPort, schedPort] = (await allocatePorts(3)) as [number, number, number];
  const url = `https://127.0.0.1:${apiPort}`;

  // Serving certificates for the three (SANs localhost, 127.0.0.1) from one throwaway CA.
  const pki = await createPki(join(dir, 'pki'), COMPONENTS);
  const cert = (c: Component) => pki.members[c] as { cert: string; key: string };
  // The service-account key: signs tokens (apiserver), and the controller-manager's token controller needs it.
  const saKey = join(dir, 'pki', 'sa-key.pem');
  await openssl(['genrsa', '-out', saKey, '2048'], dir);

  const timings = { certs: Date.now() - started, apiserver: 0, components: 0, ready: 0 };
  const tokens = { admin: token(), kcm: token(), scheduler: token() };
  const tokenFile = join(dir, 'tokens.csv');
  // token,user,uid,"group": every client is system:masters; names tell them apart in audit and logs.
  await writeFile(
    tokenFile,
    [
      `${tokens.admin},etcd-drill-admin,etcd-drill-admin,"system:masters"`,
      `${tokens.kcm},system:kube-controller-manager,kcm,"system:masters"`,
      `${tokens.scheduler},system:kube-scheduler,scheduler,"system:masters"`,
    ].join('\n'),
    { mode: 0o600 },
  );
  const kubeconfigs = {
    admin: join(dir, 'admin.kubeconfig'),
    kcm: join(dir, 'kube-controller-manager.kubeconfig'),
    scheduler: join(dir, 'kube-scheduler.kubeconfig'),
  };
  await writeFile(kubeconfigs.admin, kubeconfig(url, pki.caFile, tokens.admin, 'etcd-drill-admin'));
  await writeFile(kubeconfigs.kcm, kubeconfig(url, pki.caFile, tokens.kcm, 'kube-controller-manager'));
  await writeFile(kubeconfigs.scheduler, kubeconfig(url, pki.caFile, tokens.scheduler, 'kube-scheduler'));

  const etcdTls = await etcdTlsFlags(join(dir, 'etcd-client'), opts.etcd.tls);
  const le = opts.leaderElection ?? SHIPPED_LEADER_ELECTION;
  const leaderElection = [
    '--leader-elect=true',
    // 1.20 defaults to leases already; said explicitly so the checks know where to look.
    '--leader-elect-resource-lock=leases',
    `--leader-elect-lease-duration=${le.leaseSeconds}s`,
    `--leader-elect-renew-deadline=${le.renewSeconds}s`,
    `--leader-elect-retry-period=${le.retrySeconds}s`,
  ];
  // Every process gets paths inside `dir` on its command line: the run folder labels it.
  const specs: ComponentSpec[] = [
    {
      name: 'kube-apiserver',
      bin: dist.apiserver,
      args: [
        `--etcd-servers=${opts.etcd.endpoints.join(',')}`,
        ...etcdTls,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        '--insecure-port=0',
        `--tls-cert-file=${cert('kube-apiserver').cert}`,
        `--tls-private-key-file=${cert('kube-apiserver').key}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${saKey}`,
        `--service-account-signing-key-file=${saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.0.0.0/24',
        `--cert-dir=${join(dir, 'pki')}`,
        '--v=1',
      ],
      healthUrl: `${url}/readyz`,
      healthToken: tokens.admin,
    },
    {
      name: 'kube-controller-manager',
      bin: dist.controllerManager,
      args: [
        `--kubeconfig=${kubeconfigs.kcm}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        '--port=0',
        `--tls-cert-file=${cert('kube-controller-manager').cert}`,
        `--tls-private-key-file=${cert('kube-controller-manager').key}`,
        // Without these the ReplicaSet controller cannot create pods ("No API token found").
        `--service-account-private-key-file=${saKey}`,
        `--root-ca-file=${pki.caFile}`,
        ...leaderElection,
        '--v=1',
      ],
      healthUrl: `https://127.0.0.1:${kcmPort}/healthz`,
    },
    {
      name: 'kube-scheduler',
      bin: dist.scheduler,
      args: [
        `--kubeconfig=${kubeconfigs.scheduler}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedPort}`,
        '--port=0',
        `--tls-cert-file=${cert('kube-scheduler').cert}`,
        `--tls-private-key-file=${cert('kube-scheduler').key}`,
        ...leaderElection,
        '--v=1',
      ],
      healthUrl: `https://127.0.0.1:${schedPort}/healthz`,
    },
  ];
  const exits: ComponentExit[] = [];
  const supervise = opts.supervise ?? true;
  const procs = new Map<Component, KubeProcess>(
    specs.map((s) => [s.name, new KubeProcess(s, logs, ctx, supervise, (e) => exits.push(e))]),
  );
  const proc = (c: Component) => procs.get(c) as KubeProcess;
  const api = createKubeApi({ server: url, ca: await readFile(pki.caFile, 'utf8'), token: tokens.admin });
  const nodeNames = Array.from({ length: opts.nodes ?? 2 }, (_, i) => `drill-node-${i + 1}`);
  let heartbeat: Heartbeat | undefined;
  let disposed = false;

  const onAbort = () => {
    for (const p of procs.values()) p.killNow();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const startSome = async (which: Component[]) => {
    // The apiserver first: the others wait for it, and would burn their start timeout otherwise.
    if (which.includes('kube-apiserver')) await proc('kube-apiserver').start(APISERVER_READY_MS);
    await Promise.all(
      which.filter((c) => c !== 'kube-apiserver').map((c) => proc(c).start(COMPONENT_READY_MS)),
    );
  };

  const nodesReady = async (): Promise<string | undefined> => {
    const list = await api.list('Node', { labelSelector: 'etcd-drill.io/node=true' });
    const why: string[] = [];
    for (const n of nodeNames) {
      const node = list.items.find((i) => i.metadata.name === n);
      if (!node) why.push(`${n} absent`);
      else if (!nodeFresh(node, Date.now(), 60_000)) why.push(`${n} not Ready`);
      else if ((node.spec?.taints ?? []).length > 0)
        why.push(`${n} tainted ${(node.spec.taints as { key: string }[]).map((t) => t.key).join(',')}`);
    }
    return why.length > 0 ? why.join('; ') : undefined;
  };

  const leadersHeld = async (): Promise<string | undefined> => {
    const why: string[] = [];
    for (const c of ['kube-controller-manager', 'kube-scheduler'] as const) {
      const l = await api.get({ kind: 'Lease', namespace: 'kube-system', name: c });
      if (!l?.spec?.holderIdentity) why.push(`no ${c} lease holder`);
    }
    return why.length > 0 ? why.join('; ') : undefined;
  };

  const waitReady = async (timeoutMs = 120_000): Promise<number> => {
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    let why = '';
    for (;;) {
      if (ctx.signal.aborted)
        throw new HarnessError('ABORTED', 'interrupted while waiting for the control plane');
      const unhealthy: string[] = [];
      for (const c of COMPONENTS) {
        const p = proc(c);
        if (!p.wanted) unhealthy.push(`${c} stopped`);
        else {
          const h = await p.healthy();
          if (!h.ok) unhealthy.push(`${c}: ${h.said.split('\n')[0]}`);
        }
      }
      try {
        why = unhealthy.join('; ') || (await leadersHeld()) || (await nodesReady()) || '';
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
      if (!why) return Date.now() - t0;
      if (Date.now() > deadline) {
        const tails = await Promise.all(
          COMPONENTS.map(async (c) => `--- ${c}:\n${await tailOf(proc(c).logFile, 5)}`),
        );
        throw new HarnessError(
          'PROVIDER_START',
          `control plane not ready within ${timeoutMs} ms: ${why}\n${tails.join('\n')}`,
          { details: { why } },
        );
      }
      await sleep(250);
    }
  };

  const stopAll = async () => {
    await heartbeat?.stop();
    // Reverse order: clients before the server, so they do not log a storm of refused connections.
    for (const c of [...COMPONENTS].reverse()) await proc(c).stop(ctx.signal.aborted);
  };

  try {
    await startSome(['kube-apiserver']);
    timings.apiserver = Date.now() - started;
    // Nodes before the scheduler, so it finds them at once. Etcd may hold them already (a control
    // plane started again over restored data): the heartbeat's first beat then makes them Ready.
    heartbeat = new Heartbeat(api, nodeNames);
    await heartbeat.start(30_000);
    await startSome(['kube-controller-manager', 'kube-scheduler']);
    timings.components = Date.now() - started;
    await waitReady(COMPONENT_READY_MS);
  } catch (err) {
    await stopAll().catch(() => {});
    ctx.signal.removeEventListener('abort', onAbort);
    throw err;
  }
  const startMs = Date.now() - started;
  timings.ready = startMs;
  log.debug('control plane ready', { url, timings });

  const cp: ControlPlane = {
    url,
    api,
    dir,
    nodeNames,
    etcdPrefix: '/registry',
    files: { kubeconfig: kubeconfigs.admin, ca: pki.caFile, logs },
    startMs,
    leaderElection: le,
    startTimings: timings,
    running: (c) => proc(c).running,
    async stop(components) {
      const which = asList(components);
      for (const c of [...COMPONENTS].reverse()) if (which.includes(c)) await proc(c).stop();
    },
    async start(components) {
      if (disposed) throw new HarnessError('PROVIDER_START', 'the control plane was disposed');
      await startSome(asList(components));
    },
    async restart(components) {
      await cp.stop(components);
      await cp.start(components);
    },
    waitReady,
    exits: () => [...exits],
    heartbeat: () => ({
      failures: heartbeat?.failures ?? 0,
      ...(heartbeat?.lastOkAt ? { lastOkAt: heartbeat.lastOkAt } : {}),
      ...(heartbeat?.lastError ? { lastError: heartbeat.lastError } : {}),
    }),
    async collectLogs(destDir) {
      await mkdir(destDir, { recursive: true });
      for (const c of COMPONENTS) await copyFile(proc(c).logFile, join(destDir, `${c}.log`)).catch(() => {});
    },
    logTail: (c, lines = 20) => tailOf(proc(c).logFile, lines),
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      try {
        await stopAll();
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  };
  return cp;
}
