// Consumer 1, Node ESM: the package as an app installs it, through `import`.
// Env: B24_PORTAL (b24-portal's base URL), ATTACH_ID (a poll user 2 voted in).
// Prints one JSON line with what it saw; exits non-zero on a wrong result.
import assert from "node:assert/strict";
import init, { VoteClient, percentages, initSync } from "b24-vote";

// The "node" + "import" condition must pick the ESM wrapper of the Node build.
const resolved = import.meta.resolve("b24-vote");
assert.match(resolved, /\/node_modules\/b24-vote\/node\.mjs$/, `resolved to ${resolved}`);

// Ready on import: no init() needed; calling it anyway (isomorphic code) is fine.
assert.deepEqual(percentages([1, 1, 1], { decimals: 0 }), [34, 33, 33]);
const exports = await init();
assert.ok(exports.memory instanceof WebAssembly.Memory, "init() resolves to the wasm exports");
assert.equal(initSync(), exports);

const attachId = Number(process.env.ATTACH_ID);
const client = VoteClient.webhook(`${process.env.B24_PORTAL}/rest/2/hook2/`);
const poll = await client.recall({ attachId });
assert.equal(poll.id, attachId);
assert.equal(poll.isVoted, false);
assert.equal(poll.ballots, 2);
const answers = poll.questions[0].answers;
assert.deepEqual(answers.map((a) => a.votes), [0, 2]);
assert.deepEqual(answers.map((a) => a.percent), [0, 100]);
assert.deepEqual(percentages(answers.map((a) => a.votes)), [0, 100]);

// Failures are B24VoteErrors: real Errors with the documented fields.
const error = await client.get({ attachId: 987654321 }).then(
  () => assert.fail("a missing poll resolved"),
  (e) => e,
);
assert.ok(error instanceof Error);
assert.equal(error.name, "B24VoteError");
assert.equal(typeof error.code, "string");
assert.equal(typeof error.retryable, "boolean");
client.free();

console.log(JSON.stringify({ ballots: poll.ballots, votes: answers.map((a) => a.votes), error: error.code }));
