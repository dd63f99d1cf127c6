// Issue 11, item 5: decoding and the tally grow as n log n, not n². Each
// measure times n and 4n (fastest of 7 interleaved rounds, in a child process so a
// quadratic run can be killed) and asserts the growth ratio: ~4-5 for
// n log n, ~16 for n². The absolute ceiling only stops hangs; the targets in
// ms are bench rows (tests/bench/bench.mjs), not tests.
//
//   node --test tests/hostile/complexity.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './common.mjs';

const RUNS = 7;
const CEILING_MS = 5000;
const MAX_RATIO = 10;

async function growth(t, what, n) {
  const run = await runScenario('complexity', { what, sizes: [n, 4 * n], runs: RUNS, ceilingMs: CEILING_MS }, { timeoutMs: 90000 });
  const lines = run.lines.filter((l) => l.n !== undefined);
  const best = (size) => Math.min(...lines.filter((l) => l.n === size).map((l) => l.ms));
  const slow = lines.find((l) => l.ms > CEILING_MS);
  assert.equal(slow, undefined, `${what} of ${slow?.n} took ${slow?.ms.toFixed(0)} ms`);
  assert.ok(!run.timedOut && run.exitCode === 0, `the scenario did not finish: ${run.stderr.slice(-500)}`);
  assert.equal(lines.length, 2 * RUNS);
  const ratio = best(4 * n) / best(n);
  t.diagnostic(`${what}: n=${n} ${best(n).toFixed(2)} ms, 4n=${4 * n} ${best(4 * n).toFixed(2)} ms, ratio ${ratio.toFixed(2)}`);
  assert.ok(ratio < MAX_RATIO, `time(4n)/time(n) = ${ratio.toFixed(1)} (n log n ≈ 4-5, n² ≈ 16)`);
  return lines.filter((l) => l.run === 0);
}

test('parseVoteResponse: 10,000 → 40,000 answers grows n log n, answers in order (sort, then id)', async (t) => {
  const firstRuns = await growth(t, 'decode', 10_000);
  for (const l of firstRuns) {
    assert.equal(l.answers, l.n);
    assert.ok(l.ordered, `${l.n} answers out of order`);
  }
});

test('percentages: 25,000 → 100,000 counts grows n log n, and they sum to 100', async (t) => {
  const firstRuns = await growth(t, 'percentages', 25_000);
  for (const l of firstRuns) {
    assert.equal(l.counts, l.n);
    assert.equal(l.sum, 100, `${l.n} counts`);
  }
});
