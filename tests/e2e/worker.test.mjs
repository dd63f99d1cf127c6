// The web build in a dedicated module Worker: init(), a webhook client and two calls
// (get, recall) from a worker on the app origin to the portal's origin. The worker has
// no window or document; fetch, timers and crypto must come from the worker's global.

import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { DEMO_POLL, ROOT, library, openPage, seededVotes, withPortalAndBrowser } from "./helpers.mjs";

let portal;
let browser;
const lib = library();

withPortalAndBrowser(
  (started) => ({ portal, browser } = started),
  ["--app-listen", "127.0.0.1:0", "--static", `/worker-check=${join(ROOT, "tests", "e2e", "worker")}`],
);

// README's AttachedVote, Question and Answer, field for field.
const ATTACH_KEYS = [
  "id", "voteId", "entityId", "ballots", "anonymity", "anonymous", "options", "allowRevote", "hideResult",
  "canEdit", "canVote", "canRevote", "isVoted", "isFinished", "signedAttachId", "resultUrl", "downloadUrl",
  "questions",
];
const QUESTION_KEYS = [
  "id", "text", "textType", "sort", "fieldType", "multiple", "active", "required", "voters", "myAnswerIds",
  "answers",
];
const ANSWER_KEYS = [
  "id", "text", "textType", "sort", "votes", "percent", "exactPercent", "serverPercent", "votedByMe", "color",
  "reaction",
];

function assertShape(attach) {
  assert.deepEqual(Object.keys(attach).sort(), [...ATTACH_KEYS].sort());
  for (const question of attach.questions) {
    assert.deepEqual(Object.keys(question).sort(), [...QUESTION_KEYS].sort());
    for (const answer of question.answers) assert.deepEqual(Object.keys(answer).sort(), [...ANSWER_KEYS].sort());
  }
}

/** Starts the worker from the app origin's page, sends it the job, waits for its answer. */
async function inWorker(page, job) {
  return page.evaluate(
    (job) =>
      new Promise((resolve) => {
        const worker = new Worker("/worker-check/poll-worker.mjs", { type: "module" });
        const timer = setTimeout(() => resolve({ error: { name: "Timeout", message: "no answer in 30 s" } }), 30_000);
        const done = (value) => {
          clearTimeout(timer);
          worker.terminate();
          resolve(value);
        };
        worker.onmessage = (e) => done(e.data);
        worker.onerror = (e) => done({ error: { name: "WorkerError", message: e.message || "failed to load" } });
        worker.postMessage(job);
      }),
    job,
  );
}

test("a module Worker imports the web build, inits it, and gets then recalls a poll", async () => {
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const user = 2; // voted for answer 0 in the seeded ballots
  const votes = seededVotes(DEMO_POLL);
  // What the Node build decodes for the same user and poll, before and after.
  const nodeClient = lib.VoteClient.webhook(portal.webhook(user));
  const poll = { attachId: created.attachId };
  const expectedGot = await nodeClient.get(poll);

  assert.notEqual(new URL(portal.appOrigin).origin, new URL(portal.url).origin, "the worker calls across origins");
  const { page, context, events } = await openPage(browser);
  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(`${portal.appOrigin}/worker-check/`);
  const statsBefore = await portal.admin("/_emulator/stats");
  const result = await inWorker(page, { webhook: portal.webhook(user), attachId: created.attachId });
  const statsAfter = await portal.admin("/_emulator/stats");

  assert.equal(result.error, undefined, JSON.stringify(result.error));
  assert.deepEqual(result.context, { worker: true, window: false, document: false });
  assert.deepEqual(workers, [`${portal.appOrigin}/worker-check/poll-worker.mjs`]);

  const { got, recalled } = result;
  assertShape(got);
  assertShape(recalled);
  assert.equal(got.id, created.attachId);
  assert.deepEqual(got, expectedGot, "the worker decodes what the Node build decodes");
  assert.deepEqual(got.questions[0].answers.map((a) => a.votes), votes);
  assert.deepEqual(got.questions[0].answers.map((a) => a.percent), Array.from(lib.percentages(votes)));
  assert.equal(got.isVoted, true);
  assert.deepEqual(got.questions[0].myAnswerIds, [created.questions[0].answers[0]]);

  // The recall withdrew user 2's vote for answer 0.
  const afterRecall = [...votes];
  afterRecall[0] -= 1;
  assert.equal(recalled.isVoted, false);
  assert.deepEqual(recalled.questions[0].myAnswerIds, []);
  assert.deepEqual(recalled.questions[0].answers.map((a) => a.votes), afterRecall);
  assert.deepEqual(recalled, await nodeClient.get(poll), "the portal's state after the recall");

  // One POST per call from the worker, as simple requests: no preflight.
  const sent = (method) => (statsAfter.byMethod[method] ?? 0) - (statsBefore.byMethod[method] ?? 0);
  assert.equal(sent("vote.AttachedVote.get"), 1);
  assert.equal(sent("vote.AttachedVote.recall"), 1);
  assert.equal(statsAfter.preflights - statsBefore.preflights, 0);
  assert.deepEqual(events, { dialogs: [], pageErrors: [], consoleErrors: [] });
  await context.close();
});
