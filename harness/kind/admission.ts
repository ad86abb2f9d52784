/**
 * kubelet 1.20 may refuse a static pod it admits before it knows the node's resources (kubeadm's etcd
 * asks for 100Mi of ephemeral storage, which cadvisor reports a moment after kubelet starts), and it
 * never retries a refused static pod; a restarted kubelet admits it again (kubernetes/kubernetes
 * #116484, #101801). Seen here 2026-12-02: a `kubeadm join` hung 15 min, its etcd member added to
 * the cluster but never started ("Failed to admit pod etcd-…: … (res: ephemeral-storage, q: 104857600)").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.ts';
import { execa } from '../util/exec.ts';

const REFUSED = 'Failed to admit pod';
const refusals = `journalctl -u kubelet -o cat --no-pager | grep -c '${REFUSED}' || true`;

/**
 * In a node: kubelet restarted until, 15 s after a start, it has refused no static pod since that
 * start (3 tries; then it fails, naming the refusal).
 */
export const RESTART_KUBELET = [
  'for i in 1 2 3; do',
  `  since=$(date '+%Y-%m-%d %H:%M:%S')`,
  '  systemctl restart kubelet',
  '  sleep 15',
  `  why=$(journalctl -u kubelet --since "$since" -o cat --no-pager | grep '${REFUSED}' | head -1)`,
  '  [ -z "$why" ] && exit 0',
  'done',
  'echo "kubelet refused a static pod after 3 restarts: $why" >&2',
  'exit 1',
].join('\n');

/** Node containers of a kind cluster (not its load balancer), as far as they exist yet. */
async function nodesOf(cluster: string): Promise<string[]> {
  const r = await execa(
    'docker',
    ['ps', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}'],
    { reject: false },
  );
  return String(r.stdout)
    .split('\n')
    .filter((n) => n && !n.endsWith('-external-load-balancer'));
}

/**
 * While `kind create` runs: every 5 s, a node whose kubelet refused a static pod since the last look
 * gets its kubelet restarted (kubeadm waits for the pod, and would wait for ever). `stop()` ends the
 * watch and returns the nodes it restarted a kubelet on.
 */
export function watchStaticPodAdmission(cluster: string, log: Logger): { stop(): Promise<string[]> } {
  const seen = new Map<string, number>();
  const healed: string[] = [];
  let stopped = false;
  const look = async () => {
    for (const node of await nodesOf(cluster)) {
      const r = await execa('docker', ['exec', node, 'sh', '-c', refusals], {
        reject: false,
        timeout: 20_000,
      });
      const n = Number.parseInt(String(r.stdout).trim(), 10);
      if (!Number.isFinite(n) || n <= (seen.get(node) ?? 0)) continue;
      seen.set(node, n);
      log.progress(
        `${node}: kubelet refused a static pod at its start (node resources not yet known): restarting kubelet`,
      );
      await execa('docker', ['exec', node, 'systemctl', 'restart', 'kubelet'], {
        reject: false,
        timeout: 60_000,
      });
      healed.push(node);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await look().catch(() => {});
      for (let i = 0; i < 10 && !stopped; i++) await sleep(500);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return healed;
    },
  };
}
