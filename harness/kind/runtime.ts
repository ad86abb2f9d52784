/**
 * What kubelet actually runs on each kind node, read from containerd (the CRI's namespace k8s.io),
 * not from the API: after a restore the two can disagree, and that is what the kubelet checks judge.
 */
import type { NodeRuntime, RuntimeContainer } from '../k8s/kubelet-checks.ts';
import type { KindCluster } from './cluster.ts';

/**
 * Each running task's container record on one line (`ctr` has no label column, `info` has). The task
 * list is read on its own first: in a pipeline its failure would read as "nothing runs here", which
 * the removed-pods check would grade as stopped.
 */
export const RUNNING_CONTAINERS = [
  'tasks=$(ctr -n k8s.io tasks ls) || exit 1',
  [
    `printf '%s\\n' "$tasks"`,
    `awk 'NR > 1 && $3 == "RUNNING" { print $1 }'`,
    `while read -r id; do ctr -n k8s.io containers info "$id" 2>/dev/null | tr -d '\\n'; echo; done`,
  ].join(' | '),
].join('\n');

/**
 * `ctr containers info` lines of one node: kubelet's containers (not pod sandboxes) with their pod.
 * A line that is not a container record (a task gone between the two commands) is skipped.
 */
export function parseRunningContainers(node: string, out: string): RuntimeContainer[] {
  return out.split('\n').flatMap((line) => {
    if (!line.trim().startsWith('{')) return [];
    const labels = (JSON.parse(line) as { Labels?: Record<string, string> }).Labels ?? {};
    if (labels['io.cri-containerd.kind'] !== 'container') return [];
    const uid = labels['io.kubernetes.pod.uid'];
    const pod = labels['io.kubernetes.pod.name'];
    const namespace = labels['io.kubernetes.pod.namespace'];
    if (!uid || !pod || !namespace) return [];
    return [{ node, namespace, pod, uid, container: labels['io.kubernetes.container.name'] ?? '' }];
  });
}

/** Every node's running containers, one `docker exec` per node. */
export function kindRuntime(kind: KindCluster, signal: AbortSignal): NodeRuntime {
  const nodes = [...kind.controlPlanes, ...kind.workers];
  return {
    async running() {
      const per = await Promise.all(
        nodes.map(async (n) =>
          parseRunningContainers(n, await kind.exec(n, ['sh', '-c', RUNNING_CONTAINERS], { signal })),
        ),
      );
      return per.flat();
    },
  };
}
