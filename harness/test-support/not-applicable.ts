/** The cells a strategy cannot run on, and why: which etcd version gates which strategy. */
export const EXPECTED_NOT_APPLICABLE: readonly { cell: string; reason: RegExp }[] = [
  // etcdutl snapshot restore --bump-revision / --mark-compacted arrived with 3.5's etcdutl.
  { cell: 's6-v3-snapshot-bump-revision@3.3.25', reason: /has no --bump-revision/ },
  { cell: 's6-v3-snapshot-bump-revision@3.4.23', reason: /has no --bump-revision/ },
  { cell: 's6b-bump-revision-force-new-cluster@3.3.25', reason: /has no --bump-revision/ },
  { cell: 's6b-bump-revision-force-new-cluster@3.4.23', reason: /has no --bump-revision/ },
  // The chaos catalogue's S6 combinations, likewise.
  ...['c-s6-kill-restore', 'c-s6-load-backup', 'c-s6-partition-rebuild', 'c-s6-quorum-loss'].flatMap((id) =>
    ['3.3.25', '3.4.23'].map((v) => ({ cell: `${id}@${v}`, reason: /has no --bump-revision/ })),
  ),
  // Cross-version scenarios (scenarios/cross/) need a pair: on one version they have nothing to upgrade to.
  ...['3.3.25', '3.4.23', '3.5.16', '3.5.30'].map((v) => ({
    cell: `x1-rolling-upgrade-then-restore@${v}`,
    reason: /needs a version to upgrade to/,
  })),
  // v2 readiness needs etcd --v2-deprecation (3.5) and etcdutl check v2store (not in 3.5.16's etcdutl).
  ...['v2-readiness-s7', 'v2-readiness-s7-v2-snapshot'].flatMap((id) => [
    { cell: `${id}@3.3.25`, reason: /has no --v2-deprecation/ },
    { cell: `${id}@3.4.23`, reason: /has no --v2-deprecation/ },
    { cell: `${id}@3.5.16`, reason: /has no `etcdutl check v2store`/ },
  ]),
];
