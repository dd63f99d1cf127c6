// Issue 11, item 2: no JS exception escapes inside wasm. Hostile values
// (throwing getters, Proxies with throwing traps, revoked Proxies, arrays
// with a throwing item) as every argument, fake AbortSignals and misbehaving
// refresh callbacks each give a catchable B24VoteError, and the library
// keeps working afterwards. Each case runs in a child process, so a crash
// or a wedged module fails its test and not the whole file.
//
//   node --test tests/hostile/exceptions.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sendJson, authOf, GET_BODY, runScenario, assertScenarioExited } from './common.mjs';

const HOSTILE_INPUTS = 100_000;
let portal;
before(async () => {
  portal = await startServer();
});
after(() => portal?.close());

test(`${HOSTILE_INPUTS.toLocaleString('en-US')} hostile arguments each give a B24VoteError INVALID_ARGUMENT, and good calls work afterwards`, async () => {
  const run = await runScenario('hostile-arguments', { portal: portal.origin, count: HOSTILE_INPUTS }, { timeoutMs: 240000 });
  assertScenarioExited(assert, run);
  const report = run.result;
  assert.equal(report.total, HOSTILE_INPUTS);
  assert.deepEqual(report.wrong, {}, `wrong outcomes, first ones: ${report.firstWrong.join('; ')}`);
  assert.equal(report.typed, HOSTILE_INPUTS);
  assert.deepEqual(report.percentagesAfter, [34, 33, 33]);
  assert.equal(report.getAfter, 1);
});

test('a fake AbortSignal as CallOptions.signal rejects with INVALID_ARGUMENT and does not crash the process', async () => {
  const run = await runScenario('fake-signal', { portal: portal.origin }, { timeoutMs: 60000 });
  assert.ok(!run.timedOut, 'the scenario hung');
  assert.equal(run.result?.uncaught, undefined, `an exception escaped: ${JSON.stringify(run.result?.uncaught)}`);
  assertScenarioExited(assert, run);
  for (const [name, outcome] of Object.entries(run.result.outcomes)) {
    assert.equal(outcome.rejected?.name, 'B24VoteError', `${name}: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.rejected.code, 'INVALID_ARGUMENT', name);
  }
  assert.deepEqual(run.result.after, { ok: 1 }, 'a good call afterwards');
});

/** 401 expired_token to any token but GOOD (fact sheet §3.4: what the portal says). */
async function expiringPortal() {
  return startServer((req, res, body) => {
    if (authOf(body) === 'GOOD') sendJson(res, 200, GET_BODY);
    else sendJson(res, 401, { error: 'expired_token', error_description: 'The access token provided has expired.' });
  });
}

for (const mode of ['throws', 'thenable with a throwing then getter', 'Promise with a throwing then getter', 'Promise with a throwing constructor getter']) {
  test(`refresh callback: ${mode} → AUTH_REFRESH_FAILED, and the same client recovers once it behaves`, async () => {
    const expiring = await expiringPortal();
    try {
      const run = await runScenario('refresh', { portal: expiring.origin, mode }, { timeoutMs: 60000 });
      assert.ok(!run.timedOut, 'the scenario hung');
      assert.equal(run.result?.uncaught, undefined, `an exception escaped: ${JSON.stringify(run.result?.uncaught)}`);
      assertScenarioExited(assert, run);
      for (const outcome of run.result.failing) {
        assert.equal(outcome.error?.name, 'B24VoteError', JSON.stringify(outcome));
        assert.equal(outcome.error.code, 'AUTH_REFRESH_FAILED', JSON.stringify(outcome));
      }
      assert.deepEqual(run.result.recovered, { ok: 1 }, 'the next call on the same client');
      assert.equal(expiring.requests.filter((r) => authOf(r.body) === 'GOOD').length, 1, 'one request with the new token');
    } finally {
      await expiring.close();
    }
  });
}
