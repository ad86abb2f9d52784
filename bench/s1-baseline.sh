#!/usr/bin/env bash
# S1 by hand, as the write-up's operator would script it with etcdctl and curl: the baseline that
# `npm run bench` compares the harness against. Same procedure, same cluster shape, no checks
# beyond `wc -l`. Usage: s1-baseline.sh <etcd-bin-dir> [base-port] [keys]
set -euo pipefail
BIN=${1:?etcd bin dir}; BASE=${2:-32379}; KEYS=${3:-270}
WORK=$(mktemp -d /tmp/etcd-drill-baseline.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
unset "${!ETCD@}"
export ETCDCTL_API=3
cport() { echo $((BASE + 2 * ($1 - 1))); }
pport() { echo $((BASE + 2 * ($1 - 1) + 1)); }
CLUSTER="etcd1=http://127.0.0.1:$(pport 1),etcd2=http://127.0.0.1:$(pport 2),etcd3=http://127.0.0.1:$(pport 3)"
start() { # n state initial-cluster [extra]
  local n=$1; shift
  "$BIN/etcd" --name "etcd$n" --data-dir "$WORK/etcd$n" --enable-v2=true \
    --listen-client-urls "http://127.0.0.1:$(cport "$n")" --advertise-client-urls "http://127.0.0.1:$(cport "$n")" \
    --listen-peer-urls "http://127.0.0.1:$(pport "$n")" --initial-advertise-peer-urls "http://127.0.0.1:$(pport "$n")" \
    --initial-cluster-state "$1" --initial-cluster "$2" --initial-cluster-token k8s_etcd "${@:3}" >>"$WORK/etcd$n.log" 2>&1 &
  PIDS[$n]=$!
}
healthy() { # endpoints; gives up after 60 s
  local deadline=$((SECONDS + 60))
  until "$BIN/etcdctl" --endpoints "$1" endpoint health >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "s1-baseline: $1 not healthy after 60 s" >&2; exit 1; }
    sleep 0.1
  done
}
for p in $(seq "$BASE" $((BASE + 5))); do
  if (: >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "s1-baseline: port $p is in use; pass another base port" >&2; exit 2; fi
done
EP1="http://127.0.0.1:$(cport 1)"
ALL="$EP1,http://127.0.0.1:$(cport 2),http://127.0.0.1:$(cport 3)"

for n in 1 2 3; do start $n new "$CLUSTER"; done
healthy "$ALL"
for i in $(seq 1 "$KEYS"); do echo "put /registry/bench/key-$i value-$i"; done | "$BIN/etcdctl" --endpoints "$EP1" txn >/dev/null 2>&1 ||
  for i in $(seq 1 "$KEYS"); do "$BIN/etcdctl" --endpoints "$EP1" put "/registry/bench/key-$i" "value-$i" >/dev/null; done
for k in /cluster.local /cluster.local/network /cluster.local/network/subnets; do curl -fsS -XPUT "$EP1/v2/keys$k" -d dir=true >/dev/null; done
curl -fsS -XPUT "$EP1/v2/keys/cluster.local/network/config" --data-urlencode 'value={"Network":"10.233.64.0/18"}' >/dev/null
for s in 10.233.68.0-24 10.233.75.0-24 10.233.101.0-24; do curl -fsS -XPUT "$EP1/v2/keys/cluster.local/network/subnets/$s" -d value=lease -d ttl=86400 >/dev/null; done

"$BIN/etcdctl" --endpoints "$EP1" snapshot save "$WORK/snapshot.db" >/dev/null 2>&1
for n in 1 2 3; do kill "${PIDS[$n]}"; wait "${PIDS[$n]}" 2>/dev/null || true; rm -rf "$WORK/etcd$n"; done

RESTORE="$BIN/etcdctl"; [ -x "$BIN/etcdutl" ] && RESTORE="$BIN/etcdutl"
"$RESTORE" snapshot restore "$WORK/snapshot.db" --name etcd1 --data-dir "$WORK/etcd1" --initial-cluster "$CLUSTER" \
  --initial-cluster-token k8s_etcd --initial-advertise-peer-urls "http://127.0.0.1:$(pport 1)" >/dev/null 2>&1
start 1 new "$CLUSTER" --force-new-cluster
healthy "$EP1"
kill "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
start 1 new "$CLUSTER"
healthy "$EP1"
for n in 2 3; do
  until OUT=$("$BIN/etcdctl" --endpoints "$EP1" member add "etcd$n" --peer-urls="http://127.0.0.1:$(pport "$n")" 2>&1); do sleep 1; done
  start "$n" existing "$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' <<<"$OUT")"
  healthy "http://127.0.0.1:$(cport "$n")"
done
healthy "$ALL"
echo "v3 lines: $("$BIN/etcdctl" --endpoints "$EP1" get / --prefix --keys-only | wc -l)  v2: $(curl -fsS "$EP1/v2/keys/?recursive=true" | grep -o '"key"' | wc -l)"
