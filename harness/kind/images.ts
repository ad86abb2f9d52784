/**
 * The images a kind cluster runs, built on this machine because no registry is reachable
 * (ENVIRONMENT.md, kind; issue 14): kind's haproxy load balancer from Debian's haproxy, and a node
 * image of Debian bookworm + systemd + containerd 1.6 (the last that serves kubelet 1.20's CRI
 * v1alpha2; 2.x dropped it) with kind's base files, our 1.20 build, and every image kubeadm starts preloaded.
 * Each image is labelled with a hash of its inputs and rebuilt only when they change.
 */
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runLabels } from '../cluster/docker.ts';
import { linkedLibs } from '../cluster/image.ts';
import { HarnessError } from '../errors.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { defaultCacheDir } from '../etcd/dist.ts';
import type { K8sDist, K8sNodeBinaries } from '../k8s/dist.ts';
import type { Logger } from '../log.ts';
import { machineMirror } from '../util/apt.ts';
import { execa } from '../util/exec.ts';
import { withFileLock } from '../util/lock.ts';
import { poll } from '../util/poll.ts';
import type { KindDist } from './dist.ts';

/** The tag kind 0.27 runs its load balancer from (pkg/cluster/internal/loadbalancer/const.go). */
export const LB_IMAGE = 'kindest/haproxy:v20230606-42a2262b';
const LABEL_ROLE = 'io.etcd-drill.kind-image';
const LABEL_INPUTS = 'io.etcd-drill.kind-inputs';
/** Bumped when the recipe below changes, so cached images are rebuilt. */
const RECIPE = 2;

/** kind's base image package list (images/base/Dockerfile), with Debian's containerd, runc and CNI plugins. */
const NODE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'conntrack',
  'iptables',
  'nftables',
  'iproute2',
  'ethtool',
  'util-linux',
  'mount',
  'kmod',
  'libseccomp2',
  'pigz',
  'bash',
  'ca-certificates',
  'jq',
  'procps',
  'containerd',
  'runc',
  'containernetworking-plugins',
  'socat',
  'ebtables',
  'ipset',
  'udev',
];
const KUBE_PROXY_PACKAGES = ['iptables', 'conntrack', 'ipset', 'kmod', 'ebtables'];

export interface KindImages {
  readonly node: string;
  readonly loadBalancer: string;
}

interface Inputs {
  readonly k8s: K8sDist & { readonly node: K8sNodeBinaries };
  readonly kind: KindDist;
  readonly etcd: EtcdDist;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

function inputsHash(...parts: unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify([RECIPE, ...parts]))
    .digest('hex')
    .slice(0, 12);
}

async function imageInputs(tag: string): Promise<string | undefined> {
  const res = await execa(
    'docker',
    ['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL_INPUTS}"}}`, tag],
    {
      reject: false,
    },
  );
  return res.exitCode === 0 ? res.stdout.trim() : undefined;
}

/** Builds (or finds) the load balancer and the node image for this etcd version. */
export async function ensureKindImages(i: Inputs): Promise<KindImages> {
  await requireTool('mmdebstrap', i.log, i.signal);
  // One build per machine at a time: the kube images pass through fixed Docker tags.
  await mkdir(join(defaultCacheDir(), 'kind'), { recursive: true });
  return withFileLock(join(defaultCacheDir(), 'kind', 'images.lock'), () => buildMissing(i), 3_600_000);
}

async function buildMissing(i: Inputs): Promise<KindImages> {
  const loadBalancer = await ensureLoadBalancer(i);
  const baseHash = inputsHash(
    i.k8s.origin,
    i.k8s.version,
    i.kind.origin,
    NODE_PACKAGES,
    KUBE_PROXY_PACKAGES,
    WORKLOAD_IMAGE,
  );
  const base = `etcd-drill/kind-node-base:v${i.k8s.version}-${baseHash}`;
  if ((await imageInputs(base)) !== baseHash) {
    await buildNodeBase(i, base, baseHash);
    await pruneOlder('etcd-drill/kind-node-base', `v${i.k8s.version}-`, base);
  }
  const nodeHash = inputsHash(baseHash, i.etcd.version, i.etcd.origin);
  const node = `etcd-drill/kind-node:v${i.k8s.version}-etcd${i.etcd.version}-${nodeHash}`;
  if ((await imageInputs(node)) !== nodeHash) {
    i.log.progress(`building ${node}: etcd ${i.etcd.version} preloaded as kubeadm's etcd image (once)`);
    await inWorkDir(async (dir) => {
      const etcdBins = [i.etcd.etcd, i.etcd.etcdctl, ...(i.etcd.etcdutl ? [i.etcd.etcdutl] : [])];
      const tar = await binaryImage(dir, kubeadmEtcdImage(i.etcd.version), etcdBins, i);
      await preload(base, node, nodeHash, [tar], i, etcdBins.slice(1));
    });
    await pruneOlder('etcd-drill/kind-node', `v${i.k8s.version}-etcd${i.etcd.version}-`, node);
  }
  return { node, loadBalancer };
}

/** The drills' workload: Debian's static busybox (httpd, sh), preloaded in every node; never pulled. */
export const WORKLOAD_IMAGE = 'etcd-drill/busybox:1';

/** The etcd image kubeadm runs once the cluster config sets etcd.local.imageTag to `<version>-0`. */
export function kubeadmEtcdImage(etcdVersion: string): string {
  return `k8s.gcr.io/etcd:${etcdVersion}-0`;
}

/** mmdebstrap is Debian's; as root it is installed from the machine's apt, like the build tools. */
async function requireTool(tool: string, log: Logger, signal?: AbortSignal): Promise<void> {
  if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode === 0) return;
  if (process.getuid?.() !== 0) {
    throw new HarnessError('ETCD_DIST', `building kind's images needs ${tool}: apt-get install ${tool}`);
  }
  log.progress(`installing ${tool} (apt-get install -y)`);
  const res = await execa('apt-get', ['install', '-y', '-q', tool], {
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    reject: false,
    cancelSignal: signal,
  });
  if (res.failed)
    throw new HarnessError('ETCD_DIST', `apt-get install ${tool} failed: ${String(res.stderr).slice(-300)}`);
}

/** A Debian bookworm root file system with `packages`, as a tar file. */
async function debootstrap(dest: string, packages: readonly string[], i: Inputs): Promise<void> {
  const mirror = await machineMirror("kind's images cannot be built");
  const res = await execa(
    'mmdebstrap',
    ['--variant=minbase', '--mode=root', `--include=${packages.join(',')}`, 'bookworm', dest, mirror],
    { reject: false, cancelSignal: i.signal, all: true },
  );
  if (res.failed) {
    throw new HarnessError(
      'ETCD_DIST',
      `mmdebstrap (Debian bookworm: ${packages.join(' ')}) failed: ${String(res.all).slice(-400)}`,
    );
  }
}

/** docker import of a folder, then a Dockerfile FROM it for what import cannot set (STOPSIGNAL). */
async function importImage(
  rootfs: string,
  tag: string,
  role: string,
  hash: string,
  dockerfileTail: string,
  i: Inputs,
): Promise<void> {
  const raw = `etcd-drill/kind-rootfs-${role}:${hash}`;
  await dockerImport(rootfs, raw, [], i);
  const ctx = await mkdtemp(join(tmpdir(), 'etcd-drill-kind-build-'));
  try {
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM ${raw}\nLABEL ${LABEL_ROLE}=${role} ${LABEL_INPUTS}=${hash}\n${dockerfileTail}\n`,
    );
    // The classic builder: FROM a local image, nothing resolved against a registry.
    const b = await execa('docker', ['build', '-q', '-t', tag, ctx], {
      env: { DOCKER_BUILDKIT: '0' },
      reject: false,
      cancelSignal: i.signal,
    });
    if (b.failed)
      throw new HarnessError('ETCD_DIST', `docker build of ${tag} failed: ${String(b.stderr).slice(-300)}`);
  } finally {
    await rm(ctx, { recursive: true, force: true });
    await execa('docker', ['rmi', raw], { reject: false });
  }
}

async function inWorkDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-drill-kind-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * kind's load balancer from Debian's haproxy. `-n 8000`: this machine's hard open-files limit is
 * 20000 and cannot be raised (no CAP_SYS_RESOURCE), below the 200028 that kind's `maxconn 100000`
 * asks for; -n takes precedence over the config kind writes.
 */
async function ensureLoadBalancer(i: Inputs): Promise<string> {
  const hash = inputsHash(i.kind.origin, 'haproxy');
  const seen = await imageInputs(LB_IMAGE);
  if (seen === hash) return LB_IMAGE;
  if (seen === '') {
    i.log.progress(`using ${LB_IMAGE} as found (not built by etcd-drill)`);
    return LB_IMAGE;
  }
  i.log.progress(`building ${LB_IMAGE} from Debian bookworm's haproxy (once)`);
  await inWorkDir(async (dir) => {
    const root = join(dir, 'root');
    await debootstrap(root, ['haproxy', 'procps', 'bash'], i);
    await mkdir(join(root, 'usr/local/etc/haproxy'), { recursive: true });
    await cp(join(i.kind.haproxyDir, 'haproxy.cfg'), join(root, 'usr/local/etc/haproxy/haproxy.cfg'));
    await rm(join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    await importImage(
      root,
      LB_IMAGE,
      'haproxy',
      hash,
      'STOPSIGNAL SIGUSR1\nENTRYPOINT ["haproxy", "-W", "-db", "-n", "8000", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]',
      i,
    );
  });
  return LB_IMAGE;
}

/** kind's node image (images/base/Dockerfile), by hand, with our 1.20 binaries and kubeadm's images. */
async function buildNodeBase(i: Inputs, tag: string, hash: string): Promise<void> {
  i.log.progress(
    `building ${tag}: Debian bookworm, systemd, containerd 1.6, kind ${i.kind.version}'s base files, Kubernetes ${i.k8s.version} (once, ~3 min)`,
  );
  const systemd = `${tag}-systemd`;
  await inWorkDir(async (dir) => {
    const root = join(dir, 'root');
    await debootstrap(root, NODE_PACKAGES, i);
    await addKindBaseFiles(root, i.kind.baseFiles);
    for (const b of [i.k8s.node.kubelet, i.k8s.node.kubeadm, i.k8s.node.kubectl]) {
      await cp(b, join(root, 'usr/bin', basename(b)));
    }
    await writeFile(join(root, 'kind/version'), `v${i.k8s.version}\n`);
    await mkdir(join(root, 'kind/manifests'), { recursive: true });
    await writeFile(join(root, 'kind/manifests/default-storage.yaml'), DEFAULT_STORAGE);
    await rm(join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    await mkdir(join(root, 'var/lib/apt/lists'));
    await importImage(
      root,
      systemd,
      'node-base',
      hash,
      'ENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
      i,
    );
    await rm(root, { recursive: true, force: true });
    try {
      await preload(systemd, tag, hash, await kubeImages(dir, i), i);
    } finally {
      await execa('docker', ['rmi', systemd], { reject: false });
    }
  });
}

/** kubeadm 1.20's images (kubeadm config images list), each from our own build. */
async function kubeImages(dir: string, i: Inputs): Promise<string[]> {
  const v = `v${i.k8s.version}`;
  const tars = [
    await binaryImage(dir, `k8s.gcr.io/kube-apiserver:${v}`, [i.k8s.apiserver], i),
    await binaryImage(dir, `k8s.gcr.io/kube-controller-manager:${v}`, [i.k8s.controllerManager], i),
    await binaryImage(dir, `k8s.gcr.io/kube-scheduler:${v}`, [i.k8s.scheduler], i),
    await binaryImage(dir, 'k8s.gcr.io/pause:3.2', [i.k8s.node.pause], i, '/usr/local/bin/pause'),
    await binaryImage(dir, WORKLOAD_IMAGE, [i.kind.busybox], i),
  ];
  // kube-proxy runs iptables, conntrack and ipset: its image needs a Debian userland.
  const proxyRoot = join(dir, 'kube-proxy-root');
  await debootstrap(proxyRoot, KUBE_PROXY_PACKAGES, i);
  await rm(join(proxyRoot, 'var/lib/apt/lists'), { recursive: true, force: true });
  tars.push(
    await binaryImage(dir, `k8s.gcr.io/kube-proxy:${v}`, [i.k8s.node.kubeProxy], i, undefined, proxyRoot),
  );
  await rm(proxyRoot, { recursive: true, force: true });
  return tars;
}

/**
 * Imports image tars into an image's containerd and commits the result as `to`. containerd runs
 * alone (no systemd), so no boot state (machine id, addresses) is committed with them; images are
 * imported unpacked-on-demand and pinned, as `kind build node-image` does.
 */
async function preload(
  from: string,
  to: string,
  hash: string,
  tars: readonly string[],
  i: Inputs,
  binaries: readonly string[] = [],
): Promise<void> {
  const name = `etcd-drill-kind-preload-${process.pid}`;
  const labels = Object.entries(runLabels(name)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  await execa('docker', ['rm', '-f', name], { reject: false });
  try {
    await execa(
      'docker',
      [
        'run',
        '-d',
        '--name',
        name,
        ...labels,
        '--privileged',
        '--tmpfs',
        '/tmp',
        '--tmpfs',
        '/run',
        '--entrypoint',
        '/usr/bin/containerd',
        from,
      ],
      { cancelSignal: i.signal },
    );
    const up = await poll(
      () =>
        execa('docker', ['exec', name, 'ctr', 'version'], { reject: false }).then((r) => r.exitCode === 0),
      {
        boundMs: 20_000,
        done: (ok) => ok,
        ...(i.signal ? { signal: i.signal } : {}),
        what: 'preloading images',
      },
    );
    if (!up.done)
      throw new HarnessError('ETCD_DIST', 'containerd did not answer within 20 s while preloading images');
    // The drilled version's etcdctl and etcdutl on the node itself, for the drills' offline steps.
    for (const b of binaries) await execa('docker', ['cp', b, `${name}:/usr/local/bin/${basename(b)}`]);
    for (const tar of tars) {
      const r = await execa(
        'docker',
        [
          'exec',
          '-i',
          name,
          'ctr',
          '-n',
          'k8s.io',
          'images',
          'import',
          '--label=io.cri-containerd.pinned=pinned',
          '--all-platforms',
          '--no-unpack',
          '-',
        ],
        { inputFile: tar, reject: false, cancelSignal: i.signal },
      );
      if (r.failed)
        throw new HarnessError(
          'ETCD_DIST',
          `ctr images import of ${basename(tar)} into ${from} failed: ${String(r.stderr).slice(0, 300)}`,
        );
    }
    await execa('docker', ['stop', name], { cancelSignal: i.signal });
    await execa(
      'docker',
      [
        'commit',
        '-c',
        'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
        '-c',
        'CMD []',
        '-c',
        `LABEL ${LABEL_INPUTS}=${hash}`,
        name,
        to,
      ],
      { cancelSignal: i.signal },
    );
  } finally {
    await execa('docker', ['rm', '-f', name], { reject: false });
  }
}

/** Images of the same role and versions built from older inputs: a rebuild replaces them, never piles up. */
async function pruneOlder(repository: string, tagPrefix: string, keep: string): Promise<void> {
  const r = await execa('docker', ['images', repository, '--format', '{{.Repository}}:{{.Tag}}'], {
    reject: false,
  });
  const stale = r.stdout
    .split('\n')
    .filter((t) => t && t !== keep && t.startsWith(`${repository}:${tagPrefix}`));
  if (stale.length > 0) await execa('docker', ['rmi', ...stale], { reject: false });
}

async function addKindBaseFiles(root: string, files: string): Promise<void> {
  await cp(join(files, 'usr/local/bin'), join(root, 'usr/local/bin'), { recursive: true });
  await cp(join(files, 'kind'), join(root, 'kind'), { recursive: true });
  await cp(join(files, 'etc'), join(root, 'etc'), { recursive: true });
  await rm(join(root, 'etc/systemd/system/containerd-fuse-overlayfs.service'));
  await writeFile(join(root, 'etc/containerd/config.toml'), CONTAINERD_CONFIG);
  await writeFile(join(root, 'etc/systemd/system/kubelet.service.d/12-etcd-drill.conf'), KUBELET_DROP_IN);
  // Debian's containerd is /usr/bin/containerd and its CNI plugins /usr/lib/cni; kind's units and
  // containerd's defaults expect /usr/local/bin and /opt/cni/bin.
  await symlink('/usr/bin/containerd', join(root, 'usr/local/bin/containerd'));
  await mkdir(join(root, 'opt/cni'), { recursive: true });
  await symlink('/usr/lib/cni', join(root, 'opt/cni/bin'));
  await mkdir(join(root, 'etc/kubernetes/manifests'), { recursive: true });
  const spec = await execa('chroot', [root, 'ctr', 'oci', 'spec']);
  const base = JSON.parse(spec.stdout) as {
    hooks?: { createContainer?: { path: string }[] };
    process: { rlimits?: unknown };
  };
  base.hooks = {
    ...base.hooks,
    createContainer: [...(base.hooks?.createContainer ?? []), { path: '/kind/bin/mount-product-files.sh' }],
  };
  delete base.process.rlimits;
  await writeFile(join(root, 'etc/containerd/cri-base.json'), JSON.stringify(base, null, 2));
  await execa('chroot', [root, 'sh', '-c', SYSTEMD_SETUP]);
}

/** The base Dockerfile's RUN steps: no units but ours at boot, containerd and kubelet enabled. */
const SYSTEMD_SETUP = [
  'find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete',
  'rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*',
  'echo ReadKMsg=no >> /etc/systemd/journald.conf',
  'systemctl enable kubelet.service containerd.service undo-mount-hacks.service',
  'systemctl mask systemd-binfmt.service',
].join(' && ');

const CONTAINERD_CONFIG = `# kind 0.27's node config (images/base/files/etc/containerd/config.toml) for Debian's containerd 1.6
# and Kubernetes 1.20: cgroupfs, as kind sets for < 1.24; no fuse-overlayfs; kubeadm 1.20's pause.
version = 2

[plugins."io.containerd.grpc.v1.cri".containerd]
  discard_unpacked_layers = true
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  base_runtime_spec = "/etc/containerd/cri-base.json"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "k8s.gcr.io/pause:3.2"
  tolerate_missing_hugepages_controller = true
  # Without CAP_SYS_RESOURCE no container may lower its oom_score_adj below containerd's (runc fails
  # "can't get final child's PID from pipe" on pause's -998 otherwise).
  restrict_oom_score_adj = true
`;

const KUBELET_DROP_IN = `# etcd-drill: kind's entrypoint self-bind-mounts /kubelet in every cgroup v1 controller. Where a
# host's net_cls, perf_event and hugetlb are not v1-mounted, kubelet 1.20 (runc rc92's
# GetCgroupMounts) takes one of those bind mounts for a controller's mount point and stops with
# "cgroup-root [kubelet] doesn't exist". The cgroups stay; only the bind mounts go.
[Service]
ExecStartPre=/bin/sh -c 'for m in $(findmnt -ln -o TARGET -t cgroup | grep -E "/kubelet(\\\\.slice)?$" | sort -r); do umount "$m"; done'
`;

const DEFAULT_STORAGE = `# etcd-drill: a StorageClass only; the local-path provisioner's image cannot be built here.
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
`;

/**
 * An image of `bins` (and the libraries they link) in /usr/local/bin, over `base` (a root file
 * system folder) or nothing, saved as a tar for `ctr images import` and removed from Docker.
 */
async function binaryImage(
  dir: string,
  tag: string,
  bins: readonly string[],
  i: Inputs,
  entrypoint?: string,
  base?: string,
): Promise<string> {
  const root = base ?? join(dir, `img-${tag.replace(/[:/]/g, '_')}`);
  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
  await mkdir(join(root, 'tmp'), { recursive: true });
  for (const b of bins) {
    await copyFile(b, join(root, 'usr/local/bin', basename(b)));
    for (const lib of await linkedLibs(b)) {
      await mkdir(join(root, dirname(lib)), { recursive: true });
      // copyFile follows the link: /lib64/ld-linux-x86-64.so.2 is one.
      await copyFile(lib, join(root, lib));
    }
  }
  const changes = [
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
    `LABEL ${LABEL_ROLE}=kube`,
  ];
  if (entrypoint) changes.push(`ENTRYPOINT ["${entrypoint}"]`);
  await dockerImport(root, tag, changes, i);
  const out = join(dir, `${tag.replace(/[:/]/g, '_')}.tar`);
  try {
    await execa('docker', ['save', '-o', out, tag], { cancelSignal: i.signal });
  } finally {
    await execa('docker', ['rmi', tag], { reject: false });
  }
  if (!base) await rm(root, { recursive: true, force: true });
  return out;
}

async function dockerImport(root: string, tag: string, changes: readonly string[], i: Inputs): Promise<void> {
  const tar = execa('tar', ['-C', root, '-c', '.'], { cancelSignal: i.signal, buffer: false });
  const imp = execa('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], {
    reject: false,
    cancelSignal: i.signal,
  });
  tar.stdout?.pipe(imp.stdin as NodeJS.WritableStream);
  const [, r] = await Promise.all([tar, imp]);
  if (r.failed)
    throw new HarnessError('ETCD_DIST', `docker import of ${tag} failed: ${String(r.stderr).slice(0, 300)}`);
}
