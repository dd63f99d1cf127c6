#!/usr/bin/env bash
# Runs the end-to-end tests (needs pkg/web and pkg/node from `make build`), one file at
# a time: each file starts its own b24-portal and Chromium. Ends with a line
# "e2e: N passed, M failed", the form tests/suite.sh counts.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
node --test --test-concurrency=1 tests/e2e/ 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)
echo "e2e: ${pass:-0} passed, ${fail:-0} failed"
exit "$rc"
