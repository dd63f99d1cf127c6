// Issue 11, item 1: redirects are never followed. A portal that answers
// 301/302/303/307/308 with a Location on another origin gets a call that
// rejects REDIRECT_REFUSED, not retried, and the other origin receives
// nothing: not the webhook code in the path, not the token in the body.
//
//   node --test tests/hostile/redirects.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sendJson, GET_BODY, loadNodeBuild, assertB24, watchdog, errorTexts } from './common.mjs';

const { VoteClient } = loadNodeBuild();
const STATUSES = [301, 302, 303, 307, 308];
const HOOK_CODE = 'hookSECRET0042';
const ACCESS_TOKEN = 'tokenSECRET0042';
const TARGET_PATH = '/collect/deep/path';
const TARGET_QUERY = 'stolen=querySECRET';

// The other origin answers like a portal, so following it would succeed.
let elsewhere;
before(async () => {
  elsewhere = await startServer((req, res) => sendJson(res, 200, GET_BODY));
});
after(() => elsewhere?.close());

for (const status of STATUSES) {
  for (const kind of ['webhook', 'oauth']) {
    test(`${status} from the portal (${kind}): REDIRECT_REFUSED, not retried, nothing reaches the other origin`, async () => {
      const reachedBefore = elsewhere.requests.length;
      let requests = 0;
      const options = { rateLimit: false, timeoutMs: 10000, onRequest: () => requests++ };
      const server = await startServer((req, res) => {
        res.writeHead(status, { Location: `${elsewhere.origin}${TARGET_PATH}?${TARGET_QUERY}`, 'Content-Length': 0 });
        res.end();
      });
      const client =
        kind === 'webhook'
          ? VoteClient.webhook(`${server.origin}/rest/1/${HOOK_CODE}/`, options)
          : VoteClient.oauth({ domain: server.origin, accessToken: ACCESS_TOKEN, refreshToken: 'refreshSECRET0042' }, options);
      try {
        const outcome = await watchdog(client.get({ attachId: 1 }), 20000);
        assert.equal(elsewhere.requests.length - reachedBefore, 0, 'the other origin received a request');
        assert.ok(!outcome.hung, 'the call hung');
        assert.equal(outcome.ok, false, 'the call resolved');
        const { error } = outcome;
        assertB24(assert, error, 'REDIRECT_REFUSED');
        assert.equal(error.retryable, false);
        assert.equal(requests, 1, 'onRequest calls (a retry would make more)');
        assert.equal(server.requests.length, 1, 'requests the portal received');
        assert.equal(error.status, status);
        assert.ok(error.description.includes(elsewhere.origin), `the description names where the portal pointed: ${error.description}`);
        for (const text of errorTexts(error)) {
          for (const secret of [TARGET_PATH, 'stolen', 'querySECRET', HOOK_CODE, ACCESS_TOKEN, 'refreshSECRET0042']) {
            assert.ok(!text.includes(secret), `"${secret}" in ${text}`);
          }
        }
      } finally {
        client.free();
        await server.close();
      }
    });
  }
}
