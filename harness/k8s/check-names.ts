/** The control-plane checks, each run with the components kept running and again after a restart. */
export const K8S_CHECKS = [
  'api-serves-backup',
  'watch-cache',
  'no-orphans',
  'reconcile',
  'schedule',
  'leader-election',
] as const;
export type K8sCheckName = (typeof K8S_CHECKS)[number];

export const K8S_CHECK_TITLES: Record<K8sCheckName, string> = {
  'api-serves-backup': 'the API serves exactly the backup-time objects (quorum reads, compared with etcd)',
  'watch-cache': "the apiserver's watch cache agrees with etcd (no stale objects served)",
  'no-orphans': 'nothing re-creates objects the restore removed (stale controller caches)',
  reconcile: 'a Deployment created after the restore gets its ReplicaSet and pods',
  schedule: 'the new pods get a node',
  'leader-election': 'controller-manager and scheduler Leases: one holder each, renewing',
};

/**
 * kind only (issue 14): what the kubelets do after the restore, read from the API and from each node's
 * container runtime. The process control plane has no kubelet: these do not apply there.
 */
export const KUBELET_CHECKS = ['pods-running', 'node-status', 'removed-pods-stopped'] as const;
export type KubeletCheckName = (typeof KUBELET_CHECKS)[number];

export const KUBELET_CHECK_TITLES: Record<KubeletCheckName, string> = {
  'pods-running':
    "the backup's Deployment pods run: Ready in the API, their containers running on their nodes",
  'node-status': 'every node is Ready and its kubelet renews its node Lease after the restore',
  'removed-pods-stopped':
    'the pods of objects the restore removed no longer run on any node (kubelet killed them)',
};

/** Every 1.20 stage check: the control plane's, then (kind) the kubelets'. */
export const K8S_STAGE_CHECKS = [...K8S_CHECKS, ...KUBELET_CHECKS] as const;
export type K8sStageCheckName = (typeof K8S_STAGE_CHECKS)[number];

/** kind's Kubernetes stage as results list it: the 1.20 checks and the kubelet checks. */
export const KIND_EXTENSION = 'kind';

/** The 1.36 extension's name as results list it ('k8s' stays 1.20's, as older results have it). */
export const MODERN_K8S_EXTENSION = 'k8s-1.36';
/** Before each 1.36 check name in expect.k8s's keys and, after 'k8s-', in check ids: k8s-1.36-informer. */
export const MODERN_K8S_KEY = '1.36-';

/**
 * The Kubernetes 1.36 storage-layer checks (apiextensions-apiserver over custom objects), each run
 * with the apiserver kept running and again after its restart. Ids `k8s-1.36-<name>`.
 */
export const MODERN_K8S_CHECKS = [
  'quorum-list',
  'cache-list',
  'list-revision',
  'write-visible',
  'watch-list',
  'informer',
  'watch-cache-revision',
] as const;
export type ModernK8sCheckName = (typeof MODERN_K8S_CHECKS)[number];

export const MODERN_K8S_CHECK_TITLES: Record<ModernK8sCheckName, string> = {
  'quorum-list': "a quorum list serves exactly etcd's custom objects",
  'cache-list': "a resourceVersion=0 list (the watch cache) serves exactly etcd's custom objects",
  'list-revision': "a quorum list's resourceVersion is etcd's current revision",
  'write-visible': 'an object created after the restore appears in quorum and cache lists and in a watch',
  'watch-list': "a watch-list stream sends etcd's objects, then the initial-events-end bookmark",
  informer: "a client-go-style informer started before the backup comes to hold etcd's objects",
  'watch-cache-revision': "the watch cache's resourceVersion (metrics) is not ahead of etcd's revision",
};
