// Issue 11, item 9: calls aborted while they wait in the client's rate
// limiter give back their place. With { burst: 1, perSecond: 0.5 }, one call
// takes the burst, 300 calls queue and are aborted, and a fresh call is then
// sent about one refill (2 s) later, not after the 300 × 2 s the aborted
// calls had reserved.
//
//   node --test tests/hostile/rate-limit.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loadNodeBuild, assertB24, rejection, watchdog } from './common.mjs';

const { VoteClient } = loadNodeBuild();
const ABORTED_CALLS = 300;
const REFILL_MS = 2000; // 1 / perSecond

test(`${ABORTED_CALLS} calls aborted in the rate limiter's queue give back their places`, async () => {
  const server = await startServer();
  const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { rateLimit: { burst: 1, perSecond: 0.5 }, retries: 0, timeoutMs: 30000 });
  try {
    assert.equal((await client.get({ attachId: 1 })).id, 1);
    const firstAt = server.requests[0].at;

    const controllers = Array.from({ length: ABORTED_CALLS }, () => new AbortController());
    const queued = controllers.map((c) => client.get({ attachId: 1 }, { signal: c.signal }));
    await new Promise((r) => setTimeout(r, 100));
    for (const c of controllers) c.abort();
    for (const call of queued) assertB24(assert, await rejection(call, 5000), 'ABORTED');
    assert.equal(server.requests.length, 1, 'an aborted call was sent');

    const fresh = await watchdog(client.get({ attachId: 1 }, { timeoutMs: 15000 }), 20000);
    assert.ok(!fresh.hung, 'the fresh call hung');
    assert.ok(fresh.ok, `the fresh call failed: ${fresh.error}`);
    assert.equal(server.requests.length, 2);
    const waited = server.requests[1].at - firstAt;
    // About one refill after the first call; generous for a loaded machine,
    // and far below the 300 × 2 s the aborted calls had taken.
    assert.ok(waited < 4 * REFILL_MS, `the fresh call was sent ${waited} ms after the first`);
  } finally {
    client.free();
    await server.close();
  }
});

test('the limiter still spaces calls after the aborted ones left (burst 1, 0.5/s)', async () => {
  const server = await startServer();
  const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { rateLimit: { burst: 1, perSecond: 0.5 }, retries: 0, timeoutMs: 30000 });
  try {
    const controller = new AbortController();
    const doomed = Array.from({ length: 50 }, () => client.get({ attachId: 1 }, { signal: controller.signal }));
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await Promise.allSettled(doomed);
    // The first of the 50 was sent at once (it had the burst); the rest were aborted.
    const results = await Promise.all([client.get({ attachId: 1 }), client.get({ attachId: 1 })]);
    assert.deepEqual(results.map((a) => a.id), [1, 1]);
    const times = server.requests.map((r) => r.at);
    assert.equal(times.length, 3, 'requests sent');
    // Not a free-for-all: the two fresh calls are still a refill apart.
    assert.ok(times[2] - times[1] >= REFILL_MS * 0.8, `gap ${times[2] - times[1]} ms`);
    assert.ok(times[2] - times[0] < 4 * REFILL_MS + 2000, `last sent ${times[2] - times[0]} ms after the first`);
  } finally {
    client.free();
    await server.close();
  }
});
