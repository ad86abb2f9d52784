#!/usr/bin/env bash
# Debian's chromium for the HTML report's browser test (reports/html.int.test.ts opens report.html in it
# through playwright-core; the test fails, not skips, without it). Idempotent: a second call changes nothing.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
  echo "ci/browser.sh: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "ci/browser.sh: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium (version unknown)') ready"
