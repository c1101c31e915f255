#!/usr/bin/env bash
# The test command (`npm test`): checks generated code is fresh, typechecks, builds, makes sure the
# real services the tests use are installed and running (PostgreSQL 15, headless Chromium, and the
# Docker engine for the container test), runs vitest, and ends with the line `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
status=0

step() { printf '\n== %s\n' "$*" >&2; }

step "generated code is up to date"
npm run -s gen:check || status=1
step "typecheck (strict, all sources and tests)"
npx tsc -p tsconfig.json --noEmit || status=1
step "build"
npm run -s build || status=1

step "services the tests need"
if [ "${FEDSYNTH_SKIP_SERVICES:-0}" != "1" ]; then
  bash scripts/ensure-postgres.sh || echo "warning: PostgreSQL could not be started; PostgreSQL tests will fail" >&2
  bash scripts/ensure-chromium.sh || echo "warning: Chromium could not be installed; the report render test will fail" >&2
  if [ -f scripts/ensure-docker.sh ]; then
    bash scripts/ensure-docker.sh || echo "warning: Docker engine unavailable; the container test will fail" >&2
  fi
fi

step "vitest"
rm -f .tmp/vitest.json
# Outside a terminal the default reporter prints a file only when it ends: the heartbeat reporter
# adds a line every 30 s (files and tests done, what runs and for how long) so a slow run shows it
# is alive (FEDSYNTH_TEST_HEARTBEAT_S sets the interval, 0 turns it off).
TESTCONTAINERS_RYUK_DISABLED=true npx vitest run --reporter=default --reporter=./test/support/HeartbeatReporter.ts --reporter=json --outputFile.json=.tmp/vitest.json "$@"
vt=$?
[ $vt -ne 0 ] && status=1

summary=$(node -e '
  const fs = require("fs");
  try {
    const r = JSON.parse(fs.readFileSync(".tmp/vitest.json", "utf8"));
    const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0) + (r.testResults || []).filter((f) => f.status === "failed" && (f.assertionResults || []).length === 0).length;
    console.log(`${r.numPassedTests} passed, ${failed} failed`);
  } catch { console.log("0 passed, 1 failed"); }
')
[ $status -ne 0 ] && [ "$summary" != "${summary% 0 failed}" ] && summary="${summary% 0 failed} 1 failed"
echo "$summary" | tee .tmp/summary.txt
exit $status
