/**
 * A kind cluster of three stacked control-plane nodes (and optional workers) from the images
 * built here: created on a Docker network we label (kind labels its containers, not its network),
 * given a pod network (no kindnetd: it cannot be built here) and deleted with everything it made.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_OWNER, LABEL_RUN, runLabels } from '../cluster/docker.ts';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { execa } from '../util/exec.ts';
import { isAbandoned } from '../workdir.ts';
import { watchStaticPodAdmission } from './admission.ts';
import { cachedKindBinary } from './dist.ts';
import type { KindPrepared } from './prepare.ts';

/** Names every kind cluster we create starts with; the sweep only touches these. */
export const KIND_CLUSTER_PREFIX = 'etcd-drill-';
const LABEL_KIND_CLUSTER = 'etcd-drill.kind-cluster';
const KIND_LABEL = 'io.x-k8s.kind.cluster';
/** A command in a node (etcdctl, a manifest move) that has not ended by then is hung. */
const EXEC_TIMEOUT_MS = 120_000;

export interface KindCluster {
  readonly name: string;
  readonly network: string;
  /** Node container names, control planes first (kind's names: <name>-control-plane, -control-plane2, …). */
  readonly controlPlanes: readonly string[];
  readonly workers: readonly string[];
  /** kind's admin kubeconfig: the load balancer's port on 127.0.0.1, a client certificate. */
  readonly kubeconfig: string;
  /** Milliseconds `kind create cluster` and the pod network took. */
  readonly createMs: number;
  /** Each node's address on the cluster's network (where its etcd and apiserver listen). */
  readonly ips: Readonly<Record<string, string>>;
  /** A command inside a node; throws with its stderr when it fails. */
  exec(
    node: string,
    args: readonly string[],
    opts?: { input?: string | Buffer; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<string>;
  /** kubectl in the first control-plane node, with its admin.conf. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  delete(): Promise<void>;
}

/** A host folder seen inside a node at `containerPath`. */
export interface KindMount {
  readonly hostPath: string;
  readonly containerPath: string;
}

export interface KindConfigOptions {
  readonly controlPlanes: number;
  readonly workers: number;
  readonly etcdVersion: string;
  /** Mounts per node, by kind's node name (<name>-control-plane, -control-plane2, …, -worker, …). */
  readonly mounts?: (node: string) => readonly KindMount[];
  /** etcd flags kubeadm writes into every member's static pod manifest (without the leading --). */
  readonly etcdExtraArgs?: Readonly<Record<string, string>>;
}

/** kind's node names, in the config's order: its namer counts each role from 1, the first without a number. */
export function kindNodeNames(cluster: string, controlPlanes: number, workers: number): string[] {
  const named = (role: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${cluster}-${role}${i === 0 ? '' : i + 1}`);
  return [...named('control-plane', controlPlanes), ...named('worker', workers)];
}

/** kind's cluster config: stacked etcd of the drilled version, no default CNI (ENVIRONMENT.md, kind). */
export function kindConfig(cluster: string, o: KindConfigOptions): string {
  const nodes = kindNodeNames(cluster, o.controlPlanes, o.workers).flatMap((node, i) => {
    const mounts = o.mounts?.(node) ?? [];
    return [
      `- role: ${i < o.controlPlanes ? 'control-plane' : 'worker'}`,
      ...(mounts.length ? ['  extraMounts:'] : []),
      ...mounts.flatMap((m) => [
        `  - hostPath: ${JSON.stringify(m.hostPath)}`,
        `    containerPath: ${JSON.stringify(m.containerPath)}`,
      ]),
    ];
  });
  const extra = Object.entries(o.etcdExtraArgs ?? {});
  return [
    'kind: Cluster',
    'apiVersion: kind.x-k8s.io/v1alpha4',
    'networking:',
    '  disableDefaultCNI: true',
    'nodes:',
    ...nodes,
    'kubeadmConfigPatches:',
    '- |',
    '  kind: ClusterConfiguration',
    '  etcd:',
    '    local:',
    '      imageRepository: "k8s.gcr.io"',
    `      imageTag: "${o.etcdVersion}-0"`,
    ...(extra.length
      ? ['      extraArgs:', ...extra.map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`)]
      : []),
    '',
  ].join('\n');
}

async function docker(args: readonly string[], signal?: AbortSignal): Promise<string> {
  const r = await execa('docker', [...args], { reject: false, cancelSignal: signal });
  if (r.failed)
    throw new HarnessError(
      'PROVIDER_START',
      `docker ${args.slice(0, 3).join(' ')} failed: ${String(r.stderr).trim().slice(0, 300)}`,
    );
  return r.stdout;
}

/** kind create of 3 nodes takes 2–3 min on 2 cores; at 5 times that it is not coming. */
const CREATE_TIMEOUT_MS = 15 * 60_000;

export async function createKindCluster(opts: {
  readonly runId: string;
  /** Tells clusters of one run apart (a drill per scenario); part of the cluster's name. */
  readonly suffix?: string;
  readonly mounts?: KindConfigOptions['mounts'];
  readonly etcdExtraArgs?: KindConfigOptions['etcdExtraArgs'];
  readonly prepared: KindPrepared;
  readonly workers?: number;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}): Promise<KindCluster> {
  const { prepared: p, log, signal } = opts;
  const name = `${KIND_CLUSTER_PREFIX}${opts.runId}${opts.suffix ? `-${opts.suffix}` : ''}`
    .toLowerCase()
    .slice(0, 45);
  const network = `${name}-net`;
  const labels = { ...runLabels(opts.runId), [LABEL_KIND_CLUSTER]: name };
  const dir = await mkdtemp(join(tmpdir(), 'etcd-drill-kind-'));
  const cluster = handle(name, network, p.kind.kind);
  const t0 = Date.now();
  try {
    await docker(
      ['network', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), network],
      signal,
    );
    await writeFile(
      join(dir, 'kind.yaml'),
      kindConfig(name, {
        controlPlanes: 3,
        workers: opts.workers ?? 0,
        etcdVersion: p.etcdVersion,
        ...(opts.mounts ? { mounts: opts.mounts } : {}),
        ...(opts.etcdExtraArgs ? { etcdExtraArgs: opts.etcdExtraArgs } : {}),
      }),
    );
    log.progress(
      `kind create cluster ${name}: 3 control-plane nodes${opts.workers ? ` and ${opts.workers} workers` : ''} (about 2 min on 2 cores)`,
    );
    const admission = watchStaticPodAdmission(name, log);
    const r = await execa(
      p.kind.kind,
      [
        'create',
        'cluster',
        '--name',
        name,
        '--image',
        p.node,
        '--config',
        join(dir, 'kind.yaml'),
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        // On failure the nodes stay until our delete, so their kubelet's errors can be read.
        '--retain',
      ],
      {
        reject: false,
        cancelSignal: signal,
        all: true,
        env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: network },
        // Ours, not kind's answer: a join that waits for ever (seen: 15 min) ends here.
        timeout: CREATE_TIMEOUT_MS,
      },
    ).finally(() => admission.stop());
    if (r.timedOut)
      throw new HarnessError(
        'TIMEOUT',
        `kind create cluster ${name} did not end within ${CREATE_TIMEOUT_MS / 60_000} min: ${tailOf(String(r.all))}${await nodeStates(name)}`,
      );
    if (r.failed) {
      signal?.throwIfAborted();
      const why = `${tailOf(String(r.all))}${await nodeStates(name)}${await kubeletErrors(`${name}-control-plane`)}`;
      throw new HarnessError('PROVIDER_START', `kind create cluster ${name} failed: ${why}`);
    }
    const nodes = await nodeNames(name);
    const ips: Record<string, string> = {};
    for (const n of nodes)
      ips[n] = (
        await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', n], signal)
      ).trim();
    const c = {
      ...cluster,
      kubeconfig: await readFile(join(dir, 'kubeconfig'), 'utf8'),
      createMs: Date.now() - t0,
      controlPlanes: nodes.filter((n) => n.includes('-control-plane')),
      workers: nodes.filter((n) => n.includes('-worker')),
      ips,
    };
    await c.kubectl(['-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=0']);
    // kind means a cluster without workers to run pods on its control planes; it lifts 1.24's
    // control-plane taint, not 1.20's master one.
    if (c.workers.length === 0)
      await c
        .kubectl(['taint', 'nodes', '--all', 'node-role.kubernetes.io/master-'])
        .catch((err: unknown) => {
          if (!/not found/.test(String(err))) throw err;
        });
    await installPodNetwork(c, signal);
    return { ...c, createMs: Date.now() - t0 };
  } catch (err) {
    await cluster.delete();
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether a node container restarted or was OOM-killed (a join killed with 137 says neither by itself). */
async function nodeStates(name: string): Promise<string> {
  const ids = (
    await execa('docker', ['ps', '-aq', '--filter', `label=${KIND_LABEL}=${name}`], { reject: false })
  ).stdout;
  if (!ids.trim()) return '';
  const f =
    '{{.Name}} {{.State.Status}} restarts={{.RestartCount}} oom={{.State.OOMKilled}} exit={{.State.ExitCode}}';
  const r = await execa('docker', ['inspect', '-f', f, ...ids.split('\n').filter(Boolean)], {
    reject: false,
  });
  return ` | nodes: ${r.stdout.split('\n').join(', ')}`;
}

/** The first node's last kubelet errors, when a create failed (kubeadm only says it timed out). */
async function kubeletErrors(node: string): Promise<string> {
  const r = await execa('docker', ['exec', node, 'journalctl', '-u', 'kubelet', '--no-pager', '-o', 'cat'], {
    reject: false,
  });
  const errs = r.stdout.split('\n').filter((l) => /^[EF]\d{4} /.test(l));
  return errs.length > 0 ? ` | kubelet on ${node}: ${errs.slice(-3).join(' | ').slice(0, 600)}` : '';
}

/** What went wrong in kind's (verbose, kubeadm --v=6) output: its error lines, not the polling before them. */
export function tailOf(out: string): string {
  const lines = out
    .split('\n')
    .filter((l) => l.trim() && !/^\s+\/|^(k8s\.io|main\.|runtime\.)|round_trippers|request\.go/.test(l));
  const errors = lines.filter((l) => /error|fail|timed out|refused/i.test(l));
  return (errors.length > 0 ? errors : lines).slice(-6).join(' | ').slice(0, 800);
}

async function nodeNames(name: string): Promise<string[]> {
  const out = await docker(['ps', '--filter', `label=${KIND_LABEL}=${name}`, '--format', '{{.Names}}']);
  return out
    .split('\n')
    .filter((n) => n && !n.endsWith('-external-load-balancer'))
    .sort();
}

function handle(name: string, network: string, kind: string): KindCluster {
  const first = `${name}-control-plane`;
  return {
    name,
    network,
    controlPlanes: [],
    workers: [],
    ips: {},
    kubeconfig: '',
    createMs: 0,
    async exec(node, args, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? EXEC_TIMEOUT_MS;
      const r = await execa('docker', ['exec', '-i', node, ...args], {
        reject: false,
        timeout: timeoutMs,
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      opts.signal?.throwIfAborted();
      // Ours, never the tool's answer: a hung docker exec (runc's setns failures were seen here).
      if (r.timedOut)
        throw new HarnessError(
          'TIMEOUT',
          `${args.slice(0, 3).join(' ')} in ${node} did not end within ${timeoutMs} ms`,
        );
      if (r.failed)
        throw new HarnessError(
          'PROVIDER_START',
          `${args.slice(0, 3).join(' ')} in ${node} failed: ${String(r.stderr || r.stdout)
            .trim()
            .slice(0, 300)}`,
          { details: { stderr: String(r.stderr), exitCode: r.exitCode } },
        );
      return String(r.stdout);
    },
    async kubectl(args, input) {
      const r = await execa(
        'docker',
        ['exec', '-i', first, 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', ...args],
        {
          reject: false,
          ...(input !== undefined ? { input } : {}),
        },
      );
      if (r.failed)
        throw new HarnessError(
          'PROVIDER_START',
          `kubectl ${args.join(' ')} in ${first} failed: ${String(r.stderr).trim().slice(0, 300)}`,
        );
      return r.stdout;
    },
    async delete() {
      await execa(kind, ['delete', 'cluster', '--name', name], { reject: false });
      // kind deletes its containers; the network is ours.
      await execa('docker', ['network', 'rm', network], { reject: false });
    },
  };
}

/**
 * kindnetd's job, by hand: on each node a ptp + host-local CNI config for its podCIDR, and a route
 * to every other node's podCIDR through that node.
 */
async function installPodNetwork(c: KindCluster, signal?: AbortSignal): Promise<void> {
  const nodes = [...c.controlPlanes, ...c.workers];
  const cidr = new Map<string, string>();
  for (const n of nodes)
    cidr.set(n, (await c.kubectl(['get', 'node', n, '-o', 'jsonpath={.spec.podCIDR}'])).trim());
  for (const n of nodes) {
    await execa(
      'docker',
      ['exec', '-i', n, 'sh', '-c', 'mkdir -p /etc/cni/net.d && cat > /etc/cni/net.d/10-etcd-drill.conflist'],
      {
        input: cniConfig(cidr.get(n) as string),
        cancelSignal: signal,
      },
    );
    for (const m of nodes.filter((m) => m !== n)) {
      await docker(
        ['exec', n, 'ip', 'route', 'replace', cidr.get(m) as string, 'via', c.ips[m] as string],
        signal,
      );
    }
  }
}

export function cniConfig(podCidr: string): string {
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(podCidr)) {
    throw new HarnessError(
      'PROVIDER_START',
      `a kind node has no IPv4 podCIDR (got "${podCidr}"): is the controller-manager allocating node CIDRs?`,
    );
  }
  return `${JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'etcd-drill',
      plugins: [
        {
          type: 'ptp',
          ipMasq: true,
          mtu: 1500,
          ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * kind clusters (and their networks) of runs that are gone, found by our network's labels; kept
 * ones (--keep) only when asked. The cluster's folder is the run's: sweep before the run folders.
 */
export async function sweepKindClusters(
  kind: string,
  log: Logger,
  opts: { includeKept?: boolean; only?: string } = {},
): Promise<number> {
  const out = await execa(
    'docker',
    [
      'network',
      'ls',
      '--filter',
      `label=${LABEL_KIND_CLUSTER}`,
      '--format',
      `{{.Name}} {{.Label "${LABEL_KIND_CLUSTER}"}} {{.Label "${LABEL_OWNER}"}} {{.Label "${LABEL_RUN}"}}`,
    ],
    { reject: false },
  );
  let swept = 0;
  for (const line of out.stdout.split('\n').filter(Boolean)) {
    const [network, name, owner, run] = line.split(' ');
    if (!network || !run || !name?.startsWith(KIND_CLUSTER_PREFIX)) continue;
    if (opts.only && run !== opts.only) continue;
    if (!isAbandoned(run, Number(owner), opts.includeKept ?? false)) continue;
    log.progress(`removing kind cluster ${name} left by run ${run}`);
    await handle(name, network, kind).delete();
    swept++;
  }
  return swept;
}

/** The sweep with the cached kind binary; none cached means kind never ran here, so nothing to sweep. */
export async function sweepKindLeftovers(
  log: Logger,
  opts: { includeKept?: boolean; only?: string } = {},
): Promise<number> {
  const kind = cachedKindBinary();
  return kind ? sweepKindClusters(kind, log, opts) : 0;
}
