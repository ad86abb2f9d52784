/**
 * The kind provider (issue 14): a member is the etcd static pod kubeadm runs on a control-plane node.
 * The cluster folder is mounted at the same path in every node, and each node's /var/lib/etcd and
 * /var/log/pods are folders in it, so data dirs, backups, certificates and etcd's own logs have one
 * path on the host and in the nodes, as with the container provider. A stop moves the manifest out
 * of /etc/kubernetes/manifests (kubeadm's documented restore), a start moves it back with the
 * procedure's flags.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseCluster, BaseMember, type MemberUrls } from '../cluster/base.ts';
import type { ClusterSpec, Provider } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import { type CtlOptions, type CtlResult, describeCommand, firstLines, toolFailure } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { kindExtension } from '../extensions/kind.ts';
import type { ClusterPki } from '../tls.ts';
import { poll } from '../util/poll.ts';
import { createKindCluster, type KindCluster } from './cluster.ts';
import { etcdManifest, flagMap } from './manifest.ts';
import { type KindPrepared, prepareKind } from './prepare.ts';

const MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
/** Outside the manifests folder, so kubelet stops the pod (kubeadm's restore moves it the same way). */
const PARKED = '/etc/kubernetes/etcd.yaml.etcd-drill';
/** kubelet gives a static pod 30 s to stop; a little more for it to notice the manifest left. */
const STOP_BOUND_MS = 60_000;

export interface KindProviderOptions {
  /** Worker nodes beside the three control-plane nodes. @default 0 */
  readonly workers?: number;
  readonly k8sBinDir?: string;
}

export function kindProvider(opts: KindProviderOptions = {}): Provider {
  return {
    name: 'kind',
    extension: kindExtension,
    async create(spec, dist, ctx, name) {
      if (spec.size !== 3)
        throw new HarnessError(
          'BAD_INPUT',
          `the kind provider runs 3 members (3 control-plane nodes), not ${spec.size}`,
        );
      const prepared = await prepareKind({
        etcdVersion: dist.version,
        log: ctx.log,
        signal: ctx.signal,
        ...(opts.k8sBinDir ? { k8sBinDir: opts.k8sBinDir } : {}),
      });
      const dir = join(ctx.workDir, name);
      await mkdir(join(dir, 'backup'), { recursive: true });
      const suffix = createHash('sha256').update(name).digest('hex').slice(0, 4);
      const kind = await createKindCluster({
        runId: ctx.runId,
        suffix,
        prepared,
        workers: opts.workers ?? 0,
        log: ctx.log,
        signal: ctx.signal,
        mounts: (node) => nodeMounts(dir, node),
        etcdExtraArgs: {
          'initial-cluster-token': spec.token,
          'enable-v2': String(spec.enableV2),
          ...flagMap(spec.extraArgs ?? []),
        },
      });
      try {
        const pki = await copyPki(kind, dir);
        const members = await Promise.all(
          kind.controlPlanes.map(async (node) => {
            const m = new KindMember(node, memberUrls(kind.ips[node] ?? ''), dir, ctx, spec, kind);
            await m.adopt();
            return m;
          }),
        );
        const cluster = new KindEtcdCluster(
          spec,
          dist,
          ctx,
          members,
          join(dir, 'backup'),
          pki,
          kind,
          prepared,
        );
        for (const m of members) m.initialCluster = () => cluster.initialCluster();
        return cluster;
      } catch (err) {
        await kind.delete();
        throw err;
      }
    },
  };
}

/** The cluster folder at its own path, and this node's etcd data and pod logs as folders in it. */
function nodeMounts(dir: string, node: string) {
  return [
    { hostPath: dir, containerPath: dir },
    { hostPath: join(dir, `${node}.data`), containerPath: '/var/lib/etcd' },
    { hostPath: join(dir, `${node}.pods`), containerPath: '/var/log/pods' },
  ];
}

/** kubeadm's: every member listens on its node's address (and loopback, for the apiserver beside it). */
function memberUrls(ip: string): MemberUrls {
  return {
    listenClient: `https://127.0.0.1:2379,https://${ip}:2379`,
    advertiseClient: `https://${ip}:2379`,
    listenPeer: `https://${ip}:2380`,
    advertisePeer: `https://${ip}:2380`,
  };
}

/** kubeadm's etcd CA and its health-check client certificate, which etcd lets do anything (no etcd auth). */
async function copyPki(kind: KindCluster, dir: string): Promise<ClusterPki> {
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir, { recursive: true });
  const [node] = kind.controlPlanes;
  if (!node) throw new HarnessError('PROVIDER_START', `kind cluster ${kind.name} has no control-plane node`);
  const from = '/etc/kubernetes/pki/etcd';
  await kind.exec(node, [
    'cp',
    `${from}/ca.crt`,
    `${from}/healthcheck-client.crt`,
    `${from}/healthcheck-client.key`,
    pkiDir,
  ]);
  const caFile = join(pkiDir, 'ca.crt');
  const client = {
    cert: join(pkiDir, 'healthcheck-client.crt'),
    key: join(pkiDir, 'healthcheck-client.key'),
  };
  const [ca, cert, key] = await Promise.all(
    [caFile, client.cert, client.key].map((f) => readFile(f, 'utf8')),
  );
  return {
    dir: pkiDir,
    caFile,
    members: {},
    client,
    clientTls: { ca, cert, key } as ClusterPki['clientTls'],
  };
}

class KindMember extends BaseMember {
  /** The manifest is in kubelet's folder: etcd runs, or kubelet keeps restarting it. */
  #placed = false;
  #paused = false;
  /** kubeadm's manifest for this node, which every start rewrites the command of. */
  #manifest = '';
  #launches = 0;
  /** Pod log folders that were there before the latest start: not this start's. */
  #before = new Set<string>();

  constructor(
    name: string,
    urls: MemberUrls,
    dir: string,
    ctx: RunContext,
    spec: ClusterSpec,
    readonly kind: KindCluster,
  ) {
    // No member TLS flags of ours: kubeadm's certificates stay in its manifest.
    super(name, urls, urls.advertiseClient, dir, ctx, spec, undefined);
  }

  get podLogs(): string {
    return join(this.dir, `${this.name}.pods`);
  }

  /** Takes over the member kubeadm started. */
  async adopt(): Promise<void> {
    this.#manifest = await this.kind.exec(this.name, ['cat', MANIFEST]);
    this.#placed = true;
  }

  get running(): boolean {
    return this.#placed && !this.#paused;
  }

  protected async launch(args: string[]): Promise<void> {
    const text = etcdManifest(this.#manifest, args, ++this.#launches);
    this.#before = new Set(await readdir(this.podLogs).catch(() => []));
    await this.kind.exec(this.name, ['sh', '-c', `cat > ${PARKED}.next && mv ${PARKED}.next ${MANIFEST}`], {
      input: text,
      signal: this.ctx.signal,
    });
    this.#placed = true;
  }

  /** A container of this launch's pod that ended: kubelet writes its next one as 1.log, 2.log, … */
  protected async exited(): Promise<string | undefined> {
    if (!this.#placed) return 'stopped';
    const logs = await this.#launchLogFiles();
    const restarts = logs.filter((f) => !f.endsWith('/0.log')).length;
    return restarts > 0 ? `exited; kubelet restarted it ${restarts} time(s)` : undefined;
  }

  /** This launch's container logs, oldest first (pod folders kubelet made since the launch). */
  async #launchLogFiles(): Promise<string[]> {
    const pods = (await readdir(this.podLogs).catch(() => [])).filter(
      (d) => d.startsWith('kube-system_etcd-') && !this.#before.has(d),
    );
    const files: { path: string; n: number }[] = [];
    for (const pod of pods) {
      const dir = join(this.podLogs, pod, 'etcd');
      for (const f of await readdir(dir).catch(() => []))
        if (/^\d+\.log$/.test(f)) files.push({ path: join(dir, f), n: Number.parseInt(f, 10) });
    }
    return files.sort((a, b) => a.n - b.n).map((f) => f.path);
  }

  /** etcd's output since the latest start, without the CRI log prefix (time, stream, tag). */
  async #launchLog(): Promise<string> {
    const texts = await Promise.all(
      (await this.#launchLogFiles()).map((f) => readFile(f, 'utf8').catch(() => '')),
    );
    return texts
      .join('')
      .split('\n')
      .map((l) => l.replace(/^\S+ (stdout|stderr) [FP] /, ''))
      .join('\n');
  }

  override async logTail(lines = 20): Promise<string> {
    const text = await this.#launchLog();
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  }

  override async lastWords(): Promise<string | undefined> {
    if (!(await this.exited())) return undefined;
    const line = (await this.#launchLog()).split('\n').find((l) => /^panic: |"level":"panic"/.test(l.trim()));
    return line?.trim().slice(0, 300);
  }

  async #park(signalFirst?: string): Promise<void> {
    if (!this.#placed) return;
    await this.kind.exec(this.name, ['sh', '-c', `mv ${MANIFEST} ${PARKED}`], { signal: this.ctx.signal });
    this.#placed = false;
    this.#paused = false;
    if (signalFirst) await this.#pkill(signalFirst);
    const gone = await poll(async () => !(await this.#etcdRuns()), {
      boundMs: STOP_BOUND_MS,
      intervalMs: 250,
      signal: this.ctx.signal,
      what: `stopping ${this.name}`,
      done: (g) => g,
    });
    // After it is gone, so its last words (shutdown, panic) are in the member's log too.
    await this.#appendLaunchLog();
    if (!gone.done)
      throw new HarnessError(
        'PROVIDER_START',
        `${this.name}: etcd still runs ${STOP_BOUND_MS} ms after its manifest was moved out`,
      );
  }

  /** The running start's output into the member's log file, once (the report copies that file). */
  async flushLog(): Promise<void> {
    if (!this.#placed) return;
    await this.#appendLaunchLog();
    this.#before = new Set(await readdir(this.podLogs).catch(() => []));
  }

  /** The launch's output goes into the member's log file, which the report keeps. */
  async #appendLaunchLog(): Promise<void> {
    await appendFile(this.logFile, await this.#launchLog());
  }

  async #etcdRuns(): Promise<boolean> {
    const out = await this.kind.exec(this.name, ['sh', '-c', 'pgrep -x etcd || true'], {
      signal: this.ctx.signal,
    });
    return out.trim() !== '';
  }

  async #pkill(signal: string): Promise<void> {
    await this.kind.exec(this.name, ['sh', '-c', `pkill -${signal} -x etcd || true`], {
      signal: this.ctx.signal,
    });
  }

  stop(): Promise<void> {
    return this.#park();
  }

  kill(): Promise<void> {
    return this.#park('KILL');
  }

  get paused(): boolean {
    return this.#paused;
  }

  async pause(): Promise<void> {
    if (!this.running) return;
    await this.#pkill('STOP');
    this.#paused = true;
  }

  async resume(): Promise<void> {
    if (!this.#paused) return;
    await this.#pkill('CONT');
    this.#paused = false;
  }

  /** The folder is a mount point in the node: empty it, never remove it (the node would lose it). */
  override async wipe(): Promise<void> {
    if (this.#placed) throw new HarnessError('STRATEGY', `cannot wipe ${this.name} while it runs`);
    for (const f of await readdir(this.dataDir).catch(() => []))
      await rm(join(this.dataDir, f), { recursive: true, force: true });
  }

  async copyIn(hostPath: string, memberPath: string): Promise<void> {
    await this.kind.exec(this.name, ['sh', '-c', 'cat > "$1"', 'sh', memberPath], {
      input: await readFile(hostPath),
    });
  }

  async copyOut(memberPath: string, hostPath: string): Promise<void> {
    // The cluster folder is the same path in the node: copy through it.
    await this.kind.exec(this.name, ['cp', memberPath, hostPath]);
  }
}

class KindEtcdCluster extends BaseCluster<KindMember> {
  readonly provider = 'kind';

  constructor(
    spec: ClusterSpec,
    dist: EtcdDist,
    ctx: RunContext,
    members: readonly KindMember[],
    backupDir: string,
    pki: ClusterPki,
    readonly kind: KindCluster,
    readonly prepared: KindPrepared,
  ) {
    super(spec, dist, ctx, members, backupDir, pki);
  }

  /** kubeadm started the members: wait until they agree on a leader. */
  override async start(): Promise<void> {
    await this.waitHealthy(this.members);
  }

  /** In the first control-plane node, where kubeadm's etcdctl would run; the node runs whatever etcd does. */
  protected async runTool(
    tool: 'etcdctl' | 'etcdutl',
    args: readonly string[],
    opts: CtlOptions,
  ): Promise<CtlResult> {
    const node = this.kind.controlPlanes[0] as string;
    const command = ['env', `ETCDCTL_API=${opts.api ?? 3}`, tool, ...args];
    const name = describeCommand(tool, args);
    try {
      const stdout = await this.kind.exec(node, command, {
        signal: opts.signal ?? this.ctx.signal,
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      return { stdout, stderr: '' };
    } catch (err) {
      if (this.ctx.signal.aborted) throw new HarnessError('ABORTED', `${name} was interrupted`);
      if (err instanceof HarnessError && err.code === 'TIMEOUT') throw err;
      // 125-127 are docker's own (no daemon, no such container, no such command): ours, not the tool's answer.
      const code = ((err as HarnessError).details as { exitCode?: number } | undefined)?.exitCode;
      if (code !== undefined && code >= 125 && code <= 127) throw err;
      const d = (err as HarnessError).details as { stderr?: string; exitCode?: number } | undefined;
      const stderr = d?.stderr ?? String(err);
      throw toolFailure(name, firstLines(stderr), command, d?.exitCode ?? 1, stderr);
    }
  }

  /** The members' logs of their current start too: teardown deletes the nodes without stopping them. */
  override async collectLogs(dir: string): Promise<void> {
    for (const m of this.members) await m.flushLog();
    await super.collectLogs(dir);
  }

  protected async teardown(): Promise<void> {
    await this.kind.delete();
  }
}
