// Issue 11, item 7: messages are safe and readable. A portal that echoes the
// request into `error` and `error_description` cannot put the webhook code
// or a token into any text of the error; text taken from a response is cut
// to a bounded length and marked "[cut]"; redaction replaces whole tokens
// and never garbles words.
//
//   node --test tests/hostile/messages.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sendJson, loadNodeBuild, assertB24, rejection, errorTexts } from './common.mjs';

const { VoteClient, parseVoteResponse } = loadNodeBuild();
const HOOK_CODE = 'hookSECRET0042';
const ACCESS_TOKEN = 'SECRETTOKEN123';
const REFRESH_TOKEN = 'SECRETREFRESH456';
const MESSAGE_BOUND = 4096;

/** A portal that answers 400 with the request (path and form body) in both fields. */
const echoingPortal = () =>
  startServer((req, res, body) => {
    const echo = `${req.method} ${req.url} ${body}`;
    sendJson(res, 400, { error: echo, error_description: `bad request: ${echo}` });
  });

const options = { rateLimit: false, timeoutMs: 10000, retries: 0 };

for (const kind of ['webhook', 'oauth']) {
  test(`${kind}: a portal echoing the request leaks no secret into message, code, String, stack or JSON`, async () => {
    const server = await echoingPortal();
    const client =
      kind === 'webhook'
        ? VoteClient.webhook(`${server.origin}/rest/1/${HOOK_CODE}/`, options)
        : VoteClient.oauth({ domain: server.origin, accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN }, options);
    try {
      const sent = server.requests;
      const error = await rejection(client.get({ attachId: 1 }));
      assert.ok(sent.length === 1 && (sent[0].url.includes(HOOK_CODE) || sent[0].body.includes(ACCESS_TOKEN)), 'the echo holds the secret');
      assertB24(assert, error);
      for (const text of errorTexts(error)) {
        for (const secret of [HOOK_CODE, ACCESS_TOKEN, REFRESH_TOKEN]) assert.ok(!text.includes(secret), `${secret} in: ${text}`);
      }
      // The rest of the echo is still there to read.
      assert.ok(error.description.includes('attachId=1'), error.description);
    } finally {
      client.free();
      await server.close();
    }
  });
}

const TEN_MB = 10 * 2 ** 20;

function assertBounded(error) {
  assertB24(assert, error);
  assert.ok(error.message.length < MESSAGE_BOUND, `message of ${error.message.length} characters`);
  assert.ok(error.message.includes('[cut]'), `the cut is not marked: ${error.message.slice(-200)}`);
  assert.ok(String(error.code).length < MESSAGE_BOUND, `code of ${String(error.code).length} characters`);
  assert.ok(String(error.description).length < MESSAGE_BOUND, `description of ${String(error.description).length} characters`);
  assert.ok(error.stack.length < 4 * MESSAGE_BOUND, `stack of ${error.stack.length} characters`);
}

test('a 10 MB error and error_description are cut to a bounded message marked [cut] (parseVoteResponse)', () => {
  for (const body of [
    { error: 'E'.repeat(TEN_MB), error_description: 'short' },
    { error: 'SHORT', error_description: 'd'.repeat(TEN_MB) },
    { error: 'E'.repeat(TEN_MB), error_description: 'd'.repeat(TEN_MB) },
  ]) {
    let error;
    try {
      parseVoteResponse(JSON.stringify(body));
    } catch (e) {
      error = e;
    }
    assertBounded(error);
  }
});

test('a 10 MB error_description from the portal is cut to a bounded message marked [cut] (client)', async () => {
  const server = await startServer((req, res) => sendJson(res, 400, { error: 'E'.repeat(TEN_MB), error_description: 'd'.repeat(TEN_MB) }));
  const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { ...options, maxResponseBytes: 64 * 2 ** 20 });
  try {
    assertBounded(await rejection(client.get({ attachId: 1 })));
  } finally {
    client.free();
    await server.close();
  }
});

test('redaction never garbles words: one-letter tokens and webhook codes leave "the request failed" intact', async () => {
  const server = await startServer((req, res) => sendJson(res, 400, { error: 'INVALID_REQUEST', error_description: 'the request failed' }));
  const clients = {
    'oauth t/r': VoteClient.oauth({ domain: server.origin, accessToken: 't', refreshToken: 'r' }, options),
    'webhook e': VoteClient.webhook(`${server.origin}/rest/1/e/`, options),
  };
  try {
    for (const [name, client] of Object.entries(clients)) {
      const error = await rejection(client.get({ attachId: 1 }));
      assertB24(assert, error, 'INVALID_REQUEST');
      assert.ok(error.message.includes('the request failed'), `${name}: ${error.message}`);
      assert.equal(error.description, 'the request failed', name);
    }
  } finally {
    for (const client of Object.values(clients)) client.free();
    await server.close();
  }
});
