// The app inside a Bitrix24 frame: a stand-in BX24 (injected before the app's script)
// whose placement is IM_CONTEXT_MENU with a messageId. The app must call the portal with
// the frame's token (not a webhook), address the poll by the message, and fit the frame.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEMO_POLL,
  IM_ENTITY_TYPE,
  buttons,
  library,
  openPage,
  readPoll,
  restParams,
  screenshot,
  seededVotes,
  settled,
  withPortalAndBrowser,
} from "./helpers.mjs";

let portal;
let browser;
const lib = library();

withPortalAndBrowser((started) => ({ portal, browser } = started));

// Runs in the page before any of its scripts: a BX24.js look-alike that records calls.
function standInBx24({ token, domain, placement }) {
  const calls = { init: 0, getAuth: 0, refreshAuth: 0, fitWindow: 0 };
  const auth = {
    access_token: token,
    domain,
    expires_in: Date.now() + 3600 * 1000,
    member_id: "e2e-member",
    refresh_token: "unused",
  };
  window.__bx24calls = calls;
  window.BX24 = {
    init(cb) {
      calls.init++;
      setTimeout(cb, 10);
    },
    getAuth() {
      calls.getAuth++;
      return auth;
    },
    refreshAuth(cb) {
      calls.refreshAuth++;
      setTimeout(() => cb(auth), 0);
    },
    placement: {
      info: () => placement,
    },
    fitWindow(cb) {
      calls.fitWindow++;
      if (cb) cb();
    },
    resizeWindow() {},
  };
}

const params = restParams;

async function openInFrame(created, { user = 1, width = 320, placement } = {}) {
  const { accessToken } = await portal.admin("/_emulator/tokens", { user, ttlSeconds: 3600 });
  const opened = await openPage(browser, {
    width,
    height: 640,
    initScript: {
      fn: standInBx24,
      arg: {
        token: accessToken,
        // BX24 gives a bare host in a real portal; the library also takes a scheme, which
        // is how it reaches the plain-http emulator.
        domain: portal.url,
        placement: placement ?? {
          placement: "IM_CONTEXT_MENU",
          options: { messageId: String(created.entityId), dialogId: `chat${created.chatId}` },
        },
      },
    },
  });
  const rest = [];
  opened.page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/rest/") && r.method() === "POST") rest.push(r);
  });
  // No query string: the app must find everything through BX24.
  await opened.page.goto(`${portal.url}/`);
  await settled(opened.page);
  return { ...opened, rest, accessToken };
}

const fitCalls = (page) => page.evaluate(() => window.__bx24calls.fitWindow);

test("IM_CONTEXT_MENU: frame auth, the message addresses the poll, the frame is fitted", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context, events, rest, accessToken } = await openInFrame(created);

  assert.ok(await page.evaluate(() => window.__bx24calls.init) >= 1, "BX24.init was used");
  assert.equal(await page.isVisible("#connect-box"), false, "no webhook form inside a frame");

  // The poll is the demo poll, as the library computes it.
  const votes = seededVotes(DEMO_POLL);
  const rows = await readPoll(page);
  assert.deepEqual(rows.map((r) => r.id), created.questions[0].answers);
  assert.deepEqual(rows.map((r) => r.percent), Array.from(lib.percentages(votes, { multiple: false })));

  // One get, to /rest/<method> (not a webhook path), with the frame's token and the entity.
  assert.equal(rest.length, 1);
  const get = rest[0];
  assert.match(new URL(get.url()).pathname, /^\/rest\/vote\.AttachedVote\.get(\.json)?$/i);
  const p = params(get);
  assert.equal(p.auth, accessToken);
  assert.equal(String(p.moduleId), "im");
  assert.equal(p.entityType, IM_ENTITY_TYPE);
  assert.equal(String(p.entityId), String(created.entityId));
  assert.equal(p.attachId, undefined);
  assert.ok(await page.evaluate(() => window.__bx24calls.getAuth) >= 1);

  const fittedAfterLoad = await fitCalls(page);
  assert.ok(fittedAfterLoad >= 1, "fitWindow after the first drawing");

  // User 1 (the author, through the token) votes; the frame is fitted again.
  await page.getByRole("radio", { name: "Friday afternoon" }).check();
  await page.click("#vote");
  await settled(page);
  assert.equal(rest.length, 2);
  assert.equal(params(rest[1]).auth, accessToken);
  assert.deepEqual(await buttons(page), { recall: true, stop: true, refresh: true });
  assert.ok((await fitCalls(page)) > fittedAfterLoad, "fitWindow after a change");
  const mine = (await readPoll(page)).filter((r) => r.mine).map((r) => r.id);
  assert.deepEqual(mine, [created.questions[0].answers[3]]);

  const state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.ok(state.ballots.some((b) => b.user === 1), "the vote was the token user's");

  await screenshot(page, "frame-320.png");

  // Once the portal is known, the page may connect only to itself and the portal: the
  // same emulator under another host name is now refused by CSP.
  const blocked = await page.evaluate(async (other) => {
    let violated = false;
    document.addEventListener("securitypolicyviolation", () => (violated = true));
    try {
      await fetch(other);
      return { fetched: true, violated };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
      return { fetched: false, violated };
    }
  }, portal.url.replace("127.0.0.1", "localhost") + "/_emulator/stats");
  assert.deepEqual(blocked, { fetched: false, violated: true });

  assert.deepEqual(events.dialogs, []);
  assert.deepEqual(events.pageErrors, []);
  await context.close();
});

test("another placement with an attachId option; a message without a poll reads clearly", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const sidebar = await openInFrame(created, {
    width: 1024,
    placement: { placement: "IM_SIDEBAR", options: { attachId: String(created.attachId), dialogId: "chat1" } },
  });
  assert.equal(String(params(sidebar.rest[0]).attachId), String(created.attachId));
  assert.equal((await readPoll(sidebar.page)).length, DEMO_POLL.questions[0].answers.length);
  await sidebar.context.close();

  const noPoll = await openInFrame(created, {
    placement: { placement: "IM_CONTEXT_MENU", options: { messageId: "999999", dialogId: "chat1" } },
  });
  assert.match(await noPoll.page.textContent("#error-text"), /message has no poll/);
  assert.ok((await fitCalls(noPoll.page)) >= 1, "fitWindow after the error");
  await noPoll.context.close();

  const nothing = await openInFrame(created, { placement: { placement: "DEFAULT", options: {} } });
  assert.match(await nothing.page.textContent("#frame-hint"), /menu of a chat message/);
  assert.equal(nothing.rest.length, 0);
  await nothing.context.close();
});

test("in a frame, error texts never mention a webhook (a bad portal domain)", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { accessToken } = await portal.admin("/_emulator/tokens", { user: 1, ttlSeconds: 3600 });
  const { page, context } = await openPage(browser, {
    width: 320,
    initScript: {
      fn: standInBx24,
      arg: {
        token: accessToken,
        domain: "not a host name!",
        placement: { placement: "IM_CONTEXT_MENU", options: { messageId: String(created.entityId) } },
      },
    },
  });
  await page.goto(`${portal.url}/`);
  await settled(page);
  assert.equal(await page.isVisible("#error"), true);
  assert.match(await page.textContent("#error-code"), /INVALID_ARGUMENT/);
  assert.match(await page.textContent("#error-text"), /portal address given by Bitrix24/);
  assert.doesNotMatch(await page.textContent("#error"), /webhook/i);
  await context.close();
});

test("install.html binds IM_CONTEXT_MENU to index.html, then finishes the installation", async () => {
  const { page, context, events } = await openPage(browser, {
    width: 1024,
    initScript: {
      fn: (alreadyBound) => {
        window.__install = { calls: [], finished: 0 };
        window.BX24 = {
          init: (cb) => setTimeout(cb, 0),
          callMethod(method, params, cb) {
            window.__install.calls.push({ method, params });
            const error = alreadyBound ? "ERROR_PLACEMENT_HANDLER_ALREADY_BINDED: Handler already binded" : null;
            setTimeout(() => cb({ error: () => error, data: () => !alreadyBound }), 0);
          },
          installFinish() {
            window.__install.finished++;
          },
        };
      },
      arg: false,
    },
  });
  await page.goto(`${portal.url}/install.html?DOMAIN=example.bitrix24.com&APP_SID=x`);
  await page.waitForSelector('#app[aria-busy="false"]');
  const install = await page.evaluate(() => window.__install);
  assert.deepEqual(install.calls.map((c) => c.method), ["placement.bind"]);
  const params = install.calls[0].params;
  assert.equal(params.PLACEMENT, "IM_CONTEXT_MENU");
  assert.equal(params.HANDLER, `${portal.url}/index.html`);
  assert.equal(params.TITLE, "Poll results");
  assert.equal(install.finished, 1);
  assert.match(await page.textContent("#install-status"), /^Done\./);
  assert.deepEqual(events.pageErrors, []);
  await context.close();
});
