// The placement app in a second engine: headless Firefox (Debian's firefox-esr through
// geckodriver and selenium-webdriver; Playwright's Firefox is a patched build not
// available here). Standalone mode against b24-portal, as the Chromium tests in
// tests/e2e/ do: the demo poll's bars, vote and recall, poll text that looks like HTML,
// an unreachable portal.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { By, error as webdriverError, until } from "selenium-webdriver";
import getLogInspector from "selenium-webdriver/bidi/logInspector.js";
import {
  DEMO_POLL,
  MARKUP_POLL,
  appUrl,
  buttonsInPage,
  library,
  pollInPage,
  seededVotes,
  startPortal,
} from "../e2e/helpers.mjs";
import { launchFirefox } from "../firefox.mjs";

const SETTLED = '#app[data-ready="true"][aria-busy="false"]';
const lib = library();
let portal;
let driver;
// Uncaught exceptions and console errors in any page, from WebDriver BiDi.
const pageErrors = [];

before(async () => {
  portal = await startPortal();
  // Reduced motion: bars are drawn at their final length at once.
  driver = await launchFirefox({ prefs: { "ui.prefersReducedMotion": 1 }, bidi: true });
  const inspector = await getLogInspector(driver);
  await inspector.onJavascriptException((e) => pageErrors.push(e.text));
  await inspector.onConsoleEntry((e) => e.level === "error" && pageErrors.push(e.text));
});

after(async () => {
  await driver?.quit();
  portal?.stop();
});

// What the library says the bars must read for these vote counts.
function expectedPercents(votes) {
  return Array.from(lib.percentages(votes, { multiple: false }));
}

async function settled() {
  await driver.wait(until.elementLocated(By.css(SETTLED)), 15000, "the app did not settle");
}

async function openPoll(created, user = 1) {
  await driver.get(appUrl(portal, { webhook: portal.webhook(user), attachId: created.attachId }));
  await settled();
}

const readPoll = () => driver.executeScript(pollInPage);
const buttons = () => driver.executeScript(buttonsInPage);
const text = async (css) => (await driver.findElement(By.css(css))).getAttribute("textContent");

async function click(css) {
  await driver.findElement(By.css(css)).click();
  await settled();
}

/** No alert, confirm or prompt is open (WebDriver reports one as an error on the next command). */
async function assertNoDialog() {
  await assert.rejects(driver.switchTo().alert(), webdriverError.NoSuchAlertError);
}

test("firefox: the demo poll's bars read the library's percentages for the seeded ballots", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const votes = seededVotes(DEMO_POLL);
  const expected = expectedPercents(votes);
  assert.equal(expected.reduce((a, b) => a + b, 0), 100);

  await openPoll(created);
  const rows = await readPoll();
  assert.deepEqual(rows.map((r) => r.id), created.questions[0].answers, "one row per answer, in the poll's order");
  assert.deepEqual(rows.map((r) => r.text), DEMO_POLL.questions[0].answers);
  assert.deepEqual(rows.map((r) => r.votes), votes);
  assert.deepEqual(rows.map((r) => r.percent), expected);
  assert.deepEqual(rows.map((r) => r.meter), expected, "role=meter carries the same value");
  assert.deepEqual(rows.map((r) => r.label), expected.map((p) => `${p}%`));
  assert.equal(await text(".question-text"), DEMO_POLL.questions[0].text);

  // The bars' drawn lengths follow the percentages.
  const widths = await driver.executeScript(() =>
    [...document.querySelectorAll(".bar")].map(
      (b) => b.firstElementChild.getBoundingClientRect().width / b.getBoundingClientRect().width,
    ),
  );
  widths.forEach((w, i) => assert.ok(Math.abs(w * 100 - expected[i]) < 1.5, `bar ${i}: ${w * 100} vs ${expected[i]}`));
  assert.deepEqual(await buttons(), { vote: false, stop: true, refresh: true });
  assert.deepEqual(pageErrors, []);
});

test("firefox: vote, then recall: counts, bars and buttons follow", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const votes = seededVotes(DEMO_POLL);
  await openPoll(created);
  const choice = 2; // "Thursday"
  const answerId = created.questions[0].answers[choice];

  await driver.findElement(By.css(`li[data-answer-id="${answerId}"] input[type=radio]`)).click();
  assert.deepEqual(await buttons(), { vote: true, stop: true, refresh: true });
  await click("#vote");

  const voted = votes.map((v, i) => (i === choice ? v + 1 : v));
  let rows = await readPoll();
  assert.deepEqual(rows.map((r) => r.votes), voted);
  assert.deepEqual(rows.map((r) => r.percent), expectedPercents(voted));
  assert.deepEqual(rows.map((r) => r.label), expectedPercents(voted).map((p) => `${p}%`));
  assert.deepEqual(rows.map((r) => r.mine), rows.map((r) => r.id === answerId), "my answer is marked");
  assert.deepEqual(await buttons(), { recall: true, stop: true, refresh: true });
  assert.match(await text("#status"), /counted/);
  let state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.ok(state.ballots.some((b) => b.user === 1), "the portal recorded the vote");

  await click("#recall");
  rows = await readPoll();
  assert.deepEqual(rows.map((r) => r.votes), votes);
  assert.deepEqual(rows.map((r) => r.percent), expectedPercents(votes));
  assert.ok(rows.every((r) => !r.mine));
  assert.deepEqual(await buttons(), { vote: false, stop: true, refresh: true });
  assert.match(await text("#status"), /recalled/);
  state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.ok(!state.ballots.some((b) => b.user === 1), "the portal dropped the vote");
  assert.deepEqual(pageErrors, []);
});

test("firefox: poll text that looks like HTML is shown as text, and nothing runs", async () => {
  const spec = MARKUP_POLL;
  const created = await portal.admin("/_emulator/polls", spec);
  await openPoll(created);

  assert.equal(await text(".question-text"), spec.questions[0].text);
  assert.deepEqual((await readPoll()).map((r) => r.text), spec.questions[0].answers);
  assert.equal((await driver.findElements(By.css("#questions img, #questions b, #questions script"))).length, 0);
  const [, scriptLike] = created.questions[0].answers;
  await driver.findElement(By.css(`li[data-answer-id="${scriptLike}"] input[type=radio]`)).click();
  await click("#vote");
  assert.deepEqual((await readPoll()).map((r) => r.votes), [1, 1, 0]);
  // Give an onerror handler time to fire, had an <img> been created.
  await driver.sleep(200);
  await assertNoDialog();
  await click("#recall");
  assert.deepEqual(pageErrors, []);
});

test("firefox: an unreachable portal reads as a connection problem", async () => {
  // Gecko rejects fetch with its own TypeError ("NetworkError when attempting to fetch
  // resource."); the library must still classify it as NETWORK_ERROR, worth a retry.
  // Nothing listens on port 9 (discard) of the loopback.
  await driver.get(appUrl(portal, { webhook: "http://127.0.0.1:9/rest/1/hook1/", attachId: 1 }));
  await settled();
  assert.equal(await driver.findElement(By.css("#error")).isDisplayed(), true);
  assert.match(await text("#error-text"), /could not be reached/);
  assert.match(await text("#error-code"), /NETWORK_ERROR/);
  assert.equal(await driver.findElement(By.css("#retry")).isDisplayed(), true);
  assert.equal(await driver.findElement(By.css("#poll")).isDisplayed(), false);
});
