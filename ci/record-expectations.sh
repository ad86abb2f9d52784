#!/usr/bin/env bash
# Runs the whole version matrix N times (default 3) on the process provider and records what the runs
# observed into the scenario files: all runs agree -> "observed in N of N runs"; they disagree -> varies.
# ~25 min a run on 2 cores. Pass --dry-run to print the plan without rewriting the scenario files.
# Extra args after -- go to `etcd-drill matrix` (e.g. -- -s s1-v3-snapshot-restore).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 write=--write
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --dry-run) write=; shift ;;
    --) shift; break ;;
    *) echo "ci/record-expectations.sh: unknown argument $1 (use --runs N, --dry-run, -- <matrix args>)" >&2; exit 2 ;;
  esac
done

out=reports/out/record-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
for i in $(seq 1 "$runs"); do
  echo "ci/record-expectations.sh: matrix run $i of $runs (report under $out)"
  # Exit 1 (a verdict off its expectation) is what recording is for; 2 (unknown) or worse stops here.
  node bin/etcd-drill.js matrix --provider process --out "$out" -q "$@" >"$out/run-$i.log" 2>&1 || {
    rc=$?
    [ "$rc" -eq 1 ] || { echo "matrix run $i exited $rc; see $out/run-$i.log" >&2; exit "$rc"; }
  }
done
node bin/etcd-drill.js expectations record "$out"/*/results.json $write
