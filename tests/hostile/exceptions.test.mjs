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
import {
  startServer, authOf, runScenario, assertScenarioExited, assertHostileReport, assertFakeSignals, assertRefreshRecovers, expiringPortalHandler,
} from './common.mjs';
import { MISBEHAVING_REFRESH } from './hostile-values.mjs';

const HOSTILE_INPUTS = 100_000;
let portal;
before(async () => {
  portal = await startServer();
});
after(() => portal?.close());

test(`${HOSTILE_INPUTS.toLocaleString('en-US')} hostile arguments each give a B24VoteError INVALID_ARGUMENT, and good calls work afterwards`, async () => {
  const run = await runScenario('hostile-arguments', { portal: portal.origin, count: HOSTILE_INPUTS }, { timeoutMs: 240000 });
  assertScenarioExited(assert, run);
  assertHostileReport(assert, run.result, HOSTILE_INPUTS);
});

test('a fake AbortSignal as CallOptions.signal rejects with INVALID_ARGUMENT and does not crash the process', async () => {
  const run = await runScenario('fake-signal', { portal: portal.origin }, { timeoutMs: 60000 });
  assert.ok(!run.timedOut, 'the scenario hung');
  assert.equal(run.result?.uncaught, undefined, `an exception escaped: ${JSON.stringify(run.result?.uncaught)}`);
  assertScenarioExited(assert, run);
  assertFakeSignals(assert, run.result);
});

for (const mode of Object.keys(MISBEHAVING_REFRESH)) {
  test(`refresh callback: ${mode} → AUTH_REFRESH_FAILED, and the same client recovers once it behaves`, async () => {
    const expiring = await startServer(expiringPortalHandler);
    try {
      const run = await runScenario('refresh', { portal: expiring.origin, mode }, { timeoutMs: 60000 });
      assert.ok(!run.timedOut, 'the scenario hung');
      assert.equal(run.result?.uncaught, undefined, `an exception escaped: ${JSON.stringify(run.result?.uncaught)}`);
      assertScenarioExited(assert, run);
      assertRefreshRecovers(assert, run.result);
      assert.equal(expiring.requests.filter((r) => authOf(r.body) === 'GOOD').length, 1, 'one request with the new token');
    } finally {
      await expiring.close();
    }
  });
}
