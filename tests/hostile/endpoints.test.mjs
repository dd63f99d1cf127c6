// Issue 11, item 8: strict endpoints. A webhook URL is
// http(s)://host[:port]/rest/<digits>/<letters and digits>/; anything else
// throws INVALID_ARGUMENT from the factory and nothing is sent. Ports
// outside 1-65535 are refused up front. Unicode (IDN) hosts are accepted
// and requests go to their punycode form.
//
//   node --test tests/hostile/endpoints.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loadNodeBuild, assertB24, rejection } from './common.mjs';

const { VoteClient } = loadNodeBuild();
const options = { rateLimit: false, retries: 0, timeoutMs: 5000 };

let portal;
before(async () => {
  portal = await startServer();
});
after(() => portal?.close());

/** Webhook URLs on the local portal that must be refused. */
const badWebhooks = (o) => ({
  'non-digit user': `${o}/rest/x/abc123/`,
  'user with a letter': `${o}/rest/1a/abc123/`,
  'negative user': `${o}/rest/-1/abc123/`,
  'code with a dash': `${o}/rest/1/abc-123/`,
  'code with an underscore': `${o}/rest/1/abc_123/`,
  'code with a dot': `${o}/rest/1/abc.123/`,
  'code with a percent escape': `${o}/rest/1/ab%41c/`,
  '? after the code': `${o}/rest/1/abc123?x=1`,
  '? after the slash': `${o}/rest/1/abc123/?x=1`,
  '# after the code': `${o}/rest/1/abc123#frag`,
  '# after the slash': `${o}/rest/1/abc123/#frag`,
  '.. as the code': `${o}/rest/1/../`,
  '.. as the user': `${o}/rest/../abc123/`,
  '%2e%2e as the code': `${o}/rest/1/%2e%2e/`,
  '%2E%2E as the code': `${o}/rest/1/%2E%2E/`,
  'backslash after the code': `${o}/rest/1/abc123\\`,
  'backslashes as separators': `${o}\\rest\\1\\abc123\\`,
  'backslash in the code': `${o}/rest/1/abc\\123/`,
  'space in the code': `${o}/rest/1/abc 123/`,
  'space after the user': `${o}/rest/1 /abc123/`,
  'NUL in the code': `${o}/rest/1/abc\u0000123/`,
  'tab in the code': `${o}/rest/1/abc\t123/`,
  'extra path segment': `${o}/rest/1/abc123/x/`,
  'two extra segments': `${o}/rest/1/abc123/x/y`,
  'empty code': `${o}/rest/1//`,
});

test('malformed webhook URLs throw INVALID_ARGUMENT from the factory, and nothing is sent', async () => {
  const accepted = [];
  for (const [name, url] of Object.entries(badWebhooks(portal.origin))) {
    let client;
    let error;
    try {
      client = VoteClient.webhook(url, options);
    } catch (e) {
      error = e;
    }
    if (client) {
      // Where would it have gone? Sent only to report it; the test fails either way.
      const sentBefore = portal.requests.length;
      await client.get({ attachId: 1 }).catch(() => {});
      client.free();
      accepted.push(`${name}: ${JSON.stringify(url)} → ${portal.requests.length > sentBefore ? portal.requests.at(-1).url : 'nothing sent'}`);
      continue;
    }
    assertB24(assert, error, 'INVALID_ARGUMENT', `${name}:`);
    assert.ok(!error.message.includes('abc123'), `${name}: the message quotes the code: ${error.message}`);
  }
  assert.deepEqual(accepted, [], 'accepted');
});

test('ports outside 1-65535 are refused up front (webhook and oauth)', () => {
  for (const port of [0, 65536, 70000, 99999999]) {
    for (const make of [
      () => VoteClient.webhook(`http://127.0.0.1:${port}/rest/1/abc123/`, options),
      () => VoteClient.oauth({ domain: `http://127.0.0.1:${port}`, accessToken: 'x' }, options),
      () => VoteClient.oauth({ domain: `https://portal.example:${port}`, accessToken: 'x' }, options),
    ]) {
      let error;
      try {
        make().free();
      } catch (e) {
        error = e;
      }
      assertB24(assert, error, 'INVALID_ARGUMENT', `port ${port}:`);
    }
  }
});

test('valid webhook URLs still work, with and without the trailing slash', async () => {
  for (const url of [`${portal.origin}/rest/1/abc123/`, `${portal.origin}/rest/1/abc123`, `${portal.origin}/rest/42/ABCdef789/`]) {
    const sentBefore = portal.requests.length;
    const client = VoteClient.webhook(url, options);
    try {
      assert.equal((await client.get({ attachId: 1 })).id, 1, url);
      const sent = portal.requests.slice(sentBefore);
      assert.equal(sent.length, 1);
      const path = new URL(url).pathname.replace(/\/?$/, '/');
      assert.equal(sent[0].url, `${path}vote.AttachedVote.get`);
    } finally {
      client.free();
    }
  }
});

/**
 * Replaces fetch for one call: records where the library sends and answers
 * from the local portal instead (the IDN host does not resolve here).
 */
async function withFetchTo(origin, work) {
  const real = globalThis.fetch;
  const seen = [];
  globalThis.fetch = (input, init) => {
    const url = new URL(String(input?.url ?? input));
    seen.push(url.href);
    return real(`${origin}${url.pathname}${url.search}`, init);
  };
  try {
    await work();
  } finally {
    globalThis.fetch = real;
  }
  return seen;
}

test('IDN hosts are accepted; requests go to the punycode host (oauth domain and webhook)', async () => {
  const PUNYCODE = 'xn--e1afmkfd.xn--80akhbyknj4f';
  const makers = {
    'oauth domain': () => VoteClient.oauth({ domain: 'пример.испытание', accessToken: 'x' }, options),
    'oauth https domain': () => VoteClient.oauth({ domain: 'https://ПРИМЕР.испытание/', accessToken: 'x' }, options),
    webhook: () => VoteClient.webhook('https://пример.испытание/rest/1/abc123/', options),
  };
  for (const [name, make] of Object.entries(makers)) {
    let client;
    assert.doesNotThrow(() => (client = make()), name);
    const seen = await withFetchTo(portal.origin, async () => {
      assert.equal((await client.get({ attachId: 1 })).id, 1, name);
    });
    client.free();
    assert.equal(seen.length, 1, name);
    const url = new URL(seen[0]);
    assert.equal(url.protocol, 'https:', name);
    assert.equal(url.host, PUNYCODE, name);
    assert.match(url.pathname, /^\/rest\/(1\/abc123\/)?vote\.AttachedVote\.get$/, name);
  }
});

test('an IDN host that does not resolve fails as a network error, not as a bad argument', async () => {
  const client = VoteClient.oauth({ domain: 'пример.испытание', accessToken: 'x' }, { ...options, timeoutMs: 15000 });
  try {
    const error = await rejection(client.get({ attachId: 1 }), 20000);
    assertB24(assert, error);
    assert.notEqual(error.code, 'INVALID_ARGUMENT');
  } finally {
    client.free();
  }
});
