// The placement app in standalone mode (webhook + poll reference from the URL), against
// b24-portal: the demo poll's bars, vote and recall, stop and resume, poll text that
// looks like HTML. Screenshots at 320 and 1024 px go to tests/artifacts/.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEMO_POLL,
  MARKUP_POLL,
  appUrl,
  buttons,
  library,
  openPage,
  readPoll,
  screenshot,
  seededVotes,
  settled,
  withPortalAndBrowser,
} from "./helpers.mjs";

let portal;
let browser;
const lib = library();

withPortalAndBrowser((started) => ({ portal, browser } = started));

// What the library says the bars must read for these vote counts.
function expectedPercents(votes) {
  return Array.from(lib.percentages(votes, { multiple: false }));
}

async function openPoll(created, { user = 1, width = 1024 } = {}) {
  const opened = await openPage(browser, { width });
  await opened.page.goto(appUrl(portal, { webhook: portal.webhook(user), attachId: created.attachId }));
  await settled(opened.page);
  return opened;
}

test("the demo poll's bars read the library's percentages for the seeded ballots", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const votes = seededVotes(DEMO_POLL);
  const expected = expectedPercents(votes);
  assert.equal(expected.reduce((a, b) => a + b, 0), 100);

  for (const width of [320, 1024]) {
    const { page, context, events } = await openPoll(created, { width });
    const rows = await readPoll(page);
    assert.deepEqual(
      rows.map((r) => r.id),
      created.questions[0].answers,
      "one row per answer, in the poll's order",
    );
    assert.deepEqual(
      rows.map((r) => r.text),
      DEMO_POLL.questions[0].answers,
    );
    assert.deepEqual(rows.map((r) => r.votes), votes);
    assert.deepEqual(rows.map((r) => r.percent), expected);
    assert.deepEqual(rows.map((r) => r.meter), expected, "role=meter carries the same value");
    assert.deepEqual(rows.map((r) => r.label), expected.map((p) => `${p}%`));
    assert.equal(await page.textContent(".question-text"), DEMO_POLL.questions[0].text);

    // The bars' drawn lengths follow the percentages.
    const widths = await page.$$eval(".bar", (bars) =>
      bars.map((b) => b.firstElementChild.getBoundingClientRect().width / b.getBoundingClientRect().width),
    );
    widths.forEach((w, i) => assert.ok(Math.abs(w * 100 - expected[i]) < 1.5, `bar ${i}: ${w * 100} vs ${expected[i]}`));

    const badges = await page.$$eval("#badges li", (li) => li.map((x) => x.textContent));
    assert.deepEqual(badges, ["Open", "Revote allowed"]);
    // User 1 is the author and has not voted: they may vote and stop, not recall or resume.
    assert.deepEqual(await buttons(page), { vote: false, stop: true, refresh: true });

    // Nothing wider than the viewport (readable in a 320 px side panel).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page overflows by ${overflow}px at ${width}px`);

    await screenshot(page, `demo-${width}.png`);
    assert.deepEqual(events, { dialogs: [], pageErrors: [], consoleErrors: [] });
    await context.close();
  }
});

test("vote, then recall: counts, bars and buttons follow", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const votes = seededVotes(DEMO_POLL);
  const { page, context, events } = await openPoll(created);
  const choice = 2; // "Thursday"
  const answerId = created.questions[0].answers[choice];

  // Keyboard only: pick the answer, then press Vote.
  await page.getByRole("radio", { name: DEMO_POLL.questions[0].answers[choice] }).focus();
  await page.keyboard.press("Space");
  assert.deepEqual(await buttons(page), { vote: true, stop: true, refresh: true });

  // While the call is in flight every button is disabled.
  await portal.admin("/_emulator/faults", { kind: "delay", delayMs: 1200, count: 1, method: "vote.AttachedVote.vote" });
  await page.focus("#vote");
  await page.keyboard.press("Enter");
  await page.waitForSelector('#app[aria-busy="true"]');
  assert.deepEqual(await buttons(page), { vote: false, stop: false, refresh: false });
  await settled(page);

  const voted = votes.map((v, i) => (i === choice ? v + 1 : v));
  let rows = await readPoll(page);
  assert.deepEqual(rows.map((r) => r.votes), voted);
  assert.deepEqual(rows.map((r) => r.percent), expectedPercents(voted));
  assert.deepEqual(rows.map((r) => r.mine), rows.map((r) => r.id === answerId), "my answer is marked");
  assert.equal(await page.textContent(`li[data-answer-id="${answerId}"] .mine-mark`), "✓ your vote");
  assert.deepEqual(await buttons(page), { recall: true, stop: true, refresh: true });
  assert.equal(await page.locator("#questions input[type=radio]").count(), 0, "no choices once voted");
  assert.match(await page.textContent("#status"), /counted/);

  // The portal recorded it.
  let state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.ok(state.ballots.some((b) => b.user === 1));

  // The Vote button is gone; the keyboard goes on from the poll's heading to Recall.
  assert.equal(await page.evaluate(() => document.activeElement.id), "poll-title");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "recall");
  await page.keyboard.press("Enter");
  await settled(page);
  rows = await readPoll(page);
  assert.deepEqual(rows.map((r) => r.votes), votes);
  assert.deepEqual(rows.map((r) => r.percent), expectedPercents(votes));
  assert.ok(rows.every((r) => !r.mine));
  assert.deepEqual(await buttons(page), { vote: false, stop: true, refresh: true });
  assert.equal(await page.locator("#questions input[type=radio]").count(), votes.length, "choices are back");
  assert.match(await page.textContent("#status"), /recalled/);
  state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.ok(!state.ballots.some((b) => b.user === 1));

  assert.deepEqual(events, { dialogs: [], pageErrors: [], consoleErrors: [] });
  await context.close();
});

test("a multiple-choice vote marks every chosen answer", async () => {
  const spec = {
    author: 1,
    questions: [{ text: "Which snacks?", multiple: true, answers: ["Tea", "Coffee", "Cake"] }],
    ballots: [
      { user: 2, answers: { 0: [0, 1] } },
      { user: 3, answers: { 0: [1] } },
    ],
  };
  const created = await portal.admin("/_emulator/polls", spec);
  const { page, context } = await openPoll(created);
  await page.getByRole("checkbox", { name: "Tea" }).check();
  await page.getByRole("checkbox", { name: "Cake" }).check();
  await page.click("#vote");
  await settled(page);
  const rows = await readPoll(page);
  const votes = [2, 2, 1];
  assert.deepEqual(rows.map((r) => r.votes), votes);
  assert.deepEqual(rows.map((r) => r.mine), [true, false, true]);
  const expected = Array.from(lib.percentages(votes, { multiple: true, voters: 3 }));
  assert.deepEqual(rows.map((r) => r.percent), expected);
  await context.close();
});

test("an anonymous poll without revote: badges, and no Recall after voting", async () => {
  const spec = { ...DEMO_POLL, anonymous: true, allowRevote: false };
  const created = await portal.admin("/_emulator/polls", spec);
  const { page, context } = await openPoll(created, { user: 2 });
  assert.deepEqual(await page.$$eval("#badges li", (li) => li.map((x) => x.textContent)), ["Open", "Anonymous"]);
  assert.deepEqual(await buttons(page), { refresh: true }, "voted, and may not change it");
  assert.match(await page.textContent("#summary"), /You voted/);
  await context.close();
});

test("the bars animate from the old values to the new ones", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context } = await openPage(browser, { width: 1024, reducedMotion: "no-preference" });
  await page.addInitScript(() => {
    window.__moved = [];
    document.addEventListener("transitionrun", (e) => {
      if (e.propertyName === "width") window.__moved.push(Number(e.target.closest("li").dataset.answerId));
    });
  });
  await page.goto(appUrl(portal, { webhook: portal.webhook(1), attachId: created.attachId }));
  await settled(page);
  const answers = created.questions[0].answers;
  // The first drawing grows every non-empty bar from zero.
  await page.waitForFunction((n) => window.__moved.length >= n, answers.length);
  assert.deepEqual((await page.evaluate(() => window.__moved)).sort(), [...answers].sort());

  const before = await readPoll(page);
  await page.evaluate(() => (window.__moved = []));
  await page.getByRole("radio", { name: "Monday" }).check();
  await page.click("#vote");
  await settled(page);
  const after = await readPoll(page);
  const changed = after.filter((r, i) => r.percent !== before[i].percent).map((r) => r.id);
  assert.ok(changed.length >= 2);
  await page.waitForFunction((n) => window.__moved.length >= n, changed.length);
  assert.deepEqual((await page.evaluate(() => window.__moved)).sort(), changed.sort(), "only changed bars move");
  await context.close();
});

test("stop, then resume, as the poll's author; others see neither", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context } = await openPoll(created);

  await page.click("#stop");
  await settled(page);
  assert.deepEqual(await page.$$eval("#badges li", (li) => li.map((x) => x.textContent)), ["Finished", "Revote allowed"]);
  assert.deepEqual(await buttons(page), { resume: true, refresh: true }, "a finished poll takes no vote");
  assert.equal(await page.locator("#questions input").count(), 0);
  assert.equal((await portal.admin(`/_emulator/polls/${created.attachId}`)).isFinished, true);

  await page.click("#resume");
  await settled(page);
  assert.deepEqual(await page.$$eval("#badges li", (li) => li.map((x) => x.textContent)), ["Open", "Revote allowed"]);
  assert.deepEqual(await buttons(page), { vote: false, stop: true, refresh: true });
  assert.equal((await portal.admin(`/_emulator/polls/${created.attachId}`)).isFinished, false);
  await context.close();

  // User 2 voted in the seeded ballots but did not write the poll.
  const other = await openPoll(created, { user: 2 });
  assert.deepEqual(await buttons(other.page), { recall: true, refresh: true });
  const mine = (await readPoll(other.page)).filter((r) => r.mine).map((r) => r.id);
  assert.deepEqual(mine, [created.questions[0].answers[0]]);
  await other.context.close();
});

test("poll text that looks like HTML is shown as text, and nothing runs", async () => {
  const spec = MARKUP_POLL;
  const created = await portal.admin("/_emulator/polls", spec);

  for (const asHtml of [false, true]) {
    const { page, context, events } = await openPage(browser, { width: 1024 });
    const requested = [];
    page.on("request", (r) => requested.push(new URL(r.url()).pathname));
    if (asHtml) {
      // The emulator writes textType "text"; a real portal may send "html". Rewrite it.
      await page.route("**/rest/**", async (route) => {
        const response = await route.fetch();
        const body = (await response.text()).replace(/"(QUESTION_TYPE|MESSAGE_TYPE)":"text"/g, '"$1":"html"');
        assert.match(body, /"QUESTION_TYPE":"html"/);
        await route.fulfill({ response, body });
      });
    }
    await page.goto(appUrl(portal, { webhook: portal.webhook(1), attachId: created.attachId }));
    await settled(page);

    assert.equal(await page.textContent(".question-text"), spec.questions[0].text);
    const rows = await readPoll(page);
    assert.deepEqual(rows.map((r) => r.text), spec.questions[0].answers);
    assert.equal(await page.locator("#questions img, #questions b, #questions script").count(), 0);
    await page.getByRole("radio", { name: spec.questions[0].answers[1] }).check();
    await page.click("#vote");
    await settled(page);
    await page.waitForTimeout(200);
    assert.deepEqual(events.dialogs, [], `no dialog (textType ${asHtml ? "html" : "text"})`);
    assert.deepEqual(events.pageErrors, []);
    assert.ok(!requested.includes("/x"), "the img was never created");
    await screenshot(page, `html-text-${asHtml ? "html" : "text"}-1024.png`);
    await page.click("#recall");
    await settled(page);
    await context.close();
  }
});

test("a missing poll shows a readable error without Retry", async () => {
  const { page, context, events } = await openPage(browser, { width: 320 });
  await page.goto(appUrl(portal, { webhook: portal.webhook(1), attachId: 987654 }));
  await settled(page);
  assert.equal(await page.isVisible("#error"), true);
  assert.match(await page.textContent("#error-text"), /poll was not found/);
  assert.match(await page.textContent("#error-code"), /ATTACH_NOT_FOUND/);
  assert.equal(await page.isVisible("#retry"), false);
  assert.equal(await page.isVisible("#poll"), false);
  // The form keeps what was typed, to correct it.
  assert.equal(await page.inputValue("#attachId"), "987654");
  assert.deepEqual(events.dialogs, []);
  await context.close();
});

test("the form validates before calling, and loads by signed id and by entity", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const { page, context } = await openPage(browser, { width: 1024 });
  await page.goto(portal.url + "/");
  await settled(page);
  assert.equal(await page.isVisible("#poll"), false);
  await page.click("#load");
  assert.match(await page.textContent("#form-error"), /webhook URL/);

  await page.fill("#webhook", portal.webhook(1));
  await page.getByLabel("Signed ID").check();
  await page.fill("#signedAttachId", created.signedAttachId);
  await page.click("#load");
  await settled(page);
  assert.deepEqual((await readPoll(page)).map((r) => r.id), created.questions[0].answers);

  await page.click("summary");
  await page.getByLabel("Entity", { exact: true }).check();
  await page.fill("#entityId", String(created.entityId));
  await page.click("#load");
  await settled(page);
  assert.deepEqual((await readPoll(page)).map((r) => r.id), created.questions[0].answers);
  assert.equal(await page.isVisible("#error"), false);
  await context.close();
});
