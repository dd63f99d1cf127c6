// Failures injected with the emulator's faults: the message is readable text, the poll
// stays on screen, and Retry (for retryable errors) completes the action.

import assert from "node:assert/strict";
import { test } from "node:test";
import { appUrl, buttons, openPage, readPoll, screenshot, settled, withPortalAndBrowser } from "./helpers.mjs";

let portal;
let browser;

withPortalAndBrowser((started) => ({ portal, browser } = started));

// The emulator's default poll (attachId 1, recreated by /_emulator/reset), seen by user 2,
// who has not voted in it.
async function openDefaultPoll(width) {
  const opened = await openPage(browser, { width });
  await opened.page.goto(appUrl(portal, { webhook: portal.webhook(2), attachId: 1 }));
  await settled(opened.page);
  return opened;
}

async function errorShown(page) {
  return {
    visible: await page.isVisible("#error"),
    text: await page.textContent("#error-text"),
    code: await page.textContent("#error-code"),
    retry: await page.isVisible("#retry"),
  };
}

function assertReadable(text) {
  assert.ok(text.length > 10, text);
  assert.doesNotMatch(text, /[<>{}]|<html|DOCTYPE/i, "no markup or JSON in the message");
}

test("a 500 HTML page on refresh: readable error, poll kept, Retry reloads", async () => {
  await portal.admin("/_emulator/reset", {});
  const { page, context, events } = await openDefaultPoll(320);
  const before = await readPoll(page);
  assert.ok(before.length > 0);

  // More failures than the library's own retries, so the call fails for the app.
  await portal.admin("/_emulator/faults", { kind: "http500_html", count: 50, method: "vote.AttachedVote.get" });
  await page.click("#refresh");
  await settled(page);

  const shown = await errorShown(page);
  assert.equal(shown.visible, true);
  assertReadable(shown.text);
  assert.match(shown.text, /server error/);
  assert.match(shown.code, /HTTP 500/);
  assert.equal(shown.retry, true, "a 500 is worth retrying");
  assert.deepEqual(await readPoll(page), before, "the poll stays on screen");
  await screenshot(page, "error-320.png");
  const fired = (await portal.admin("/_emulator/stats")).faults.http500_html;
  assert.ok(fired >= 2, `the library retried by itself first (${fired} attempts)`);

  // The portal recovers (reset clears the faults and rebuilds the same default poll).
  await portal.admin("/_emulator/reset", {});
  await page.click("#retry");
  await settled(page);
  assert.equal(await page.isVisible("#error"), false);
  assert.deepEqual(await readPoll(page), before);
  assert.match(await page.textContent("#status"), /Updated/);
  assert.deepEqual(events.dialogs, []);
  await context.close();
});

test("a failed vote: the choice stays, Retry sends the same ballot once", async () => {
  await portal.admin("/_emulator/reset", {});
  const { page, context } = await openDefaultPoll(1024);
  const rows = await readPoll(page);
  const target = rows[rows.length - 1];

  await page.getByRole("radio", { name: target.text }).check();
  // The library does not repeat a vote that may have been counted; the user decides.
  await portal.admin("/_emulator/faults", { kind: "http500_html", count: 1, method: "vote.AttachedVote.vote" });
  await page.click("#vote");
  await settled(page);

  const shown = await errorShown(page);
  assert.match(shown.text, /server error/);
  assert.match(shown.code, /HTTP 500 · vote.AttachedVote.vote/);
  assert.equal(shown.retry, true);
  assert.deepEqual(await buttons(page), { vote: true, refresh: true }, "the choice is still there");
  assert.equal(await page.isChecked(`li[data-answer-id="${target.id}"] input`), true);
  await screenshot(page, "error-1024.png");

  await page.click("#retry");
  await settled(page);
  assert.equal(await page.isVisible("#error"), false);
  const after = await readPoll(page);
  const mine = after.find((r) => r.id === target.id);
  assert.equal(mine.votes, target.votes + 1);
  assert.equal(mine.mine, true);
  const state = await portal.admin("/_emulator/polls/1");
  assert.equal(state.ballots.filter((b) => b.user === 2).length, 1);
  await context.close();
});

test("the portal's limits read as such, and Retry goes through", async () => {
  await portal.admin("/_emulator/reset", {});
  const { page, context } = await openDefaultPoll(1024);

  await portal.admin("/_emulator/faults", { kind: "operating_limit", count: 1, method: "vote.AttachedVote.get" });
  await page.click("#refresh");
  await settled(page);
  let shown = await errorShown(page);
  assert.match(shown.text, /paused this action/);
  assert.match(shown.code, /OPERATION_TIME_LIMIT/);
  assert.equal(shown.retry, true);
  await page.click("#retry");
  await settled(page);
  assert.equal(await page.isVisible("#error"), false);

  // A malformed success (the portal answered, but not a poll) is not worth retrying.
  await portal.admin("/_emulator/faults", { kind: "empty_result", count: 1, method: "vote.AttachedVote.get" });
  await page.click("#refresh");
  await settled(page);
  shown = await errorShown(page);
  assertReadable(shown.text);
  assert.equal(shown.retry, false);
  await page.click("#dismiss");
  assert.equal(await page.isVisible("#error"), false);
  assert.ok((await readPoll(page)).length > 0);
  await context.close();
});

test("an unreachable portal reads as a connection problem", async () => {
  const { page, context } = await openPage(browser, { width: 1024 });
  // Nothing listens on port 9 (discard) of the loopback.
  await page.goto(appUrl(portal, { webhook: "http://127.0.0.1:9/rest/1/hook1/", attachId: 1 }));
  await settled(page);
  const shown = await errorShown(page);
  assert.match(shown.text, /could not be reached/);
  assert.match(shown.code, /NETWORK_ERROR/);
  assert.equal(shown.retry, true);
  assert.equal(await page.isVisible("#poll"), false);
  await context.close();
});
