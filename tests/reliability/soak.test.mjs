// Soak: 2,000 mixed calls (vote / recall / get / stop / resume) from 10
// concurrent workers against b24-portal, through the web build instantiated
// with initSync so the instance's WebAssembly.Memory is in reach.
//
//   node --test tests/reliability/soak.test.mjs
//
// Checks: every ballot a worker believes it cast is the ballot the portal
// recorded, the portal's counters equal its recorded ballots, the library's
// own final `get` shows those counters, and the wasm memory does not grow
// between call 500 and call 2,000.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, adminClient, loadWebBuild, recordResult, printTable } from './common.mjs';

const TOTAL_CALLS = Number(process.env.SOAK_CALLS || 2000);
const WORKERS = 10;
const CHECKPOINT = 500;
const AUTHOR = 7001; // worker 0; only the author may stop and resume
const users = Array.from({ length: WORKERS }, (_, w) => AUTHOR + w);

let portal;
let api;
before(async () => {
  portal = await startPortal();
  api = adminClient(portal.url);
});
after(async () => {
  await portal?.stop();
});

/** mulberry32: a fixed-seed generator, so a failing run can be replayed. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test(`soak: ${TOTAL_CALLS} mixed calls from ${WORKERS} workers, nothing lost or double-counted, memory flat`, async () => {
  const { lib, exports } = await loadWebBuild();
  const memory = exports.memory;
  assert.ok(memory instanceof WebAssembly.Memory);

  const polls = [];
  for (let i = 0; i < 2; i++) {
    polls.push(await api.newPoll({
      author: AUTHOR,
      allowRevote: true,
      members: users,
      questions: [
        { text: 'Single', multiple: false, answers: ['A', 'B', 'C', 'D'] },
        { text: 'Multiple', multiple: true, answers: ['W', 'X', 'Y', 'Z'] },
      ],
    }));
  }
  const memoryAtStart = memory.buffer.byteLength;
  let done = 0;
  let memoryAtCheckpoint;
  const byOp = {};
  const expectedErrors = {};
  const unexpected = [];
  // What each worker believes it has cast: user -> attachId -> ballot or null.
  const mine = new Map(users.map((u) => [u, new Map(polls.map((p) => [p.attachId, null]))]));

  async function worker(w) {
    const user = users[w];
    const random = rng(1234 + w);
    const client = lib.VoteClient.webhook(`${portal.url}/rest/${user}/hook${user}/`, { rateLimit: false });
    while (done < TOTAL_CALLS) {
      done++;
      const poll = polls[Math.floor(random() * polls.length)];
      const ref = { attachId: poll.attachId };
      const r = random();
      let op;
      if (w === 0 && r < 0.04) op = 'stop';
      else if (r < 0.5) op = 'vote';
      else if (r < 0.7) op = 'recall';
      else op = 'get';
      byOp[op] = (byOp[op] || 0) + 1;
      try {
        if (op === 'vote') {
          const [q1, q2] = poll.questions;
          const pick = (q, n) => [...q.answers].sort(() => random() - 0.5).slice(0, n).sort((a, b) => a - b);
          const ballot = { [q1.id]: pick(q1, 1), [q2.id]: pick(q2, 1 + Math.floor(random() * 3)) };
          const attach = await client.vote(ref, ballot);
          assert.equal(attach.isVoted, true);
          mine.get(user).set(poll.attachId, ballot);
        } else if (op === 'recall') {
          const attach = await client.recall(ref);
          assert.equal(attach.isVoted, false);
          mine.get(user).set(poll.attachId, null);
        } else if (op === 'get') {
          const attach = await client.get(ref);
          assert.equal(attach.id, poll.attachId);
        } else {
          // stop, then at once resume: the poll is stopped only briefly.
          await client.stop(ref);
          done++;
          byOp.resume = (byOp.resume || 0) + 1;
          await client.resume(ref);
        }
      } catch (e) {
        // A stopped poll refuses votes ("403" The poll is inactive.) and
        // recalls ("" Access denied): the portal's rules, not a failure.
        const stopped = (op === 'vote' && e.code === '403') || (op === 'recall' && e.code === '' && e.status === 400);
        if (stopped) expectedErrors[`${op} on a stopped poll`] = (expectedErrors[`${op} on a stopped poll`] || 0) + 1;
        else unexpected.push(`${op}: ${e}`);
      }
      if (done >= CHECKPOINT && memoryAtCheckpoint === undefined) memoryAtCheckpoint = memory.buffer.byteLength;
      if (process.env.SOAK_TRACE && done % 250 === 0) console.log(`trace ${done} ${memory.buffer.byteLength}`);
    }
    client.free();
  }
  const t0 = performance.now();
  await Promise.all(users.map((_, w) => worker(w)));
  const seconds = (performance.now() - t0) / 1000;
  const memoryAtEnd = memory.buffer.byteLength;

  // Compare what the workers believe, what the portal recorded, its counters,
  // and what the library decodes.
  const reader = lib.VoteClient.webhook(`${portal.url}/rest/${AUTHOR}/hook${AUTHOR}/`, { rateLimit: false });
  let ballotsRecorded = 0;
  for (const poll of polls) {
    const state = await api.poll(poll.attachId);
    const recorded = new Map(state.ballots.map((b) => [b.user, b.answers]));
    ballotsRecorded += recorded.size;
    for (const user of users) {
      const believed = mine.get(user).get(poll.attachId);
      assert.deepEqual(recorded.get(user) ?? null, believed && Object.fromEntries(
        Object.entries(believed).map(([q, a]) => [q, a])), `user ${user}, poll ${poll.attachId}`);
    }
    const tally = new Map();
    for (const b of state.ballots) for (const ids of Object.values(b.answers)) for (const id of ids) tally.set(id, (tally.get(id) || 0) + 1);
    assert.equal(state.counter, state.ballots.length, 'attach counter = ballots');
    for (const q of state.questions) {
      assert.equal(q.counter, state.ballots.filter((b) => (b.answers[q.id] || []).length > 0).length, 'question counter = ballots answering it');
      for (const a of q.answers) assert.equal(a.counter, tally.get(a.id) || 0, `answer ${a.id} counter = ballots choosing it`);
    }
    const attach = await reader.get({ attachId: poll.attachId });
    assert.equal(attach.ballots, state.counter);
    for (const q of attach.questions) for (const a of q.answers) assert.equal(a.votes, tally.get(a.id) || 0);
  }
  reader.free();

  printTable(['soak', 'value'], [
    ['calls', done],
    ['workers', WORKERS],
    ['wall time, s', seconds.toFixed(1)],
    ...Object.entries(byOp).map(([op, n]) => [`  ${op}`, n]),
    ...Object.entries(expectedErrors).map(([what, n]) => [`  ${what} (portal rule)`, n]),
    ['unexpected errors', unexpected.length],
    ['ballots recorded = counters = library view', ballotsRecorded],
    ['wasm memory at start, bytes', memoryAtStart],
    [`wasm memory at call ${CHECKPOINT}, bytes`, memoryAtCheckpoint],
    [`wasm memory at call ${done}, bytes`, memoryAtEnd],
  ]);
  for (const u of unexpected.slice(0, 10)) console.log(`  unexpected: ${u}`);
  recordResult('soak', {
    command: 'node --test tests/reliability/',
    calls: done,
    workers: WORKERS,
    seconds,
    byOp,
    expectedErrors,
    unexpectedErrors: unexpected.length,
    ballotsRecorded,
    lost: 0,
    doubleCounted: 0,
    memoryAtStart,
    memoryAtCheckpoint,
    memoryAtEnd,
    checkpoint: CHECKPOINT,
  });
  assert.deepEqual(unexpected, []);
  assert.equal(memoryAtEnd, memoryAtCheckpoint, `wasm memory grew from ${memoryAtCheckpoint} to ${memoryAtEnd} bytes`);
});
