import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunContext } from '../context.ts';
import { type CtlOptions, cleanEnv, runTool } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { gateEtcd } from '../etcd/help.ts';
import { type ClusterPki, createPki } from '../tls.ts';
import { Supervised } from '../util/supervisor.ts';
import { BaseCluster, BaseMember, type MemberUrls } from './base.ts';
import { createMemberNetns, type MemberNetns } from './netns.ts';
import { netnsPeerNetwork } from './peer-network.ts';
import { allocatePorts } from './ports.ts';
import type { ClusterSpec, Member, PeerNetwork, Provider } from './types.ts';

/** Ports inside a member's own namespace: its address is its own, so the well-known ones are free. */
const NETNS_CLIENT_PORT = 2379;
const NETNS_PEER_PORT = 2380;

const STOP_GRACE_MS = 10_000;

/** etcd members as child processes on 127.0.0.1, each in its own process group (Ctrl-C reaches only us). */
export const processProvider: Provider = {
  name: 'process',
  async create(spec, dist, ctx, name) {
    const dir = join(ctx.workDir, name);
    await mkdir(join(dir, 'backup'), { recursive: true });
    if (spec.envFiles) await linkTools(dist, join(dir, 'bin'));
    const names = Array.from({ length: spec.size }, (_, i) => `etcd${i + 1}`);
    const netns = spec.network === 'netns' ? await createMemberNetns(ctx, name, names) : undefined;
    try {
      const hostOf = await memberHosts(spec, names, netns);
      const pki = spec.tls ? await createPki(join(dir, 'pki'), names, netns?.addresses) : undefined;
      const scheme = spec.tls ? 'https' : 'http';
      const members = names.map((n) => {
        const { host, client: cp, peer: pp } = hostOf(n);
        const client = `${scheme}://${host}:${cp}`;
        const peer = `${scheme}://${host}:${pp}`;
        const urls = { listenClient: client, advertiseClient: client, listenPeer: peer, advertisePeer: peer };
        return new ProcessMember(n, urls, dir, dist, ctx, spec, pki, netns?.exec(n) ?? []);
      });
      const cluster = new ProcessCluster(spec, dist, ctx, members, join(dir, 'backup'), pki, netns);
      for (const m of members) m.initialCluster = () => cluster.initialCluster();
      return cluster;
    } catch (err) {
      await netns?.remove();
      throw err;
    }
  },
};

/**
 * The version's tools linked into the cluster folder. A unit's etcd runs with no flags, so its path
 * is what carries the run folder into its command line (the crash sweep finds it by that); a
 * runbook's PATH starts here too.
 */
export async function linkTools(dist: EtcdDist, bin: string): Promise<void> {
  await mkdir(bin, { recursive: true });
  const tools = { etcd: dist.etcd, etcdctl: dist.etcdctl, etcdutl: dist.etcdutl };
  for (const [name, target] of Object.entries(tools)) if (target) await symlink(target, join(bin, name));
}

/** Each member's address and ports: its own namespace's address, or 127.0.0.1 with free ports. */
async function memberHosts(
  spec: ClusterSpec,
  names: readonly string[],
  netns: MemberNetns | undefined,
): Promise<(n: string) => { host: string; client: number; peer: number }> {
  if (netns)
    return (n) => ({ host: netns.addresses[n] ?? '', client: NETNS_CLIENT_PORT, peer: NETNS_PEER_PORT });
  const ports = await allocatePorts(spec.size * 2, spec.basePort);
  return (n) => {
    const i = names.indexOf(n);
    return { host: '127.0.0.1', client: ports[2 * i] ?? 0, peer: ports[2 * i + 1] ?? 0 };
  };
}

class ProcessMember extends BaseMember {
  // BaseMember.start() writes the start line: the container provider's logs carry it too.
  readonly #proc: Supervised;

  constructor(
    name: string,
    urls: MemberUrls,
    dir: string,
    /** The binary its next start runs (a rolling upgrade changes it member by member). */
    public dist: EtcdDist,
    ctx: RunContext,
    spec: ClusterSpec,
    pki: ClusterPki | undefined,
    /** `ip netns exec <ns>` when the member has a namespace of its own. */
    readonly inNetns: readonly string[],
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

  protected async launch(args: string[], env: Record<string, string>): Promise<void> {
    const etcd = this.envFile ? join(this.dir, 'bin', 'etcd') : this.dist.etcd;
    await this.#proc.start([...this.inNetns, etcd, ...args], cleanEnv(env), this.logFile);
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
  readonly peerNetwork: PeerNetwork | undefined;

  constructor(
    spec: ClusterSpec,
    dist: EtcdDist,
    ctx: RunContext,
    members: readonly ProcessMember[],
    backupDir: string,
    pki: ClusterPki | undefined,
    readonly netns: MemberNetns | undefined,
  ) {
    super(spec, dist, ctx, members, backupDir, pki);
    // Each member's flags are asked of the etcd it runs now (useDist moves members one by one).
    for (const m of members) m.gateArgs = (args) => gateEtcd(m.dist, args);
    this.peerNetwork = netns
      ? netnsPeerNetwork(ctx, members, {
          exec: async (m) => netns.exec(m.name),
          address: async (m) => netns.addresses[m.name] ?? '',
          hostAddress: async () => netns.hostAddress,
          peerPort: NETNS_PEER_PORT,
        })
      : undefined;
  }

  override detach(): void {
    super.detach();
    for (const m of this.members) m.release();
  }

  /** Cross-version drills: the given members' next starts run `dist`; once all do, the tools are its too. */
  useDist(dist: EtcdDist, members: readonly Member[] = this.members): void {
    for (const m of this.members) if (members.includes(m)) m.dist = dist;
    if (this.members.every((m) => m.dist === dist)) this.dist = dist;
  }

  protected runTool(tool: 'etcdctl' | 'etcdutl', args: readonly string[], opts: CtlOptions) {
    return runTool(tool === 'etcdctl' ? this.dist.etcdctl : (this.dist.etcdutl ?? 'etcdutl'), args, opts);
  }

  protected async teardown(): Promise<void> {
    // Interrupted: SIGKILL at once (a member that is half-joined can hold a graceful stop for its full grace).
    try {
      if (this.ctx.signal.aborted) await Promise.all(this.members.map((m) => m.kill()));
      else await this.stopAll();
    } finally {
      // After the members: a namespace lives on while a process runs inside it.
      await this.netns?.remove();
    }
  }
}
