// Security: plain-http portals are refused before anything is sent, loopback
// is allowed, and a frame whose refreshAuth never answers cannot hang a call.
//
//   node --test tests/reliability/security.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, adminClient, loadNodeBuild, watchdog } from './common.mjs';

const { VoteClient } = loadNodeBuild();
let portal;
let api;
before(async () => {
  portal = await startPortal();
  api = adminClient(portal.url);
});
after(async () => {
  await portal?.stop();
});

/** Counts the library's fetches (it binds the global `fetch` at call time). */
function countingFetch() {
  const real = globalThis.fetch;
  const seen = [];
  globalThis.fetch = (input, init) => {
    seen.push(String(input?.url ?? input));
    return real(input, init);
  };
  return { seen, restore: () => (globalThis.fetch = real) };
}

test('transport: a plain-http portal that is not loopback is refused without sending anything', async () => {
  const spy = countingFetch();
  try {
    for (const url of ['http://portal.example/rest/1/x/', 'http://10.0.0.5/rest/1/secretcode/', 'http://127.0.0.1.example.com/rest/1/x/']) {
      let error;
      try {
        const client = VoteClient.webhook(url, {});
        // If construction were allowed, a call must not reach the network either.
        error = await client.get({ attachId: 1 }).then(() => null, (e) => e);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof Error, `${url} was accepted`);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.ok(!String(error).includes('secretcode'));
    }
    assert.deepEqual(spy.seen, [], 'nothing was sent');
  } finally {
    spy.restore();
  }
});

test('transport: loopback over plain http is allowed', async () => {
  const port = new URL(portal.url).port;
  for (const host of ['127.0.0.1', 'localhost']) {
    const client = VoteClient.webhook(`http://${host}:${port}/rest/1/hook1/`, { rateLimit: false });
    const attach = await client.get({ attachId: 1 });
    assert.equal(attach.id, 1);
    client.free();
  }
});

test('frame: a refreshAuth that never answers is bounded by a timeout', async () => {
  const expired = await api.token({ user: 1, ttlSeconds: 0 });
  let refreshCalls = 0;
  const bx24 = {
    getAuth: () => ({ access_token: expired.accessToken, refresh_token: expired.refreshToken, domain: portal.url }),
    refreshAuth: () => {
      refreshCalls++; // never calls back
    },
  };
  // With a call timeout: settles with TIMEOUT at about that bound.
  const client = VoteClient.frame(bx24, { rateLimit: false });
  let t0 = performance.now();
  let outcome = await watchdog(client.get({ attachId: 1 }, { timeoutMs: 1500 }), 15000);
  let ms = performance.now() - t0;
  assert.ok(!outcome.hung, 'the call hung');
  assert.equal(outcome.ok, false);
  assert.equal(outcome.error.code, 'TIMEOUT');
  assert.ok(ms < 5000, `settled after ${ms} ms`);
  assert.ok(refreshCalls >= 1, 'refreshAuth was asked');
  // Without one: the library's own refresh bound (10 s) ends it.
  t0 = performance.now();
  outcome = await watchdog(client.get({ attachId: 1 }), 25000);
  ms = performance.now() - t0;
  assert.ok(!outcome.hung, 'the call hung');
  assert.equal(outcome.ok, false);
  assert.ok(outcome.error instanceof Error && outcome.error.name === 'B24VoteError');
  assert.ok(!JSON.stringify(outcome.error).includes(expired.accessToken));
  console.log(`frame: never-answering refreshAuth -> ${outcome.error.code} after ${Math.round(ms)} ms`);
  client.free();
});

test('traffic: auth never travels in a URL query string', async () => {
  const stats = await api.stats();
  assert.ok(stats.requests > 0);
  assert.equal(stats.authInQuery, 0);
});
