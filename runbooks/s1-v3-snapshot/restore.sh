#!/bin/bash
# The write-up's S1, as its operators ran it with systemctl and /etc/etcd.env (here
# $ETCD_DRILL_SERVICE and $ETCD_DRILL_ENV_DIR/<member>.env):
#   restore the v3 snapshot on the first member, start it alone with force-new-cluster,
#   check its peer URL (finding 3), then `member add` the others one at a time (finding 2).
set -euo pipefail

members=($ETCD_DRILL_MEMBERS)
first=${members[0]}
snapshot=$ETCD_DRILL_BACKUP_DIR/snapshot.db

envfile() { echo "$ETCD_DRILL_ENV_DIR/$1.env"; }
# get <member> <VAR>: a variable of the member's env file.
get() { sed -n "s/^$2=//p" "$(envfile "$1")" | tail -n1 | sed 's/^"\(.*\)"$/\1/'; }
# set_var <member> <VAR> <value>: replace it (or add it), as an operator edits /etc/etcd.env.
set_var() { sed -i "/^$2=/d" "$(envfile "$1")"; echo "$2=$3" >>"$(envfile "$1")"; }
del_var() { sed -i "/^$2=/d" "$(envfile "$1")"; }
# endpoint <member>: where this host reaches it (ETCDCTL_ENDPOINTS is in ETCD_DRILL_MEMBERS order).
endpoint() {
  local i=1
  for m in "${members[@]}"; do [ "$m" = "$1" ] && break; i=$((i + 1)); done
  echo "$ETCDCTL_ENDPOINTS" | cut -d, -f"$i"
}
# ctl <endpoint> <args>: etcdctl against one member (before 3.5 it refuses --endpoints while ETCDCTL_ENDPOINTS is set).
ctl() { ETCDCTL_ENDPOINTS=$1 etcdctl "${@:2}"; }
wait_healthy() {
  for _ in $(seq 60); do ctl "$(endpoint "$1")" endpoint health >/dev/null 2>&1 && return 0; sleep 1; done
  echo "$1 not healthy after 60 s" >&2; return 1
}
# etcdutl from 3.5 on; etcdctl before.
snapshot_restore() { if command -v etcdutl >/dev/null; then etcdutl snapshot restore "$@"; else etcdctl snapshot restore "$@"; fi; }

echo "== stop every member, move the old data dirs away"
for m in "${members[@]}"; do
  $ETCD_DRILL_SERVICE stop "$m"
  rm -rf "$(get "$m" ETCD_DATA_DIR)"
done

echo "== restore $snapshot as $first"
snapshot_restore "$snapshot" \
  --name "$first" \
  --data-dir "$(get "$first" ETCD_DATA_DIR)" \
  --initial-cluster "$(get "$first" ETCD_INITIAL_CLUSTER)" \
  --initial-cluster-token "$(get "$first" ETCD_INITIAL_CLUSTER_TOKEN)" \
  --initial-advertise-peer-urls "$(get "$first" ETCD_INITIAL_ADVERTISE_PEER_URLS)"

echo "== start $first alone with force-new-cluster"
set_var "$first" ETCD_FORCE_NEW_CLUSTER true
$ETCD_DRILL_SERVICE start "$first"
wait_healthy "$first"

echo "== finding 3: is its peer URL the one it should advertise?"
ep=$(endpoint "$first")
want=$(get "$first" ETCD_INITIAL_ADVERTISE_PEER_URLS)
line=$(ctl "$ep" member list | grep ", $first, " || ctl "$ep" member list | head -n1)
id=${line%%,*}
peer=$(echo "$line" | cut -d, -f4 | tr -d ' ')
if [ "$peer" != "$want" ]; then
  echo "peer URL is $peer: member update to $want"
  ctl "$ep" member update "$id" --peer-urls="$want"
fi

echo "== restart $first without force-new-cluster (left in, it would reset membership at the next restart)"
del_var "$first" ETCD_FORCE_NEW_CLUSTER
$ETCD_DRILL_SERVICE restart "$first"
wait_healthy "$first"

for m in "${members[@]:1}"; do
  echo "== member add $m (etcd refuses while the last join settles: retry)"
  out=
  for _ in $(seq 60); do
    if out=$(ctl "$ep" member add "$m" --peer-urls="$(get "$m" ETCD_INITIAL_ADVERTISE_PEER_URLS)" 2>&1); then break; fi
    echo "$out" | grep -qiE 'unhealthy cluster|not enough started members|too many requests' || { echo "$out" >&2; exit 1; }
    out=
    sleep 1
  done
  [ -n "$out" ] || { echo "member add $m refused for 60 s" >&2; exit 1; }
  echo "$out"
  # What member add prints is what the new member's unit must say.
  set_var "$m" ETCD_INITIAL_CLUSTER "$(echo "$out" | sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p')"
  set_var "$m" ETCD_INITIAL_CLUSTER_STATE existing
  rm -rf "$(get "$m" ETCD_DATA_DIR)"
  $ETCD_DRILL_SERVICE start "$m"
  wait_healthy "$m"
done

echo "== done"
ctl "$ep" member list
