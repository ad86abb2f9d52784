/**
 * kind's own Kubernetes as the drill's control plane (issue 14, part 4): kubeadm's static pods and
 * a kubelet per node, reached through kind's load balancer with its admin certificate. Restarting
 * it is the write-up's fix on a kubeadm cluster: every kubelet, and the control-plane static pods.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HarnessError, isAbort, oneLine } from '../errors.ts';
import { createKubeApi, type KObject, type KubeApi } from '../k8s/api.ts';
import {
  COMPONENTS,
  type Component,
  type ComponentExit,
  SHIPPED_LEADER_ELECTION,
} from '../k8s/controlplane.ts';
import { leaseFresh, staleNodes } from '../k8s/kubelet-checks.ts';
import type { StageControlPlane } from '../k8s/stage.ts';
import { poll } from '../util/poll.ts';
import { RESTART_KUBELET } from './admission.ts';
import type { KindCluster } from './cluster.ts';
import { kindRuntime } from './runtime.ts';

const STATIC_PODS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
/** kubelet's crash-loop back-off reaches 5 min: a little more, so a pod's next try still counts. */
const SELF_RECOVERY_BOUND_MS = 330_000;

/** Server, CA and client certificate of kind's admin kubeconfig. */
export function adminAccess(kubeconfig: string): { server: string; ca: string; cert: string; key: string } {
  const kc = parse(kubeconfig) as {
    clusters?: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users?: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const cluster = kc.clusters?.[0]?.cluster;
  const user = kc.users?.[0]?.user;
  if (!cluster?.server || !user?.['client-key-data'])
    throw new HarnessError('PROVIDER_START', "kind's kubeconfig has no server or client certificate");
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  return {
    server: cluster.server,
    ca: pem(cluster['certificate-authority-data']),
    cert: pem(user['client-certificate-data']),
    key: pem(user['client-key-data']),
  };
}

/** Why the cluster is not ready, or undefined: /readyz, both leases held, every node Ready and renewing. */
export async function notReady(api: KubeApi, now = Date.now(), since = 0): Promise<string | undefined> {
  const ready = await api.raw('/readyz');
  if (ready.status !== 200) return `apiserver /readyz ${ready.status}`;
  // Renewed lately and since `since`: a restore or a restart leaves the old holders' leases behind.
  for (const c of ['kube-controller-manager', 'kube-scheduler']) {
    const l = await api.get({ kind: 'Lease', namespace: 'kube-system', name: c });
    if (!l?.spec?.holderIdentity || !leaseFresh(l, now, since)) return `no ${c} lease holder renewing`;
  }
  const stale = await staleNodes(api, now, since);
  return stale.length ? stale.join('; ') : undefined;
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  lastState?: { terminated?: { exitCode?: number; reason?: string; finishedAt?: string | Date } };
}

/**
 * The control-plane containers kubelet restarted, from their pods' status: the last exit of each
 * (kubelet keeps only that one), as the process control plane's supervisor reports its restarts.
 */
export function exitsOf(pods: readonly KObject[]): ComponentExit[] {
  return pods.flatMap((p) =>
    ((p.status?.containerStatuses ?? []) as ContainerStatus[]).flatMap((c) => {
      const t = c.lastState?.terminated;
      if (!t || !(COMPONENTS as readonly string[]).includes(c.name)) return [];
      const at = t.finishedAt instanceof Date ? t.finishedAt.toISOString() : String(t.finishedAt ?? '');
      const node = String(p.spec?.nodeName ?? p.metadata.name);
      return [
        {
          component: c.name as Component,
          at,
          how: `code ${t.exitCode ?? '?'}`,
          reason: `${t.reason ?? 'terminated'} on ${node}, restarted ${c.restartCount ?? 0} time(s) in all`,
        },
      ];
    }),
  );
}

export async function openKindControlPlane(
  kind: KindCluster,
  signal: AbortSignal,
): Promise<StageControlPlane> {
  const a = adminAccess(kind.kubeconfig);
  const api = createKubeApi({ server: a.server, ca: a.ca, clientCert: { cert: a.cert, key: a.key } });
  const nodes = [...kind.controlPlanes, ...kind.workers];
  // The 1.20 workload's image under the name it asks for: its pods run, and nothing is pulled.
  for (const n of nodes)
    await kind.exec(
      n,
      [
        'ctr',
        '-n',
        'k8s.io',
        'images',
        'tag',
        '--force',
        'k8s.gcr.io/pause:3.2',
        'registry.k8s.io/pause:3.2',
      ],
      { signal },
    );

  let exits: ComponentExit[] = [];
  /** Read at each ready and kept: the restart replaces the pods, and their restart counts with them. */
  const readExits = async () => {
    const seen = new Set(exits.map((e) => `${e.component} ${e.at} ${e.reason}`));
    const fresh = exitsOf((await api.list('Pod', { namespace: 'kube-system' })).items);
    exits = [...exits, ...fresh.filter((e) => !seen.has(`${e.component} ${e.at} ${e.reason}`))];
  };

  const waitReady = async (timeoutMs = 180_000): Promise<number> => {
    const t0 = Date.now();
    const r = await poll(
      async () => {
        try {
          return await notReady(api, Date.now(), t0 - 1000);
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
      },
      {
        boundMs: timeoutMs,
        intervalMs: 1000,
        signal,
        what: 'waiting for the kind cluster',
        done: (why) => !why,
      },
    );
    if (!r.done)
      throw new HarnessError('CLUSTER_UNHEALTHY', `kind cluster not ready within ${timeoutMs} ms: ${r.last}`);
    const ms = Date.now() - t0;
    await readExits().catch(() => {});
    return ms;
  };

  /** Per node: the control-plane manifests out until their containers are gone, back, then kubelet restarted. */
  const restart = async (): Promise<void> => {
    // Before the restart replaces the pods: their restarts during the kept-running checks.
    await readExits().catch(() => {});
    // By command line: a process name is cut to 15 characters (kube-controller).
    const procs = `^(${STATIC_PODS.join('|')})( |$)`;
    const files = STATIC_PODS.map((p) => `${p}.yaml`).join(' ');
    const script = [
      'set -e',
      'mkdir -p /etc/kubernetes/etcd-drill-parked',
      `cd /etc/kubernetes/manifests && mv ${files} /etc/kubernetes/etcd-drill-parked/`,
      `for i in $(seq 120); do pgrep -f '${procs}' >/dev/null || break; sleep 0.5; done`,
      // Still running: the manifests go back, but the restart did not happen; say so.
      `if pgrep -f '${procs}' >/dev/null; then mv /etc/kubernetes/etcd-drill-parked/*.yaml /etc/kubernetes/manifests/; echo "control-plane containers still ran 60 s after their manifests were moved out" >&2; exit 1; fi`,
      `cd /etc/kubernetes/etcd-drill-parked && mv ${files} /etc/kubernetes/manifests/`,
      RESTART_KUBELET,
    ].join('\n');
    await Promise.all(
      nodes.map((n) =>
        kind.exec(n, ['sh', '-c', kind.controlPlanes.includes(n) ? script : RESTART_KUBELET], {
          signal,
        }),
      ),
    );
  };

  const collectLogs = async (dir: string): Promise<void> => {
    await mkdir(dir, { recursive: true });
    for (const n of nodes) {
      const out = await kind
        .exec(n, ['journalctl', '-u', 'kubelet', '--no-pager', '-o', 'short-iso'])
        .catch((e) => String(e));
      await writeFile(join(dir, `${n}.kubelet.log`), out);
    }
  };

  return {
    api,
    startMs: kind.createMs,
    leaderElection: SHIPPED_LEADER_ELECTION,
    waitReady,
    restart,
    async selfRecover() {
      try {
        return { readyMs: await waitReady(SELF_RECOVERY_BOUND_MS) };
      } catch (err) {
        if (isAbort(err)) throw err;
        return { error: oneLine(err) };
      }
    },
    exits: () => exits,
    runtime: kindRuntime(kind, signal),
    collectLogs,
    // The kind cluster is the etcd cluster's: deleted with it.
    async [Symbol.asyncDispose]() {},
  };
}
