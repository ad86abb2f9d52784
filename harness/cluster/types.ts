import type { RunContext } from '../context.ts';
import type { Extension } from '../engine/extension.ts';
import type { Access, MemberInfo } from '../etcd/api.ts';
import type { CtlOptions, CtlResult } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import type { ClusterPki } from '../tls.ts';

/** Where members run; auto: containers when a Docker engine answers, else processes. kind: never chosen by auto. */
export const PROVIDER_NAMES = ['auto', 'process', 'container', 'kind'] as const;

export interface ClusterSpec {
  /** @default 3 */
  readonly size: number;
  /** --initial-cluster-token; the write-up used k8s_etcd. */
  readonly token: string;
  /** Serve the v2 API (needs --enable-v2=true from 3.4 on). @default true */
  readonly enableV2: boolean;
  /** Fixed ports base, base+1, …; free ports are picked when absent. */
  readonly basePort?: number;
  /** HTTPS with client certificates on client and peer URLs, like the write-up's cluster. @default false */
  readonly tls?: boolean;
  /**
   * Process provider: 'netns' puts each member in a network namespace of its own on a bridge the
   * harness makes, so peer traffic can be cut or slowed (cluster.peerNetwork). Containers have that
   * already. @default 'loopback'
   */
  readonly network?: 'loopback' | 'netns';
  /** etcd flags every member start gets, before the start's own (the deployment's config, e.g. a quota). */
  readonly extraArgs?: readonly string[];
  /**
   * Members are units, as a runbook knows them: the cluster's start writes <envDir>/<member>.env of
   * ETCD_* variables, and every start runs etcd with that file as its environment and no flags.
   */
  readonly envFiles?: boolean;
}

export interface StartOptions {
  /** --initial-cluster-state. Ignored by etcd when the data dir already holds a member. */
  readonly state: 'new' | 'existing';
  /** --initial-cluster; every member of the cluster when absent. */
  readonly initialCluster?: string;
  readonly forceNewCluster?: boolean;
  readonly extraArgs?: readonly string[];
}

/** One etcd member slot: fixed name and URLs, a data dir that restores may replace. */
export interface Member {
  readonly name: string;
  /** Where the harness dials this member (127.0.0.1). */
  readonly clientUrl: string;
  /** Where etcdctl, run where the members run, dials it (a container name inside the cluster network). */
  readonly ctlUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** With spec.envFiles: the file every start of this member reads its configuration from. */
  readonly envFile: string | undefined;
  readonly running: boolean;
  /** start() is under way: the process may run, its client port is not bound yet. */
  readonly starting: boolean;
  /** Starts the process and waits until it answers HTTP (not until it is healthy: that needs quorum). */
  start(opts: StartOptions): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited in time. Idempotent. */
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Freezes the member (SIGSTOP, docker pause): it holds its sockets but answers nothing. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Frozen by pause(); `running` is false meanwhile. */
  readonly paused: boolean;
  /** Stops and starts again with the last start options, or new ones. */
  restart(opts?: StartOptions): Promise<void>;
  /** Removes the data dir (the member must be stopped). */
  wipe(): Promise<void>;
  /** Copies a file from the harness's host into the member's filesystem (the member must run). */
  copyIn(hostPath: string, memberPath: string): Promise<void>;
  /** Copies a file out of the member's filesystem to the harness's host (the member must run). */
  copyOut(memberPath: string, hostPath: string): Promise<void>;
  logTail(lines?: number): Promise<string>;
  /** The panic etcd died with since its latest start, if it has died with one (its own words, one line). */
  lastWords(): Promise<string | undefined>;
}

export interface MemberHealth {
  readonly name: string;
  readonly running: boolean;
  readonly healthy: boolean;
  /** false: the member's process runs but its /health or status call got no answer at all. */
  readonly answered?: boolean;
  readonly memberId?: string;
  readonly leaderId?: string;
  readonly revision?: number;
  readonly reason?: string;
}

export interface HealthReport {
  readonly members: readonly MemberHealth[];
  /** Distinct non-zero leader IDs the running members report. */
  readonly leaders: readonly string[];
  /** Every given member healthy and all agreeing on one leader. */
  readonly up: boolean;
}

/** Undoes a network fault; idempotent. */
export type Heal = () => Promise<void>;

/** Faults on the links between members; client ports stay reachable by the harness throughout. */
export interface PeerNetwork {
  /** Drops peer traffic (the peer port, both directions) between `m` and each of `from`. */
  isolate(m: Member, from: readonly Member[]): Promise<Heal>;
  /** Delays `m`'s peer traffic by `ms` each way, or says why it cannot on this machine. */
  delay(m: Member, ms: number): Promise<Heal>;
  /** Why delay() cannot work here (e.g. no netem qdisc in this kernel), or undefined when it can. */
  readonly delayUnsupported?: string;
  /** A member's network exists only while it runs (a container's namespace): faults wait for it. */
  readonly needsRunning?: boolean;
}

export interface Cluster extends AsyncDisposable {
  readonly provider: string;
  readonly spec: ClusterSpec;
  readonly dist: EtcdDist;
  readonly ctx: RunContext;
  readonly members: readonly Member[];
  /** Peer-link faults; absent where members share one network stack (process provider on loopback). */
  readonly peerNetwork?: PeerNetwork;
  /** The cluster's throwaway PKI when it runs with TLS. */
  readonly pki: ClusterPki | undefined;
  /** With spec.envFiles: the folder of the members' env files. */
  readonly envDir: string | undefined;
  /** name=peerUrl,… for the given members (all by default). */
  initialCluster(members?: readonly Member[]): string;
  /** Client URLs of running members (or the given ones). */
  endpoints(members?: readonly Member[]): string[];
  /** Endpoints plus TLS material: what the harness's own clients need. */
  access(members?: readonly Member[]): Access;
  /** The per-cluster etcd flags each member's next start gets (spec.extraArgs until set). */
  flags(): readonly string[];
  /** Replaces the per-cluster flags: a config change, taking effect member by member as each restarts. */
  setFlags(args: readonly string[]): void;
  /** Starts every member as a new cluster and waits until it is up. */
  start(): Promise<void>;
  health(members?: readonly Member[]): Promise<HealthReport>;
  /** Waits until the given (default: running) members are up. */
  waitHealthy(members?: readonly Member[], timeoutMs?: number): Promise<HealthReport>;
  memberList(): Promise<MemberInfo[]>;
  stopAll(): Promise<void>;
  /**
   * Runs etcdctl where the members run (this host for processes, inside a member for containers),
   * adding --endpoints (the given members, default the running ones; 'none' for offline commands)
   * and the client certificate flags when the cluster uses TLS.
   */
  etcdctl(args: readonly string[], opts?: ClusterCtlOptions): Promise<CtlResult>;
  /** Runs etcdutl, or throws UNSUPPORTED if this version has none. */
  etcdutl(args: readonly string[], opts?: CtlOptions): Promise<CtlResult>;
  /** A path where backup files can be written by etcdctl and read by the harness. */
  readonly backupDir: string;
  /** Copies each member's log into `dir` as <member>.log (and any other log of the cluster's folder). */
  collectLogs(dir: string): Promise<void>;
  /** Leave the members running after the run (--keep). */
  detach(): void;
  /**
   * Cross-version drills (process provider only): the given members' next starts run `dist`'s etcd;
   * once every member does, etcdctl/etcdutl are `dist`'s too. @default every member
   */
  useDist?(dist: EtcdDist, members?: readonly Member[]): void;
}

export interface ClusterCtlOptions extends CtlOptions {
  readonly endpoints?: readonly Member[] | 'none';
}

export interface Provider {
  readonly name: string;
  create(spec: ClusterSpec, dist: EtcdDist, ctx: RunContext, name: string): Promise<Cluster>;
  /** What every drill on this provider runs alongside (kind: a live Kubernetes shares the etcd). */
  extension?(): Extension;
}
