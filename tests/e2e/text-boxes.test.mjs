// Poll text is user content of any shape (issue 11, item 13): a long unbroken word and
// stacked combining marks stay inside their boxes, and an answer or question without
// text shows a visible placeholder instead of an unlabelled choice.

import assert from "node:assert/strict";
import { test } from "node:test";
import { appUrl, openPage, readPoll, settled, withPortalAndBrowser } from "./helpers.mjs";

let portal;
let browser;

withPortalAndBrowser((started) => ({ portal, browser } = started));

async function open(spec, width) {
  const created = await portal.admin("/_emulator/polls", spec);
  const opened = await openPage(browser, { width, height: 900 });
  await opened.page.goto(appUrl(portal, { webhook: portal.webhook(1), attachId: created.attachId }));
  await settled(opened.page);
  return opened;
}

// Every text box ends inside its answer row or its card, and nothing scrolls sideways.
function overflows(page) {
  return page.evaluate(() => {
    const out = [];
    for (const text of document.querySelectorAll(".answer-text, .question-text")) {
      const box = text.closest(".answer, .card").getBoundingClientRect();
      const r = text.getBoundingClientRect();
      if (r.right > box.right + 0.5 || r.left < box.left - 0.5) out.push(`${text.className}: ${r.left}-${r.right} outside ${box.left}-${box.right}`);
    }
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push(`page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
    return out;
  });
}

test("a long unbroken question and answer wrap inside their boxes at 320 px", async () => {
  const long = "Supercalifragilistic".repeat(20);
  const { page, context } = await open({ questions: [{ text: `Q${long}`, answers: [`A${long}`, "short"] }] }, 320);
  assert.equal((await readPoll(page))[0].text, `A${long}`, "shown whole, not cut");
  assert.deepEqual(await overflows(page), []);
  await context.close();
});

test("stacked combining marks do not paint over the next answer", async () => {
  // Each letter carries 12 marks above and 12 below: without clipping they reach far
  // into the rows around. DejaVu Sans (Debian's default font) stacks these marks; the
  // font set by system-ui may draw them side by side instead, which proves nothing.
  const zalgo = [..."Zalgo"].map((c) => c + "\u0300\u0301\u0316\u0317".repeat(6)).join("");
  const plainRow = async (firstAnswer) => {
    const { page, context } = await open({ questions: [{ text: "Marks", answers: [firstAnswer, "Plain"] }] }, 480);
    await page.evaluate(() => {
      document.body.style.fontFamily = '"DejaVu Sans", sans-serif';
      return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    });
    assert.deepEqual(await overflows(page), []);
    const png = await page.locator("li[data-answer-id]").nth(1).screenshot();
    await context.close();
    return png;
  };
  const beside = await plainRow(zalgo);
  const alone = await plainRow("Zalgo");
  assert.ok(beside.equals(alone), "the row under the marked answer looks as it does under plain text");
});

test("an answer or question without text shows a visible placeholder", async () => {
  const { page, context } = await open({ questions: [{ text: " ", answers: ["", "Yes"] }] }, 480);
  const placeholder = page.locator(".answer-text.placeholder");
  assert.equal(await placeholder.count(), 1);
  assert.equal(await placeholder.textContent(), "(an answer without text)");
  assert.ok(await placeholder.isVisible());
  // The radio button is labelled by it.
  assert.equal(await page.getByRole("radio", { name: "(an answer without text)" }).count(), 1);
  assert.equal(await page.textContent(".question-text"), "(a question without text)");
  assert.equal((await readPoll(page))[1].text, "Yes");
  await context.close();
});
