#!/usr/bin/env bash
# Everything a fresh machine needs before `npm test`: npm packages from the lock file, the etcd
# versions the integration tests use (fetched from Debian's archive with private apt state, cached in
# ~/.cache/etcd-drill; a second call downloads nothing), and the Kubernetes control plane binaries
# (built from Debian's sources once per machine, ~8 min on 2 cores; a second call builds nothing).
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node npm apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "ci/setup.sh: $tool is missing; this script expects a Debian machine with Node.js 20+" >&2; exit 2; }
done

npm ci --no-audit --no-fund
node bin/etcd-drill.js fetch --etcd all
k8s_start=$(date +%s)
node bin/etcd-drill.js fetch --k8s
echo "ci/setup.sh: Kubernetes binaries ready after $(( $(date +%s) - k8s_start )) s"
