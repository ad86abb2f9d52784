#!/bin/bash
# etcd's disaster recovery (etcd.io, op-guide/recovery): every member restored from the same
# snapshot with its own name and peer URL and the full initial cluster, then all started together.
set -euo pipefail

members=($ETCD_DRILL_MEMBERS)
snapshot=$ETCD_DRILL_BACKUP_DIR/snapshot.db

get() { sed -n "s/^$2=//p" "$ETCD_DRILL_ENV_DIR/$1.env" | tail -n1 | sed 's/^"\(.*\)"$/\1/'; }
snapshot_restore() { if command -v etcdutl >/dev/null; then etcdutl snapshot restore "$@"; else etcdctl snapshot restore "$@"; fi; }

for m in "${members[@]}"; do $ETCD_DRILL_SERVICE stop "$m"; done

for m in "${members[@]}"; do
  echo "== restore $snapshot as $m"
  rm -rf "$(get "$m" ETCD_DATA_DIR)"
  snapshot_restore "$snapshot" \
    --name "$m" \
    --data-dir "$(get "$m" ETCD_DATA_DIR)" \
    --initial-cluster "$(get "$m" ETCD_INITIAL_CLUSTER)" \
    --initial-cluster-token "$(get "$m" ETCD_INITIAL_CLUSTER_TOKEN)" \
    --initial-advertise-peer-urls "$(get "$m" ETCD_INITIAL_ADVERTISE_PEER_URLS)"
done

echo "== start every member (a restored cluster needs a quorum to elect a leader)"
pids=()
for m in "${members[@]}"; do $ETCD_DRILL_SERVICE start "$m" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done

for _ in $(seq 60); do
  etcdctl endpoint health && break
  sleep 1
done
etcdctl member list
