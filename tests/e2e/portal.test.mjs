// The app inside the emulated portal (b24-portal's /portal/ page), with the official
// SDK's frame client (@bitrix24/b24jssdk initializeB24Frame). The portal page and the
// app are on different origins (two ports), as in a real deployment: the page opens
// the app from a poll message's menu with a form POST, and everything the app learns
// (token, placement, portal address) and every refresh goes through postMessage.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  B24JSSDK_UMD,
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
// The library's own bound on a frame refresh (REFRESH_TIMEOUT_MS), plus slack.
const REFRESH_BOUND_MS = 10_000;

withPortalAndBrowser(
  async (started) => {
    ({ portal, browser } = started);
    assert.notEqual(new URL(portal.appOrigin).origin, new URL(portal.url).origin);
    await portal.admin("/_emulator/apps", {
      handler: `${portal.appOrigin}/index.html`,
      placement: "IM_CONTEXT_MENU",
      title: "Poll results",
    });
  },
  ["--app-listen", "127.0.0.1:0", "--static", `/vendor/b24jssdk=${B24JSSDK_UMD}`],
);

const params = restParams;

/**
 * Opens the portal page as `user`, opens "Poll results" from the menu of the poll's
 * message, and waits until the app in the frame has settled.
 */
async function openInPortal(created, { user = 1, width = 1280, height = 900, query = {} } = {}) {
  const opened = await openPage(browser, { width, height });
  const { page } = opened;
  const rest = [];
  const handlerPosts = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/rest/") && r.method() === "POST") rest.push(r);
    if (url.origin === portal.appOrigin && url.pathname === "/index.html") handlerPosts.push(r);
  });
  const q = new URLSearchParams({ user: String(user), chat: String(created.chatId), ...query });
  await page.goto(`${portal.url}/portal/?${q}`);
  const message = page.locator(`li[data-attach-id="${created.attachId}"]`);
  await message.locator(".menu-button").click();
  await page.getByRole("menuitem", { name: "Poll results" }).click();
  const iframe = await page.waitForSelector("iframe.app-frame");
  const frame = await iframe.contentFrame();
  await frame.waitForURL(`${portal.appOrigin}/index.html?**`);
  await settled(frame);
  return { ...opened, frame, iframe, rest, handlerPosts };
}

const resizes = (iframe) => iframe.evaluate((f) => Number(f.dataset.resizes));

test("init in the portal: form POST, window.name, b24jssdk's init data, the poll by message id, fitWindow", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context, events, frame, iframe, rest, handlerPosts } = await openInPortal(created);

  // The portal shows the poll in the chat, as text.
  const bubble = page.locator(`li[data-attach-id="${created.attachId}"]`);
  assert.equal(await bubble.locator(".poll-question").textContent(), DEMO_POLL.questions[0].text);

  // Opened like a portal opens a placement: one POST with the placement fields.
  assert.equal(handlerPosts.length, 1);
  const post = handlerPosts[0];
  assert.equal(post.method(), "POST");
  const sent = Object.fromEntries(new URLSearchParams(post.postData()));
  const url = new URL(post.url());
  assert.equal(url.searchParams.get("DOMAIN"), new URL(portal.url).host);
  assert.equal(url.searchParams.get("PROTOCOL"), "0");
  assert.match(url.searchParams.get("APP_SID"), /^[0-9a-f]{32}$/);
  assert.equal(sent.PLACEMENT, "IM_CONTEXT_MENU");
  assert.deepEqual(JSON.parse(sent.PLACEMENT_OPTIONS), { messageId: String(created.entityId), dialogId: `chat${created.chatId}` });
  for (const field of ["AUTH_ID", "AUTH_EXPIRES", "REFRESH_ID", "member_id", "status"]) assert.ok(sent[field], field);

  // window.name as the official client reads it; the app used b24jssdk, not BX24.js.
  const name = await frame.evaluate(() => window.name);
  assert.equal(name, `${url.searchParams.get("DOMAIN")}|0|${url.searchParams.get("APP_SID")}`);
  assert.deepEqual(await frame.evaluate(() => [typeof window.B24Js?.initializeB24Frame, typeof window.BX24]), ["function", "undefined"]);

  // The poll came by the message id, with the frame's token, from the portal's origin.
  const rows = await readPoll(frame);
  assert.deepEqual(rows.map((r) => r.id), created.questions[0].answers);
  assert.deepEqual(rows.map((r) => r.percent), Array.from(lib.percentages(seededVotes(DEMO_POLL), { multiple: false })));
  assert.equal(rest.length, 1);
  assert.equal(new URL(rest[0].url()).origin, portal.url);
  const p = params(rest[0]);
  assert.equal(p.auth, sent.AUTH_ID);
  assert.equal(String(p.moduleId), "im");
  assert.equal(p.entityType, IM_ENTITY_TYPE);
  assert.equal(String(p.entityId), String(created.entityId));
  assert.equal(await frame.isVisible("#connect-box"), false);

  // fitWindow reached the parent, which sized the iframe to the app's content.
  assert.ok((await resizes(iframe)) >= 1, "resizeWindow after drawing");
  const [frameHeight, contentHeight] = await Promise.all([
    iframe.evaluate((f) => f.getBoundingClientRect().height),
    frame.evaluate(() => document.documentElement.scrollHeight),
  ]);
  assert.ok(frameHeight > 200, `the iframe grew from its initial 200 px (now ${frameHeight})`);
  assert.ok(Math.abs(frameHeight - contentHeight) <= 2, `iframe ${frameHeight} px vs content ${contentHeight} px`);

  const log = await page.evaluate(() => window.b24portal.state.log.filter((e) => e.dir === "in").map((e) => e.command));
  assert.ok(log.includes("getInitData") && log.includes("resizeWindow"), log.join(","));
  await screenshot(page, "portal-1280.png");
  assert.deepEqual(events.dialogs, []);
  assert.deepEqual(events.pageErrors, []);
  await context.close();
});

test("vote, recall, stop and resume inside the portal's frame", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { context, events, frame, iframe, rest } = await openInPortal(created);
  const before = await resizes(iframe);

  await frame.getByRole("radio", { name: "Friday afternoon" }).check();
  await frame.click("#vote");
  await settled(frame);
  assert.deepEqual(await buttons(frame), { recall: true, stop: true, refresh: true });
  let state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.deepEqual(state.ballots.find((b) => b.user === 1)?.answers, { [created.questions[0].id]: [created.questions[0].answers[3]] });
  assert.ok((await resizes(iframe)) > before, "fitted again after the vote");

  await frame.click("#recall");
  await settled(frame);
  state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.equal(state.ballots.some((b) => b.user === 1), false);

  await frame.click("#stop");
  await settled(frame);
  assert.equal((await portal.admin(`/_emulator/polls/${created.attachId}`)).isFinished, true);
  assert.match(await frame.textContent("#badges"), /Finished/);
  assert.deepEqual(await buttons(frame), { resume: true, refresh: true });

  await frame.click("#resume");
  await settled(frame);
  assert.equal((await portal.admin(`/_emulator/polls/${created.attachId}`)).isFinished, false);
  assert.match(await frame.textContent("#badges"), /Open/);

  const methods = rest.map((r) => new URL(r.url()).pathname.split("/").pop().replace(/\.json$/, ""));
  assert.deepEqual(methods, [
    "vote.AttachedVote.get",
    "vote.AttachedVote.vote",
    "vote.AttachedVote.recall",
    "vote.AttachedVote.stop",
    "vote.AttachedVote.get",
    "vote.AttachedVote.resume",
    "vote.AttachedVote.get",
  ]);
  assert.deepEqual(events.pageErrors, []);
  await context.close();
});

test("expired_token: the app refreshes through the parent, which asks the emulator's OAuth store", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context, frame, rest } = await openInPortal(created);
  const refreshesBefore = (await portal.admin("/_emulator/stats")).refreshes;
  await portal.admin("/_emulator/faults", { kind: "expired_token", method: "vote.AttachedVote.get" });

  await frame.click("#refresh");
  await settled(frame);
  assert.equal(await frame.isVisible("#error"), false, await frame.textContent("#error"));
  assert.equal(await frame.textContent("#status"), "Updated.");
  assert.equal((await portal.admin("/_emulator/stats")).refreshes, refreshesBefore + 1);

  // The failed get and its retry: the retry carries the new token the parent handed over.
  const [failed, retried] = rest.slice(-2).map(params);
  assert.notEqual(retried.auth, failed.auth);
  const log = await page.evaluate(() => window.b24portal.state.log.map((e) => e.command));
  assert.ok(log.includes("refreshAuth"));
  await context.close();
});

test("a short token lifetime (?ttl=2): the SDK sees the expiry and refreshes through the parent first", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { context, frame } = await openInPortal(created, { query: { ttl: "2" } });
  const before = await portal.admin("/_emulator/stats");
  await new Promise((r) => setTimeout(r, 2500));
  await frame.click("#refresh");
  await settled(frame);
  assert.equal(await frame.isVisible("#error"), false, await frame.textContent("#error"));
  const after = await portal.admin("/_emulator/stats");
  assert.ok(after.refreshes > before.refreshes, "refreshed through the parent");
  assert.equal(after.rejected.expired_token ?? 0, before.rejected.expired_token ?? 0, "no call was sent with the expired token");
  await context.close();
});

test("a parent that never answers refreshAuth: AUTH_REFRESH_FAILED within the bound", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { context, frame } = await openInPortal(created, { query: { silent: "refreshAuth" } });
  await portal.admin("/_emulator/faults", { kind: "expired_token", method: "vote.AttachedVote.get" });

  const started = Date.now();
  await frame.click("#refresh");
  await frame.waitForSelector("#error:not([hidden])", { timeout: REFRESH_BOUND_MS + 5000 });
  const elapsed = Date.now() - started;
  assert.ok(elapsed <= REFRESH_BOUND_MS + 3000, `gave up after ${elapsed} ms`);
  assert.match(await frame.textContent("#error-code"), /AUTH_REFRESH_FAILED/);
  assert.match(await frame.textContent("#error-text"), /could not be renewed/);
  assert.doesNotMatch(await frame.textContent("#error"), /webhook/i);
  await context.close();
});

test("the frame protocol: other windows and APP_SIDs are ignored, unknown commands answered harmlessly", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context, frame } = await openInPortal(created);
  const appSid = frame.url().match(/APP_SID=([0-9a-f]+)/)[1];
  const ignoredBefore = await page.evaluate(() => window.b24portal.state.ignored);

  // Sends messages from inside the frame, and collects the answers for a while.
  const exchange = (messages) =>
    frame.evaluate(async (messages) => {
      const answers = [];
      const listen = (ev) => answers.push({ origin: ev.origin, data: ev.data });
      window.addEventListener("message", listen);
      for (const m of messages) parent.postMessage(m, "*");
      await new Promise((r) => setTimeout(r, 400));
      window.removeEventListener("message", listen);
      return answers;
    }, messages);

  assert.deepEqual(await exchange([`getInitData:cbWrongSid:${"0".repeat(32)}`, "getInitData:cbNoSid"]), []);
  const answers = await exchange([
    `noSuchCommand:{"a":1}:cbUnknown:${appSid}`,
    { method: "getInitData", params: "", callback: "cbObject", appSid },
    `setTitle:{"title":"Results: a:b"}:cbTitle:${appSid}`,
    `getInterface::cbIface:${appSid}`,
  ]);
  const byId = Object.fromEntries(answers.map((a) => [a.data.split(":")[0], a]));
  assert.deepEqual(Object.keys(byId).sort(), ["cbIface", "cbObject", "cbTitle", "cbUnknown"]);
  assert.deepEqual(JSON.parse(byId.cbIface.data.slice("cbIface:".length)), { command: [], event: [] });
  for (const a of answers) assert.equal(a.origin, portal.url);
  assert.equal(byId.cbUnknown.data, "cbUnknown:{}");
  const init = JSON.parse(byId.cbObject.data.slice("cbObject:".length));
  assert.equal(init.DOMAIN, new URL(portal.url).host);
  assert.equal(init.PLACEMENT, "IM_CONTEXT_MENU");
  assert.deepEqual(init.PLACEMENT_OPTIONS, { messageId: String(created.entityId), dialogId: `chat${created.chatId}` });
  for (const k of ["AUTH_ID", "REFRESH_ID", "AUTH_EXPIRES", "MEMBER_ID", "PATH", "LANG", "IS_ADMIN", "INSTALL", "FIRST_RUN", "APP_OPTIONS", "USER_OPTIONS", "PROTOCOL"]) {
    assert.ok(k in init, k);
  }
  assert.equal(await page.textContent("#slider-title"), "Results: a:b");

  // The page itself (another window) cannot drive the protocol either.
  await page.evaluate((sid) => window.postMessage(`getInitData:cbSelf:${sid}`, "*"), appSid);
  await page.waitForFunction((n) => window.b24portal.state.ignored > n, ignoredBefore + 2);

  // closeApplication closes the slider (and so detaches the frame mid-evaluate).
  await exchange([`closeApplication::cbClose:${appSid}`]).catch(() => {});
  assert.equal(await page.isVisible("#slider"), false);
  await context.close();
});

test("poll text with markup stays text in the portal page and in the frame", async () => {
  const xss = `<img src=x onerror="window.__xss=1">`;
  const created = await portal.admin("/_emulator/polls", {
    questions: [{ text: `Q ${xss}`, answers: [`A ${xss}`, "<script>window.__xss=2</script>"] }],
  });
  const { page, context, events, frame } = await openInPortal(created);
  assert.equal(await page.locator(`li[data-attach-id="${created.attachId}"] .poll-question`).textContent(), `Q ${xss}`);
  assert.equal(await frame.textContent(".question-text"), `Q ${xss}`);
  assert.deepEqual((await readPoll(frame)).map((r) => r.text), [`A ${xss}`, "<script>window.__xss=2</script>"]);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await frame.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator("img").count(), 0);
  assert.equal(await frame.locator("img").count(), 0);
  assert.deepEqual(events.dialogs, []);
  await context.close();
});
