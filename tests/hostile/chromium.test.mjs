// Issue 11 in Chromium, where a browser differs from Node: redirects
// (item 1: fetch sees an opaque redirect, so status may be 0 and no
// Location is shown), and JS exceptions inside wasm (item 2: in a page an
// escaped exception leaves the call unsettled instead of crashing a
// process). The page loads the web build (pkg/web) and hostile-values.mjs
// from a local server that also plays the portal.
//
//   node --test tests/hostile/chromium.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.mjs';
import {
  ROOT, startServer, sendJson, authOf, answerLikeAPortal, GET_BODY, assertFakeSignals, assertRefreshRecovers, assertHostileReport, expiringPortalHandler,
} from './common.mjs';
import { MISBEHAVING_REFRESH } from './hostile-values.mjs';

const PKG_WEB = process.env.B24_E2E_PKG_WEB || path.join(ROOT, 'pkg/web');
const HOSTILE_INPUTS = 20_000; // well past the 4,096 that wedged the module
const STATUSES = [301, 302, 303, 307, 308];
const HOOK_CODE = 'hookSECRET0042';
const ACCESS_TOKEN = 'tokenSECRET0042';
const CORS = { 'Access-Control-Allow-Origin': '*' };

const PAGE = `<!doctype html><meta charset="utf-8"><title>hostile</title>
<script type="module">
import init, * as lib from "/pkg/b24_vote.js";
import * as hostile from "/hostile-values.mjs";
await init();
Object.assign(window, { lib, hostile, ready: true });
</script>`;

const FILES = {
  '/pkg/b24_vote.js': [path.join(PKG_WEB, 'b24_vote.js'), 'text/javascript'],
  '/pkg/b24_vote_bg.wasm': [path.join(PKG_WEB, 'b24_vote_bg.wasm'), 'application/wasm'],
  '/hostile-values.mjs': [path.join(ROOT, 'tests/hostile/hostile-values.mjs'), 'text/javascript'],
};

/** The page's origin: the page, the web build, and a portal (tokens other than GOOD have expired). */
function pageServer(req, res, body) {
  if (req.method === 'GET') {
    if (req.url === '/') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    const file = FILES[req.url];
    if (!file) return void res.writeHead(404).end();
    return void res.writeHead(200, { 'Content-Type': file[1] }).end(fs.readFileSync(file[0]));
  }
  if (authOf(body) !== null) return expiringPortalHandler(req, res, body);
  return answerLikeAPortal(req, res);
}

let site;
let elsewhere;
let browser;
let page;
const pageErrors = [];
before(async () => {
  if (!fs.existsSync(FILES['/pkg/b24_vote.js'][0])) throw new Error('pkg/web is missing: run make build');
  site = await startServer(pageServer);
  // The other origin answers like a portal, with CORS, so following a redirect to it would succeed.
  elsewhere = await startServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    sendJson(res, 200, GET_BODY);
  });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
});
after(async () => {
  await browser?.close();
  await site?.close();
  await elsewhere?.close();
});

for (const status of STATUSES) {
  for (const kind of ['webhook', 'oauth']) {
    test(`Chromium, ${status} from the portal (${kind}): REDIRECT_REFUSED, not retried, nothing reaches the other origin`, async () => {
      // A cross-origin portal that sends CORS headers, as a real one does.
      const portal = await startServer((req, res) => {
        res.writeHead(status, { ...CORS, Location: `${elsewhere.origin}/collect/deep/path?stolen=1`, 'Content-Length': 0 });
        res.end();
      });
      const reachedBefore = elsewhere.requests.length;
      try {
        const outcome = await page.evaluate(
          async ({ origin, kind, code, token }) => {
            let requests = 0;
            const options = { rateLimit: false, timeoutMs: 10000, onRequest: () => requests++ };
            const client =
              kind === 'webhook'
                ? lib.VoteClient.webhook(`${origin}/rest/1/${code}/`, options)
                : lib.VoteClient.oauth({ domain: origin, accessToken: token }, options);
            const settled = client.get({ attachId: 1 }).then(
              (v) => ({ resolved: v.id }),
              (e) => ({
                error: { name: e.name, code: e.code, status: e.status, retryable: e.retryable },
                texts: [e.message, String(e), String(e.stack), JSON.stringify(e), String(e.description)],
              }),
            );
            const outcome = await Promise.race([settled, new Promise((r) => setTimeout(() => r({ hung: true }), 15000))]);
            return { ...outcome, requests };
          },
          { origin: portal.origin, kind, code: HOOK_CODE, token: ACCESS_TOKEN },
        );
        assert.equal(elsewhere.requests.length - reachedBefore, 0, 'the other origin received a request');
        assert.ok(!outcome.hung, 'the call never settled');
        assert.equal(outcome.resolved, undefined, 'the call resolved');
        assert.equal(outcome.error.name, 'B24VoteError', JSON.stringify(outcome));
        assert.equal(outcome.error.code, 'REDIRECT_REFUSED');
        assert.equal(outcome.error.retryable, false);
        assert.equal(outcome.requests, 1, 'onRequest calls');
        assert.ok([0, status].includes(outcome.error.status), `status ${outcome.error.status}`);
        for (const text of outcome.texts) {
          for (const secret of [HOOK_CODE, ACCESS_TOKEN, '/collect/deep/path', 'stolen']) assert.ok(!text.includes(secret), `"${secret}" in ${text}`);
        }
      } finally {
        await portal.close();
      }
    });
  }
}

test('Chromium: a fake AbortSignal rejects with INVALID_ARGUMENT, and nothing escapes to the page', async () => {
  const errorsBefore = pageErrors.length;
  const result = await page.evaluate((url) => hostile.fakeSignals(lib, url), `${site.origin}/rest/1/abc123/`);
  await page.waitForTimeout(200);
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'uncaught errors in the page');
  assertFakeSignals(assert, result);
});

for (const mode of Object.keys(MISBEHAVING_REFRESH)) {
  test(`Chromium, refresh callback: ${mode} → AUTH_REFRESH_FAILED, and the same client recovers`, async () => {
    const errorsBefore = pageErrors.length;
    const result = await page.evaluate(({ origin, mode }) => hostile.misbehavingRefresh(lib, origin, mode), { origin: site.origin, mode });
    await page.waitForTimeout(200);
    assert.deepEqual(pageErrors.slice(errorsBefore), [], 'uncaught errors in the page');
    assertRefreshRecovers(assert, result);
  });
}

test(`Chromium: ${HOSTILE_INPUTS.toLocaleString('en-US')} hostile arguments each give a B24VoteError INVALID_ARGUMENT, and good calls work afterwards`, async () => {
  const errorsBefore = pageErrors.length;
  const report = await page.evaluate(
    async ({ origin, count }) => {
      const client = lib.VoteClient.webhook(`${origin}/rest/1/abc123/`, { rateLimit: false, retries: 0, timeoutMs: 5000 });
      const report = await hostile.feedHostileValues(lib, client, origin, count);
      try {
        report.percentagesAfter = lib.percentages([1, 1, 1]);
      } catch (e) {
        report.percentagesAfter = `threw ${e}`;
      }
      const good = lib.VoteClient.webhook(`${origin}/rest/1/abc123/`, { rateLimit: false, timeoutMs: 5000 });
      report.getAfter = await good.get({ attachId: 1 }).then((a) => a.id, (e) => `failed: ${e}`);
      return report;
    },
    { origin: site.origin, count: HOSTILE_INPUTS },
  );
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'uncaught errors in the page');
  assertHostileReport(assert, report, HOSTILE_INPUTS);
});
