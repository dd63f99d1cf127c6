#!/usr/bin/env bash
# The whole test suite, in the order `make test` promises: lint, native,
# wasm in Node, in headless Chromium and in headless Firefox, end-to-end in
# both engines. Each stage prints its own count; a stage that ran no test
# fails the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh

declare -A COUNTS=()
TOTAL_PASSED=0

# Runs a stage, keeps its log, and adds up the `N passed` lines it printed.
stage() {
  local name=$1; shift
  local log="target/test-logs/$name.log"
  mkdir -p target/test-logs
  echo "== $name: $*"
  if ! "$@" 2>&1 | tee "$log"; then
    echo "!! $name failed (log: $log)"; exit 1
  fi
  local passed failed
  # cargo and wasm-bindgen print "N passed; M failed", node --test "# pass N".
  passed=$(grep -Eo '([0-9]+) passed|^# pass [0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
  failed=$(grep -Eo '([0-9]+) failed|^# fail [0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
  if [ "$failed" != 0 ]; then echo "!! $name: $failed failed"; exit 1; fi
  if [ "$passed" = 0 ]; then echo "!! $name ran no test"; exit 1; fi
  COUNTS[$name]=$passed
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
}

echo "== lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p b24-vote --target wasm32-unknown-unknown --all-targets -- -D warnings

stage native cargo test --workspace

start_portal --rate off
export B24_PORTAL_URL="$PORTAL_URL"
stage wasm-node wasm-pack test --node
WASM_BINDGEN_USE_BROWSER=1 stage wasm-chromium wasm-pack test --headless --chrome
# Firefox (Gecko's own wasm engine, fetch and AbortSignal): tests/webdriver.json's moz:firefoxOptions.
WASM_BINDGEN_USE_BROWSER=1 stage wasm-firefox wasm-pack test --headless --firefox

# The end-to-end tests start their own emulator and drive Debian's chromium.
stage e2e node --test --test-concurrency=1 tests/e2e/
# The placement app in Firefox, through geckodriver and selenium-webdriver.
stage e2e-firefox node --test --test-concurrency=1 tests/e2e-firefox/

# Fault matrix, soak and security checks against the nodejs build.
stage reliability node --test --test-concurrency=1 tests/reliability/

# Hostile input (issue 11): hostile portals on 127.0.0.1, hostile arguments,
# in Node and Chromium; every case bounded by a timeout.
stage hostile node --test --test-concurrency=1 tests/hostile/

# The packed tarball installed into temp dirs: Node ESM/CJS, Vite 7, a plain page, tsc --strict.
stage consumers node tests/consumers/run.mjs

# The size budget (tests/size/budget): a minimal recall app built by Vite from the
# tarball, gzip -9 of every emitted asset, capped by the same app on @bitrix24/b24jssdk.
echo "== size"
node tests/size/size.mjs

echo
for name in native wasm-node wasm-chromium wasm-firefox e2e e2e-firefox reliability hostile consumers; do
  [ -n "${COUNTS[$name]:-}" ] && printf '%-16s %s passed\n' "$name:" "${COUNTS[$name]}"
done
echo "total: $TOTAL_PASSED passed, 0 failed"
