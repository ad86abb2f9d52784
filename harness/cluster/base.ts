import { appendFile, copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import { type Access, memberHealthy, memberList, memberStatus } from '../etcd/api.ts';
import type { CtlOptions, CtlResult } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { gateEtcd } from '../etcd/help.ts';
import { zapEntry } from '../etcd/log-lines.ts';
import { flagsToEnv, formatEnvFile, readEnvFile, writeEnvFile } from '../runbook/env-file.ts';
import { type ClusterPki, ctlTlsFlags, memberTlsFlags } from '../tls.ts';
import { poll } from '../util/poll.ts';
import type {
  Cluster,
  ClusterCtlOptions,
  ClusterSpec,
  HealthReport,
  Member,
  MemberHealth,
  StartOptions,
} from './types.ts';

/** The URLs a member listens on and advertises; providers differ only in these. */
export interface MemberUrls {
  readonly listenClient: string;
  readonly advertiseClient: string;
  readonly listenPeer: string;
  readonly advertisePeer: string;
}

/** etcd's command line for a member, the same for every provider. */
export function etcdArgs(
  name: string,
  dataDir: string,
  urls: MemberUrls,
  spec: ClusterSpec,
  pki: ClusterPki | undefined,
  opts: StartOptions,
  defaultInitialCluster: string,
): string[] {
  return [
    '--name',
    name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    urls.listenClient,
    '--advertise-client-urls',
    urls.advertiseClient,
    '--listen-peer-urls',
    urls.listenPeer,
    '--initial-advertise-peer-urls',
    urls.advertisePeer,
    '--initial-cluster',
    opts.initialCluster ?? defaultInitialCluster,
    '--initial-cluster-state',
    opts.state,
    '--initial-cluster-token',
    spec.token,
    `--enable-v2=${spec.enableV2}`,
    ...(pki ? memberTlsFlags(pki, name) : []),
    ...(opts.forceNewCluster ? ['--force-new-cluster'] : []),
    ...(opts.extraArgs ?? []),
  ];
}

export function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = connect({ host: hostname, port: Number(port) });
    sock.setTimeout(1000);
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.once('timeout', () => done(false));
  });
}

/** How long a started member may take to bind its client port. */
export const START_TIMEOUT_MS = 30_000;

/**
 * One member slot, whatever runs it: fixed name and URLs, a data dir a restore may replace, a log
 * that every start appends to. Providers supply launching, liveness and stopping.
 */
export abstract class BaseMember implements Member {
  readonly ctlUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Set by the cluster once it exists: the default --initial-cluster. */
  initialCluster: () => string = () => '';
  /** Set by the cluster once it exists: the per-cluster flags, read at each start. */
  clusterFlags: () => readonly string[] = () => [];
  /** Set by the cluster once it exists: etcd's argv as its binary takes it (gateEtcdArgs). */
  gateArgs: (args: readonly string[]) => Promise<string[]> = async (args) => [...args];
  /**
   * Set by a cluster of units (spec.envFiles): every start runs etcd with this file's variables as
   * its environment and no flags, whatever the start's options say (a service manager's restart).
   */
  envFile: string | undefined;
  protected last: StartOptions = { state: 'new' };

  constructor(
    readonly name: string,
    readonly urls: MemberUrls,
    /** Where the harness dials it. */
    readonly clientUrl: string,
    readonly dir: string,
    readonly ctx: RunContext,
    readonly spec: ClusterSpec,
    readonly pki: ClusterPki | undefined,
  ) {
    this.ctlUrl = urls.advertiseClient;
    this.peerUrl = urls.advertisePeer;
    this.dataDir = join(dir, `${name}.data`);
    this.logFile = join(dir, `${name}.log`);
  }

  abstract get running(): boolean;
  /** Starts etcd with these arguments and environment (added to the harness's), its output appended to logFile. */
  protected abstract launch(args: string[], env: Record<string, string>): Promise<void>;
  /** Why the member is no longer running (e.g. 'code 2'), or undefined while it runs. */
  protected abstract exited(): Promise<string | undefined>;
  abstract stop(): Promise<void>;
  abstract kill(): Promise<void>;
  abstract get paused(): boolean;
  abstract pause(): Promise<void>;
  abstract resume(): Promise<void>;
  abstract copyIn(hostPath: string, memberPath: string): Promise<void>;
  abstract copyOut(memberPath: string, hostPath: string): Promise<void>;

  /** Starts etcd and waits until its client port is bound (not until healthy: that needs quorum). */
  #starting = false;

  /** Between start() being called and its port being bound. */
  get starting(): boolean {
    return this.#starting;
  }

  async start(opts: StartOptions): Promise<void> {
    if (this.running || this.paused || this.#starting)
      throw new HarnessError('PROVIDER_START', `${this.name} is already running`);
    this.#starting = true;
    try {
      await this.#start(opts);
    } finally {
      this.#starting = false;
    }
  }

  async #start(opts: StartOptions): Promise<void> {
    this.last = opts;
    const { args, env, shown } = this.envFile
      ? await this.#fromFile(this.envFile)
      : await this.#fromFlags(opts);
    await appendFile(
      this.logFile,
      `\n=== etcd-drill: starting ${this.name} at ${new Date().toISOString()}: ${shown}\n`,
    );
    // Another process on the port would pass the bound-port test below while etcd dies on it.
    if (await portOpen(this.clientUrl))
      throw startFailure(this.name, 'address already in use', 'port held by another process');
    await this.launch(args, env);
    this.ctx.log.debug('member started', { member: this.name, args, env });
    const listening = await poll(
      async () => {
        const gone = await this.exited();
        if (gone)
          throw startFailure(
            this.name,
            await this.logTail(15),
            `exited during start (${gone}); see ${this.logFile}`,
            { exited: true, lastWords: await this.lastWords() },
          );
        // A bound port is enough: etcd answers HTTP only once it has a quorum, which the cluster waits for.
        return portOpen(this.clientUrl);
      },
      {
        boundMs: START_TIMEOUT_MS,
        intervalMs: 100,
        signal: this.ctx.signal,
        what: `starting ${this.name}`,
        done: (open) => open,
      },
    );
    if (!listening.done) {
      throw new HarnessError(
        'PROVIDER_START',
        `${this.name} did not listen on ${this.clientUrl} within ${START_TIMEOUT_MS} ms; see ${this.logFile}`,
      );
    }
  }

  async #fromFlags(opts: StartOptions) {
    // The start's own flags after the cluster's: etcd takes the last value of a flag given twice.
    const extraArgs = [...this.clusterFlags(), ...(opts.extraArgs ?? [])];
    const wanted = etcdArgs(
      this.name,
      this.dataDir,
      this.urls,
      this.spec,
      this.pki,
      { ...opts, extraArgs },
      this.initialCluster(),
    );
    const args = await this.gateArgs(wanted);
    return { args, env: {}, shown: `etcd ${args.join(' ')}` };
  }

  async #fromFile(file: string) {
    const env = await readEnvFile(file);
    const shown = `etcd with the environment of ${file}:\n${formatEnvFile(env).trimEnd()}`;
    return { args: [], env, shown };
  }

  /** The unit's env file for a new cluster: exactly the flags the harness would start it with, as variables. */
  async writeEnvFile(): Promise<void> {
    if (!this.envFile) return;
    const { args } = await this.#fromFlags({ state: 'new' });
    await writeEnvFile(this.envFile, flagsToEnv(args), `etcd member ${this.name}, written by etcd-drill`);
  }

  async restart(opts?: StartOptions): Promise<void> {
    await this.stop();
    await this.start(opts ?? this.last);
  }

  async wipe(): Promise<void> {
    if (this.running) throw new HarnessError('STRATEGY', `cannot wipe ${this.name} while it runs`);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async logTail(lines = 20): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  }

  /**
   * The panic of the latest start, when etcd gave up on its data with one (its stack follows it). A
   * fatal line is not enough: our own flags or files (a missing certificate, a bad path) end in one too.
   */
  async lastWords(): Promise<string | undefined> {
    if (!(await this.exited())) return undefined;
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    const latest = text.slice(text.lastIndexOf('=== etcd-drill: starting'));
    const line = latest.split('\n').find((l) => /^panic: |"level":"panic"/.test(l.trim()));
    return line && (zapEntry(line)?.msg ?? line.trim()).slice(0, 300);
  }
}

/** A start failure, naming a busy port when etcd says so (the usual cause a user can fix). */
export function startFailure(
  member: string,
  logTail: string,
  otherwise: string,
  how: { exited?: boolean; lastWords?: string | undefined } = {},
): HarnessError {
  const inUse = /address already in use/.test(logTail);
  const exitedByItself = !!how.exited && !inUse;
  return new HarnessError(
    'PROVIDER_START',
    inUse
      ? `${member} could not bind its port: address already in use; pick another --base-port or drop it`
      : `${member} ${otherwise}`,
    { details: { logTail, exitedByItself, ...(how.lastWords ? { lastWords: how.lastWords } : {}) } },
  );
}

/** One leader, every member answering, and each unhealthy one only because of an alarm. */
export function alarmedOnly(h: HealthReport): boolean {
  return (
    h.leaders.length === 1 &&
    h.members.every((m) => m.healthy || (m.answered !== false && /^ALARM /.test(m.reason ?? '')))
  );
}

/** Health, membership and tool plumbing shared by every provider. */
export abstract class BaseCluster<M extends BaseMember> implements Cluster {
  abstract readonly provider: string;
  protected detached = false;
  readonly envDir: string | undefined;
  #flags: readonly string[];

  constructor(
    readonly spec: ClusterSpec,
    // Not readonly: a cross-version drill moves the cluster to another version (ProcessCluster.useDist).
    public dist: EtcdDist,
    readonly ctx: RunContext,
    readonly members: readonly M[],
    readonly backupDir: string,
    readonly pki: ClusterPki | undefined,
  ) {
    this.#flags = [...(spec.extraArgs ?? [])];
    for (const m of members) m.clusterFlags = () => this.#flags;
    for (const m of members) m.gateArgs = (args) => gateEtcd(dist, args);
    this.envDir = spec.envFiles ? join(dirname(backupDir), 'env') : undefined;
    for (const m of members) m.envFile = this.envDir && join(this.envDir, `${m.name}.env`);
  }

  flags(): readonly string[] {
    return this.#flags;
  }

  setFlags(args: readonly string[]): void {
    this.#flags = [...args];
  }

  /** Runs an etcd tool (etcdctl or etcdutl) where the members run. */
  protected abstract runTool(
    tool: 'etcdctl' | 'etcdutl',
    args: readonly string[],
    opts: CtlOptions,
  ): Promise<CtlResult>;
  /** Every log in the cluster folder: the members' and whatever else ran there (a runbook's scripts). */
  async collectLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const from = dirname(this.backupDir);
    const logs = (await readdir(from).catch(() => [])).filter((f) => f.endsWith('.log'));
    for (const f of logs) await copyFile(join(from, f), join(dir, f)).catch(() => {});
  }
  protected abstract teardown(): Promise<void>;

  initialCluster(members: readonly Member[] = this.members): string {
    return members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  }

  endpoints(members?: readonly Member[]): string[] {
    return (members ?? this.members.filter((m) => m.running)).map((m) => m.clientUrl);
  }

  access(members?: readonly Member[]): Access {
    return { endpoints: this.endpoints(members), tls: this.pki?.clientTls };
  }

  async start(): Promise<void> {
    if (this.envDir) {
      await mkdir(this.envDir, { recursive: true });
      for (const m of this.members) await m.writeEnvFile();
    }
    // All members of a new cluster must be up before any can elect a leader: start them together.
    await Promise.all(this.members.map((m) => m.start({ state: 'new' })));
    await this.waitHealthy(this.members);
  }

  async health(members: readonly Member[] = this.members): Promise<HealthReport> {
    const tls = this.pki?.clientTls;
    const list: MemberHealth[] = await Promise.all(
      members.map(async (m): Promise<MemberHealth> => {
        if (!m.running)
          return {
            name: m.name,
            running: false,
            healthy: false,
            reason: m.paused ? 'paused' : 'not running',
          };
        const h = await memberHealthy(m.clientUrl, tls);
        try {
          const s = await memberStatus(m.clientUrl, this.dist.version, tls);
          return {
            name: m.name,
            running: true,
            ...h,
            memberId: s.memberId,
            leaderId: s.leaderId,
            revision: s.revision,
          };
        } catch (err) {
          return {
            name: m.name,
            running: true,
            healthy: false,
            answered: false,
            reason: err instanceof Error ? err.message : String(err),
          };
        }
      }),
    );
    const leaders = [...new Set(list.map((m) => m.leaderId).filter((l): l is string => !!l && l !== '0'))];
    return { members: list, leaders, up: list.every((m) => m.healthy) && leaders.length === 1 };
  }

  async waitHealthy(members?: readonly Member[], timeoutMs = 60_000): Promise<HealthReport> {
    const which = members ?? this.members.filter((m) => m.running);
    const r = await poll(() => this.health(which), {
      boundMs: timeoutMs,
      intervalMs: 200,
      signal: this.ctx.signal,
      what: 'waiting for the cluster',
      // An alarm (etcd 3.4+ names it as the reason) does not clear by waiting: say so at once.
      done: (h) => h.up || alarmedOnly(h),
    });
    const report = r.last;
    if (r.done) return report;
    const why = report.members
      .map((m) => `${m.name}: ${m.healthy ? 'healthy' : (m.reason ?? 'unhealthy')}`)
      .join('; ');
    throw new HarnessError(
      'CLUSTER_UNHEALTHY',
      `${which.map((m) => m.name).join(',')} not healthy with one leader after ${timeoutMs} ms (${why}; leaders seen: ${report.leaders.length})`,
      { details: { health: report } },
    );
  }

  async memberList() {
    const first = this.members.find((m) => m.running);
    if (!first)
      throw new HarnessError('CLUSTER_UNHEALTHY', 'no member is running to ask for the member list');
    return memberList(first.clientUrl, this.dist.version, this.pki?.clientTls);
  }

  async stopAll(): Promise<void> {
    // One at a time: stopped together, each waits on peers that are also leaving (seen: 7 s vs 0.3 s on 3.4).
    for (const m of this.members) await m.stop();
  }

  etcdctl(args: readonly string[], opts: ClusterCtlOptions = {}): Promise<CtlResult> {
    const { endpoints, ...rest } = opts;
    const flags: string[] = [];
    if (endpoints !== 'none') {
      const eps = (endpoints ?? this.members.filter((m) => m.running)).map((m) => m.ctlUrl);
      flags.push('--endpoints', eps.join(','));
      if (this.pki) flags.push(...ctlTlsFlags(this.pki));
    }
    return this.runTool('etcdctl', [...flags, ...args], {
      log: this.ctx.log,
      signal: this.ctx.signal,
      ...rest,
    });
  }

  etcdutl(args: readonly string[], opts: CtlOptions = {}): Promise<CtlResult> {
    if (!this.dist.etcdutl) {
      return Promise.reject(new HarnessError('STRATEGY', `etcd ${this.dist.version} has no etcdutl`));
    }
    return this.runTool('etcdutl', args, { log: this.ctx.log, signal: this.ctx.signal, ...opts });
  }

  detach(): void {
    this.detached = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.detached) return;
    await this.teardown();
    // Data dirs hold 64 MB of preallocated WAL per member: a matrix would fill a disk by its end.
    await rm(dirname(this.backupDir), { recursive: true, force: true });
  }
}
