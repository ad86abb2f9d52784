import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  type ContainerRuntimeClient,
  GenericContainer,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import { type CtlOptions, type CtlResult, describeCommand, firstLines, toolFailure } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { type ClusterPki, createPki } from '../tls.ts';
import { execa } from '../util/exec.ts';
import { BaseCluster, BaseMember, type MemberUrls, START_TIMEOUT_MS } from './base.ts';
import { requireDocker, runLabels } from './docker.ts';
import { ensureImage } from './image.ts';
import { netnsPeerNetwork } from './peer-network.ts';
import { allocatePorts } from './ports.ts';
import type { ClusterSpec, Member, PeerNetwork, Provider } from './types.ts';

const STOP_GRACE_S = 10;

export interface ContainerProviderOptions {
  /** Use this image instead of building one from the distribution's binaries (its version is checked). */
  readonly image?: string;
}

/** etcd's GenericContainer, publishing the client port on 127.0.0.1 only (testcontainers binds all addresses). */
class EtcdContainer extends GenericContainer {
  withLoopbackPort(containerPort: number, hostPort: number): this {
    this.createOpts.ExposedPorts = { ...this.createOpts.ExposedPorts, [`${containerPort}/tcp`]: {} };
    this.hostConfig.PortBindings = {
      ...this.hostConfig.PortBindings,
      [`${containerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }],
    };
    return this;
  }
}

/**
 * Members as containers on a network of their own, reachable from each other by name (etcd1…),
 * their client ports published on 127.0.0.1. The cluster folder is bind-mounted at the same path,
 * so data dirs, backups and certificates have one path on the host and in every container.
 */
export function containerProvider(opts: ContainerProviderOptions = {}): Provider {
  return {
    name: 'container',
    async create(spec, dist, ctx, name) {
      const client = await requireDocker();
      // A given --image was version-checked before the run (checkImage); ours are built to match.
      const image = opts.image ?? (await ensureImage(dist, ctx.log));
      const dir = join(ctx.workDir, name);
      await mkdir(join(dir, 'backup'), { recursive: true });
      const ports = await allocatePorts(spec.size, spec.basePort);
      const names = Array.from({ length: spec.size }, (_, i) => `etcd${i + 1}`);
      const pki = spec.tls ? await createPki(join(dir, 'pki'), names) : undefined;
      const networkName = `etcd-drill-${ctx.runId}-${name}`;
      const network = await client.network.create({
        Name: networkName,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: runLabels(ctx.runId),
      });
      const env: ContainerEnv = { client, image, networkName, dir, ctx };
      const scheme = spec.tls ? 'https' : 'http';
      const members = names.map((n, i) => {
        const urls: MemberUrls = {
          listenClient: `${scheme}://0.0.0.0:2379`,
          advertiseClient: `${scheme}://${n}:2379`,
          listenPeer: `${scheme}://0.0.0.0:2380`,
          advertisePeer: `${scheme}://${n}:2380`,
        };
        return new ContainerMember(
          n,
          urls,
          `${scheme}://127.0.0.1:${ports[i]}`,
          ports[i] ?? 0,
          env,
          spec,
          pki,
        );
      });
      const cluster = new ContainerCluster(
        spec,
        dist,
        ctx,
        members,
        join(dir, 'backup'),
        pki,
        env,
        async () => {
          await client.network.remove(network).catch(() => {});
        },
      );
      for (const m of members) m.initialCluster = () => cluster.initialCluster();
      return cluster;
    },
  };
}

interface ContainerEnv {
  readonly client: ContainerRuntimeClient;
  readonly image: string;
  readonly networkName: string;
  readonly dir: string;
  readonly ctx: RunContext;
}

class ContainerMember extends BaseMember {
  #c: StartedTestContainer | undefined;
  #paused = false;

  constructor(
    name: string,
    urls: MemberUrls,
    clientUrl: string,
    readonly hostPort: number,
    readonly env: ContainerEnv,
    spec: ClusterSpec,
    pki: ClusterPki | undefined,
  ) {
    super(name, urls, clientUrl, env.dir, env.ctx, spec, pki);
  }

  /** The container's output ended: etcd exited by itself (running must say so without an inspect). */
  #ended = false;
  /** Which launch a log stream belongs to: a late end of the previous container's must not count. */
  #launches = 0;

  get running(): boolean {
    return this.#c !== undefined && !this.#paused && !this.#ended;
  }

  get container(): StartedTestContainer | undefined {
    return this.#c;
  }

  // A member slot is re-created on each start: a container's command cannot change, a restore's flags do.
  protected async launch(args: string[], env: Record<string, string>): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const launch = ++this.#launches;
    this.#ended = false;
    this.#c = await new EtcdContainer(this.env.image)
      // The cluster's folder name too: parallel drills (--parallel) each have an etcd1 of their own.
      .withName(
        `etcd-drill-${this.ctx.runId}-${basename(this.env.dir)}-${this.name}-${Date.now().toString(36)}`,
      )
      .withLabels(runLabels(this.ctx.runId))
      .withNetworkMode(this.env.networkName)
      .withNetworkAliases(this.name)
      .withHostname(this.name)
      .withBindMounts([{ source: this.env.dir, target: this.env.dir }])
      // A unit's env file is the container's environment (etcd reads it natively); else none.
      .withEnvironment(env)
      .withCommand(['etcd', ...args])
      .withLoopbackPort(2379, this.hostPort)
      // Any first log line: the port check in start() decides, as for processes.
      .withWaitStrategy(Wait.forLogMessage(/./))
      .withStartupTimeout(START_TIMEOUT_MS)
      .withLogConsumer((stream) => {
        stream.pipe(log);
        stream.on('end', () => {
          if (launch === this.#launches) this.#ended = true;
        });
      })
      .start()
      .catch((err: unknown) => {
        throw new HarnessError(
          'PROVIDER_START',
          `${this.name}: container did not start: ${firstLines(String(err), 2)}`,
          {
            cause: err,
          },
        );
      });
    this.#paused = false;
  }

  #running(): StartedTestContainer {
    if (!this.#c)
      throw new HarnessError('STRATEGY', `${this.name} is not running: cannot copy files in or out`);
    return this.#c;
  }

  async copyIn(hostPath: string, memberPath: string): Promise<void> {
    await this.#running().copyFilesToContainer([{ source: hostPath, target: memberPath }]);
  }

  async copyOut(memberPath: string, hostPath: string): Promise<void> {
    // Docker hands out a tar of the path; unpack its single file under the wanted name.
    const archive = await this.#running().copyArchiveFromContainer(memberPath);
    const tmp = await mkdtemp(join(tmpdir(), 'etcd-drill-copy-'));
    try {
      const tar = execa('tar', ['-x', '-C', tmp]);
      (archive as NodeJS.ReadableStream).pipe(tar.stdin as NodeJS.WritableStream);
      await tar;
      await mkdir(dirname(hostPath), { recursive: true });
      await copyFile(join(tmp, basename(memberPath)), hostPath);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  protected async exited(): Promise<string | undefined> {
    const c = this.#c;
    if (!c) return 'not started';
    const state = (await this.env.client.container.dockerode.getContainer(c.getId()).inspect()).State;
    if (state.Running) return undefined;
    this.#c = undefined;
    await c.stop({ remove: true, timeout: 0 }).catch(() => {});
    return `code ${state.ExitCode}`;
  }

  async #remove(timeoutS: number): Promise<void> {
    const c = this.#c;
    if (!c) return;
    this.#c = undefined;
    this.#paused = false;
    await c.stop({ timeout: timeoutS * 1000, remove: true });
  }

  stop(): Promise<void> {
    return this.#remove(STOP_GRACE_S);
  }

  kill(): Promise<void> {
    return this.#remove(0);
  }

  get paused(): boolean {
    return this.#paused;
  }

  async pause(): Promise<void> {
    if (!this.#c || this.#paused) return;
    await this.env.client.container.dockerode.getContainer(this.#c.getId()).pause();
    this.#paused = true;
  }

  async resume(): Promise<void> {
    if (!this.#c || !this.#paused) return;
    await this.env.client.container.dockerode.getContainer(this.#c.getId()).unpause();
    this.#paused = false;
  }
}

class ContainerCluster extends BaseCluster<ContainerMember> {
  readonly provider = 'container';

  constructor(
    spec: ClusterSpec,
    dist: EtcdDist,
    ctx: RunContext,
    members: readonly ContainerMember[],
    backupDir: string,
    pki: ClusterPki | undefined,
    readonly env: ContainerEnv,
    readonly removeNetwork: () => Promise<void>,
  ) {
    super(spec, dist, ctx, members, backupDir, pki);
  }

  /** iptables in the container's own namespace from the host: a network disconnect would cut the client port too. */
  readonly peerNetwork: PeerNetwork = {
    ...netnsPeerNetwork(this.ctx, this.members, {
      exec: async (m) => ['nsenter', '-t', String((await this.#inspect(m)).State.Pid), '-n'],
      address: async (m) => (m.running ? this.#network(await this.#inspect(m)).IPAddress : undefined),
      hostAddress: async () => {
        const first = this.members.find((m) => m.container);
        if (!first) throw new HarnessError('FAULT_INJECT', 'no member runs: no network to reach');
        return this.#network(await this.#inspect(first)).Gateway;
      },
      peerPort: 2380,
    }),
    needsRunning: true,
  };

  async #inspect(m: Member) {
    const c = this.members.find((x) => x === m)?.container;
    if (!c) throw new HarnessError('FAULT_INJECT', `${m.name} is not running: its network cannot be changed`);
    return this.env.client.container.dockerode.getContainer(c.getId()).inspect();
  }

  #network(info: { NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> } }) {
    const n = info.NetworkSettings.Networks[this.env.networkName];
    if (!n) throw new HarnessError('FAULT_INJECT', `container is not on ${this.env.networkName}`);
    return n;
  }

  /** Inside a running member, as the write-up ran etcdctl; in a one-off container when none runs. */
  protected async runTool(
    tool: 'etcdctl' | 'etcdutl',
    args: readonly string[],
    opts: CtlOptions,
  ): Promise<CtlResult> {
    const command = [tool, ...args];
    const env = { ETCDCTL_API: String(opts.api ?? 3) };
    const host = this.members.find((m) => m.running)?.container;
    let stdout: string;
    let stderr: string;
    let exitCode: number;
    if (host) {
      const r = await host.exec(command, { env });
      ({ stdout, stderr, exitCode } = r);
    } else {
      ({ stdout, stderr, exitCode } = await this.#oneOff(command, env));
    }
    const name = describeCommand(tool, args);
    if (this.ctx.signal.aborted) throw new HarnessError('ABORTED', `${name} was interrupted`);
    if (exitCode !== 0) throw toolFailure(name, firstLines(stderr || stdout), command, exitCode, stderr);
    return { stdout, stderr };
  }

  /** A throwaway container for offline tools (restore into a stopped member's data dir). */
  async #oneOff(
    command: string[],
    env: Record<string, string>,
  ): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const docker = this.env.client.container.dockerode;
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    err.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    // dockerode's run: create, attach, start, wait; testcontainers' one-shot wait hung here under TLS runs.
    const [result, container] = (await docker.run(this.env.image, command, [out, err], {
      Tty: false,
      Labels: runLabels(this.ctx.runId),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      HostConfig: { Binds: [`${this.env.dir}:${this.env.dir}:rw`], NetworkMode: this.env.networkName },
      // etcd 3.3's restore resolves the peer URLs it is given; with every member down their names
      // resolve nowhere, so the tool container answers to them (as the write-up ran it on the node).
      NetworkingConfig: {
        EndpointsConfig: { [this.env.networkName]: { Aliases: this.members.map((m) => m.name) } },
      },
    })) as [{ StatusCode: number }, { remove(o: { force: boolean }): Promise<unknown> }];
    await container.remove({ force: true }).catch(() => {});
    return { stdout, stderr, exitCode: result.StatusCode };
  }

  protected async teardown(): Promise<void> {
    if (this.ctx.signal.aborted) await Promise.all(this.members.map((m) => m.kill()));
    else await this.stopAll();
    await this.removeNetwork();
  }
}
