import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunContext } from '../context.ts';
import { type CtlOptions, cleanEnv, runTool } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { type ClusterPki, createPki } from '../tls.ts';
import { Supervised } from '../util/supervisor.ts';
import { BaseCluster, BaseMember, type MemberUrls } from './base.ts';
import { allocatePorts } from './ports.ts';
import type { ClusterSpec, Provider } from './types.ts';

const STOP_GRACE_MS = 10_000;

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

class ProcessMember extends BaseMember {
  // BaseMember.start() writes the start line: the container provider's logs carry it too.
  readonly #proc: Supervised;

  constructor(
    name: string,
    urls: MemberUrls,
    dir: string,
    readonly dist: EtcdDist,
    ctx: RunContext,
    spec: ClusterSpec,
    pki: ClusterPki | undefined,
  ) {
    super(name, urls, urls.advertiseClient, dir, ctx, spec, pki);
    this.#proc = new Supervised({ name, ctx, mark: false });
  }

  #paused = false;

  get running(): boolean {
    return this.#proc.running && !this.#paused;
  }

  get paused(): boolean {
    return this.#paused;
  }

  async pause(): Promise<void> {
    if (!this.running) return;
    this.#proc.signal('SIGSTOP');
    this.#paused = true;
  }

  async resume(): Promise<void> {
    if (!this.#paused) return;
    this.#proc.signal('SIGCONT');
    this.#paused = false;
  }

  protected async launch(args: string[]): Promise<void> {
    await this.#proc.start([this.dist.etcd, ...args], cleanEnv(), this.logFile);
    await writeFile(join(this.dir, `${this.name}.pid`), String(this.#proc.pid ?? ''));
  }

  /** Lets the harness exit while this member runs on (--keep). */
  release(): void {
    this.#proc.release();
  }

  protected async exited(): Promise<string | undefined> {
    return this.#proc.running ? undefined : this.#proc.lastExit?.how;
  }

  // A process member shares the host's filesystem: copying is copying.
  async copyIn(hostPath: string, memberPath: string): Promise<void> {
    await mkdir(dirname(memberPath), { recursive: true });
    await copyFile(hostPath, memberPath);
  }

  async copyOut(memberPath: string, hostPath: string): Promise<void> {
    await mkdir(dirname(hostPath), { recursive: true });
    await copyFile(memberPath, hostPath);
  }

  // A frozen process holds SIGTERM pending: thaw it first.
  async stop(): Promise<void> {
    await this.resume();
    await this.#proc.stop(STOP_GRACE_MS);
  }

  async kill(): Promise<void> {
    await this.resume();
    await this.#proc.kill(STOP_GRACE_MS);
  }
}

class ProcessCluster extends BaseCluster<ProcessMember> {
  readonly provider = 'process';

  override detach(): void {
    super.detach();
    for (const m of this.members) m.release();
  }

  protected runTool(tool: 'etcdctl' | 'etcdutl', args: readonly string[], opts: CtlOptions) {
    return runTool(tool === 'etcdctl' ? this.dist.etcdctl : (this.dist.etcdutl ?? 'etcdutl'), args, opts);
  }

  protected async teardown(): Promise<void> {
    // Interrupted: SIGKILL at once (a member that is half-joined can hold a graceful stop for its full grace).
    if (this.ctx.signal.aborted) await Promise.all(this.members.map((m) => m.kill()));
    else await this.stopAll();
  }
}
