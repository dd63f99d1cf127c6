// Consumer 2, Node CommonJS: the package through `require`.
// Env: B24_PORTAL (b24-portal's base URL), ATTACH_ID (a poll user 2 voted in).
// Prints one JSON line with what it saw; exits non-zero on a wrong result.
"use strict";
const assert = require("node:assert/strict");
const { VoteClient, percentages } = require("b24-vote");

// The "node" + "require" condition must pick the CommonJS build.
const resolved = require.resolve("b24-vote");
assert.match(resolved, /[/\\]node_modules[/\\]b24-vote[/\\]b24_vote\.cjs$/, `resolved to ${resolved}`);
// Ready on require, and the same instance an `import` would give.
assert.deepEqual(percentages([1, 1, 1], { decimals: 0 }), [34, 33, 33]);

async function main() {
  const esm = await import("b24-vote");
  assert.equal(esm.VoteClient, VoteClient, "import and require share one module instance");

  const attachId = Number(process.env.ATTACH_ID);
  const client = VoteClient.webhook(`${process.env.B24_PORTAL}/rest/2/hook2/`);
  const poll = await client.recall({ attachId });
  assert.equal(poll.id, attachId);
  assert.equal(poll.isVoted, false);
  assert.equal(poll.ballots, 2);
  const answers = poll.questions[0].answers;
  assert.deepEqual(answers.map((a) => a.votes), [0, 2]);
  assert.deepEqual(answers.map((a) => a.percent), [0, 100]);

  const error = await client.get({ attachId: 987654321 }).then(
    () => assert.fail("a missing poll resolved"),
    (e) => e,
  );
  assert.ok(error instanceof Error);
  assert.equal(error.name, "B24VoteError");
  assert.equal(typeof error.code, "string");
  client.free();

  console.log(JSON.stringify({ ballots: poll.ballots, votes: answers.map((a) => a.votes), error: error.code }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
