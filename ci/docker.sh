#!/usr/bin/env bash
# A Docker engine for the container provider, on a Debian machine as root: Debian's docker.io,
# dockerd started in the background when none answers, and a DOCKER-USER rule so containers cannot
# send traffic out of the machine (tests may only reach loopback and the containers we made).
# Idempotent: a second call changes nothing.
set -euo pipefail

log=${DOCKERD_LOG:-/var/log/etcd-drill-dockerd.log}

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ci/docker.sh: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
fi

# kind starts its nodes --privileged, which asks runc for every capability; where the machine's bounding
# set lacks CAP_SYS_RESOURCE that fails, so the default runtime drops that one capability first
# (ci/runc-nosysres). Every container then starts through that wrapper; only a spec that names
# CAP_SYS_RESOURCE is changed. Best effort: without it only kind cannot start (it says so).
nosysres() {
  command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; } || return 1
  install -D -m 0755 "$(dirname "$0")/runc-nosysres" /usr/local/libexec/etcd-drill/runc-nosysres || return 1
  local conf=/etc/docker/daemon.json want
  mkdir -p /etc/docker
  [ -s "$conf" ] || echo '{}' > "$conf"
  want=$(jq -S '.runtimes["runc-nosysres"] = {"path": "/usr/local/libexec/etcd-drill/runc-nosysres"} | .["default-runtime"] = "runc-nosysres"' "$conf") || return 1
  if [ "$want" != "$(jq -S . "$conf")" ]; then
    echo "ci/docker.sh: registering the runc-nosysres runtime as Docker's default (no CAP_SYS_RESOURCE here)"
    echo "$want" > "$conf"
    pkill -HUP -x dockerd || true # both settings are reloadable
  fi
}
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
if [ $(( (0x$capbnd >> 24) & 1 )) -eq 0 ]; then
  nosysres || echo "ci/docker.sh: warning: could not register runc-nosysres; kind's privileged nodes will not start" >&2
fi

if ! docker info >/dev/null 2>&1; then
  echo "ci/docker.sh: starting dockerd (log: $log)"
  nohup dockerd >"$log" 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "ci/docker.sh: dockerd did not answer within 30 s; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
fi

# Containers may talk to each other and to published 127.0.0.1 ports, never beyond the machine.
iface=$(ip route show default 2>/dev/null | awk '{print $5; exit}')
if [ -n "$iface" ]; then
  iptables -C DOCKER-USER -o "$iface" -j DROP 2>/dev/null || iptables -I DOCKER-USER -o "$iface" -j DROP
fi
echo "ci/docker.sh: docker $(docker version --format '{{.Server.Version}}') ready; egress via ${iface:-none} dropped"
