#!/bin/bash
# A deliberately broken runbook: the snapshot is restored on the first member only, and the
# others start on empty data dirs as if the cluster were new. They join with nothing; reads
# from them miss everything the snapshot held.
set -euo pipefail

members=($ETCD_DRILL_MEMBERS)
first=${members[0]}
get() { sed -n "s/^$2=//p" "$ETCD_DRILL_ENV_DIR/$1.env" | tail -n1; }
snapshot_restore() { if command -v etcdutl >/dev/null; then etcdutl snapshot restore "$@"; else etcdctl snapshot restore "$@"; fi; }

for m in "${members[@]}"; do
  $ETCD_DRILL_SERVICE stop "$m"
  rm -rf "$(get "$m" ETCD_DATA_DIR)"
done

snapshot_restore "$ETCD_DRILL_BACKUP_DIR/snapshot.db" \
  --name "$first" \
  --data-dir "$(get "$first" ETCD_DATA_DIR)" \
  --initial-cluster "$(get "$first" ETCD_INITIAL_CLUSTER)" \
  --initial-cluster-token "$(get "$first" ETCD_INITIAL_CLUSTER_TOKEN)" \
  --initial-advertise-peer-urls "$(get "$first" ETCD_INITIAL_ADVERTISE_PEER_URLS)"

pids=()
for m in "${members[@]}"; do $ETCD_DRILL_SERVICE start "$m" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
