#!/usr/bin/env bash
# Kubernetes 1.36's apiserver storage layer (issue 15) drilled on S1 and s6 to a verdict, process
# provider. Builds apiextensions-apiserver first (~5-6 min cold on 2 cores; a cached build is reused),
# then two drills (~2x a --k8s drill; the stage test that shows each check failing is `npm run test:k8s-modern`, kept out to hold .ci/run near 70 min). Both on etcd 3.5.30: s6's --bump-revision needs etcdutl 3.5, and
# the 1.36 apiserver was proven against 3.5.30. Exit 1 (a verdict off its expectation) is a verdict, so
# it passes here, as in ci/record-expectations.sh; 2 (a harness error or an unknown check) fails.
set -euo pipefail
cd "$(dirname "$0")/.."

build_start=$(date +%s)
node bin/etcd-drill.js fetch --k8s-modern
echo "ci/k8s-modern-drills.sh: Kubernetes 1.36 binary ready after $(( $(date +%s) - build_start )) s"

out=reports/out/k8s-1.36
mkdir -p "$out"
rc=0
node bin/etcd-drill.js run --provider process --etcd 3.5.30 --k8s 1.36 --out "$out" \
  -s s1-v3-snapshot-restore s6-v3-snapshot-bump-revision || rc=$?
[ "$rc" -le 1 ] || { echo "ci/k8s-modern-drills.sh: the 1.36 drills exited $rc (no verdict); see $out" >&2; exit "$rc"; }

# A verdict for every 1.36 check in each drill, both modes recorded (exit 0/1 alone would pass without them).
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  const runs = fs.readdirSync(dir).map((d) => path.join(dir, d, "results.json")).filter(fs.existsSync);
  const latest = runs.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  const run = JSON.parse(fs.readFileSync(latest, "utf8"));
  for (const r of run.results) {
    const modes = (r.observations.k8sModern?.checks ?? []).filter((c) => c.kept && c.restarted);
    const checks = r.checks.filter((c) => c.id.startsWith("k8s-1.36-"));
    console.log(`${r.scenarioId}: ${r.verdict}, ${r.grade.grade}; ${checks.length} 1.36 checks, ${modes.length} with both modes`);
    if (checks.length === 0 || modes.length !== checks.length) process.exitCode = 2;
  }
' "$out"
