import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import { type CtlOptions, cleanEnv, runTool } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { type ClusterPki, createPki } from '../tls.ts';
import { BaseCluster, etcdArgs, type MemberUrls, portOpen } from './base.ts';
import { allocatePorts } from './ports.ts';
import type { ClusterSpec, Member, Provider, StartOptions } from './types.ts';

const STOP_GRACE_MS = 10_000;
const START_TIMEOUT_MS = 30_000;

/** etcd members as child processes on 127.0.0.1, each in its own process group (Ctrl-C reaches only us). */
export const processProvider: Provider = {
  name: 'process',
  async create(spec, dist, ctx, name) {
    const dir = join(ctx.workDir, name);
    await mkdir(join(dir, 'backup'), { recursive: true });
    const ports = await allocatePorts(spec.size * 2, spec.basePort);
    const names = Array.from({ length: spec.size }, (_, i) => `etcd${i + 1}`);
    const pki = spec.tls ? await createPki(join(dir, 'pki'), names) : undefined;
    const scheme = spec.tls ? 'https' : 'http';
    const members = names.map((n, i) => {
      const client = `${scheme}://127.0.0.1:${ports[2 * i]}`;
      const peer = `${scheme}://127.0.0.1:${ports[2 * i + 1]}`;
      const urls = { listenClient: client, advertiseClient: client, listenPeer: peer, advertisePeer: peer };
      return new ProcessMember(n, urls, dir, dist, ctx, spec, pki);
    });
    const cluster = new ProcessCluster(spec, dist, ctx, members, join(dir, 'backup'), pki);
    for (const m of members) m.initialCluster = () => cluster.initialCluster();
    return cluster;
  },
};

class ProcessMember implements Member {
  readonly clientUrl: string;
  readonly ctlUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  initialCluster: () => string = () => '';
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #last: StartOptions = { state: 'new' };

  constructor(
    readonly name: string,
    readonly urls: MemberUrls,
    readonly dir: string,
    readonly dist: EtcdDist,
    readonly ctx: RunContext,
    readonly spec: ClusterSpec,
    readonly pki: ClusterPki | undefined,
  ) {
    this.clientUrl = urls.advertiseClient;
    this.ctlUrl = urls.advertiseClient;
    this.peerUrl = urls.advertisePeer;
    this.dataDir = join(dir, `${name}.data`);
    this.logFile = join(dir, `${name}.log`);
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(opts: StartOptions): Promise<void> {
    if (this.running) throw new HarnessError('PROVIDER_START', `${this.name} is already running`);
    this.#last = opts;
    const args = etcdArgs(
      this.name,
      this.dataDir,
      this.urls,
      this.spec,
      this.pki,
      opts,
      this.initialCluster(),
    );
    const fd = openSync(this.logFile, 'a');
    writeSync(
      fd,
      `\n=== etcd-drill: starting ${this.name} at ${new Date().toISOString()}: etcd ${args.join(' ')}\n`,
    );
    const child = spawn(this.dist.etcd, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: cleanEnv({ DRILL_RUN_ID: this.ctx.runId }),
    });
    closeSync(fd);
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('error', () => {}); // surfaced below through the exit check
    await writeFile(join(this.dir, `${this.name}.pid`), String(child.pid ?? ''));
    this.ctx.log.debug('member started', { member: this.name, pid: child.pid, args });

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (!this.running) {
        const tail = await this.logTail(15);
        throw startFailure(
          this.name,
          tail,
          `exited during start (code ${child.exitCode ?? child.signalCode}); see ${this.logFile}`,
        );
      }
      // A bound port is enough: etcd answers HTTP only once it has a quorum, which the cluster waits for.
      if (await portOpen(this.clientUrl)) return;
      if (this.ctx.signal.aborted)
        throw new HarnessError('ABORTED', `interrupted while starting ${this.name}`);
      if (Date.now() > deadline) {
        throw new HarnessError(
          'PROVIDER_START',
          `${this.name} did not listen on ${this.clientUrl} within ${START_TIMEOUT_MS} ms; see ${this.logFile}`,
        );
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    await this.#signal('SIGTERM', STOP_GRACE_MS);
  }

  async kill(): Promise<void> {
    await this.#signal('SIGKILL', STOP_GRACE_MS);
  }

  async #signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.#child;
    if (!child || !this.running || child.pid === undefined) return;
    const exited = this.#exited ?? Promise.resolve();
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
    // Unref: a pending grace timer must not keep the CLI alive after the member exited.
    const done = await Promise.race([exited.then(() => true), sleep(graceMs, false, { ref: false })]);
    if (!done) {
      this.ctx.log.warn(`${this.name} ignored ${sig} for ${graceMs} ms; killing it`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await exited;
    }
  }

  async restart(opts?: StartOptions): Promise<void> {
    await this.stop();
    await this.start(opts ?? this.#last);
  }

  async wipe(): Promise<void> {
    if (this.running) throw new HarnessError('STRATEGY', `cannot wipe ${this.name} while it runs`);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async logTail(lines = 20): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  }
}

/** A start failure, naming a busy port when etcd says so (the usual cause a user can fix). */
export function startFailure(member: string, logTail: string, otherwise: string): HarnessError {
  const inUse = /address already in use/.test(logTail);
  return new HarnessError(
    'PROVIDER_START',
    inUse
      ? `${member} could not bind its port: address already in use; pick another --base-port or drop it`
      : `${member} ${otherwise}`,
    { details: { logTail } },
  );
}

class ProcessCluster extends BaseCluster<ProcessMember> {
  readonly provider = 'process';

  protected runTool(tool: 'etcdctl' | 'etcdutl', args: readonly string[], opts: CtlOptions) {
    return runTool(tool === 'etcdctl' ? this.dist.etcdctl : (this.dist.etcdutl ?? 'etcdutl'), args, opts);
  }

  async collectLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const m of this.members) await copyFile(m.logFile, join(dir, `${m.name}.log`)).catch(() => {});
  }

  protected async teardown(): Promise<void> {
    // Interrupted: SIGKILL at once (a member that is half-joined can hold a graceful stop for its full grace).
    if (this.ctx.signal.aborted) await Promise.all(this.members.map((m) => m.kill()));
    else await this.stopAll();
  }
}
