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
