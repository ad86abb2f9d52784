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
