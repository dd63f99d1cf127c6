#!/usr/bin/env bash
# make fuzz: the decoder's property tests (tests/decoder_props.rs, fixed seed,
# three strategies: arbitrary bytes, arbitrary JSON, mutated fixtures) with a
# large case count, in release mode. Prints the inputs run, the time and the
# crashes, and merges them into target/bench.json.
#   tests/reliability/fuzz.sh [CASES_PER_STRATEGY]   (default 340000: 1,020,000 inputs)
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${1:-340000}
STRATEGIES=3
cargo test -q --release --test decoder_props --no-run
start=$(date +%s.%N)
status=0
DECODER_CASES=$CASES cargo test -q --release --test decoder_props 2>&1 | tee target/fuzz.log || status=$?
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc)
inputs=$((CASES * STRATEGIES))
crashes=$([ "$status" = 0 ] && echo 0 || grep -c "panicked" target/fuzz.log || true)
echo "fuzz: $inputs inputs in ${secs} s, $crashes crashes"
node -e "
import('./tests/reliability/common.mjs').then(({ recordResult }) => recordResult('fuzz', {
  command: 'tests/reliability/fuzz.sh $CASES', inputs: $inputs, seconds: $secs, crashes: ${crashes:-1} }));"
exit "$status"
