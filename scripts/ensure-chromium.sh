#!/usr/bin/env bash
# Ensures headless Debian Chromium is installed at /usr/bin/chromium (used by test/report-render.test.ts).
# Idempotent: does nothing when it is already present. CI calls it before the test suite.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
