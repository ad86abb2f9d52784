/**
 * Everything a kind cluster needs on this machine, built or found: Kubernetes 1.20 with its node
 * binaries, kind 0.27, the drilled etcd, the node and load balancer images, and a Docker engine
 * that can start kind's privileged nodes.
 */
import { readFile } from 'node:fs/promises';
import { HarnessError } from '../errors.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { type K8sDist, resolveK8s } from '../k8s/dist.ts';
import type { Logger } from '../log.ts';
import { execa } from '../util/exec.ts';
import { type KindDist, resolveKind } from './dist.ts';
import { ensureKindImages, type KindImages } from './images.ts';

export interface KindPrepared extends KindImages {
  readonly kind: KindDist;
  /** The Kubernetes build the nodes run (the drill's Kubernetes checks report it). */
  readonly k8s: K8sDist;
  readonly k8sVersion: string;
  readonly etcdVersion: string;
}

const CAP_SYS_RESOURCE = 24;
/** ci/docker.sh registers it (as the default runtime) where the machine lacks CAP_SYS_RESOURCE. */
export const NOSYSRES_RUNTIME = 'runc-nosysres';

/** Whether this process's capability bounding set holds `cap` (from /proc/self/status CapBnd). */
export function boundingSetHas(status: string, cap: number): boolean {
  const hex = /^CapBnd:\s*([0-9a-f]+)\s*$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> BigInt(cap)) & 1n) === 1n;
}

/**
 * kind always starts its nodes `--privileged`, which asks runc for every capability; without
 * CAP_SYS_RESOURCE in the machine's bounding set that fails ("unable to apply caps"), unless
 * Docker's default runtime drops it (ENVIRONMENT.md, kind).
 */
export async function checkPrivilegedRuntime(): Promise<void> {
  const status = await readFile('/proc/self/status', 'utf8');
  if (boundingSetHas(status, CAP_SYS_RESOURCE)) return;
  const res = await execa('docker', ['info', '--format', '{{.DefaultRuntime}}'], { reject: false });
  if (res.stdout.trim() === NOSYSRES_RUNTIME) return;
  throw new HarnessError(
    'PROVIDER_START',
    `kind's privileged nodes cannot start here: this machine lacks CAP_SYS_RESOURCE and Docker's default runtime is ${res.stdout.trim() || 'unknown'}; as root, run bash ci/docker.sh, which registers the ${NOSYSRES_RUNTIME} runtime that drops it`,
  );
}

export async function prepareKind(opts: {
  readonly etcdVersion: string;
  readonly k8sBinDir?: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}): Promise<KindPrepared> {
  const { log, signal } = opts;
  await checkPrivilegedRuntime();
  const k8s = await resolveK8s({
    node: true,
    log,
    ...(opts.k8sBinDir ? { binDir: opts.k8sBinDir } : {}),
    ...(signal ? { signal } : {}),
  });
  const node = k8s.node;
  if (!node) {
    throw new HarnessError(
      'BAD_INPUT',
      `--k8s-bin-dir ${k8s.binDir} has no kubelet, kubeadm, kubectl, kube-proxy and pause of ${k8s.version}, which a kind node needs: add them, or drop --k8s-bin-dir`,
    );
  }
  const kind = await resolveKind({ log, ...(signal ? { signal } : {}) });
  const etcd = await resolveEtcd({ version: opts.etcdVersion, log, ...(signal ? { signal } : {}) });
  const images = await ensureKindImages({
    k8s: { ...k8s, node },
    kind,
    etcd,
    log,
    ...(signal ? { signal } : {}),
  });
  return { ...images, kind, k8s, k8sVersion: k8s.version, etcdVersion: etcd.version };
}
