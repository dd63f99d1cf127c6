// Issue 11, item 6: exact numbers or an error. An id or counter above
// 2^53 - 1, as a JSON number or a numeric string, cannot be a JS number:
// decoding fails with DECODE_ERROR naming the field, instead of rounding
// two different ids into one. 2^53 - 1 itself decodes exactly.
//
//   node --test tests/hostile/safe-integers.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sendJson, loadNodeBuild, pollBody, raw, assertB24, rejection, MAX_SAFE } from './common.mjs';

const { parseVoteResponse, VoteClient } = loadNodeBuild();
const ABOVE = ['9007199254740992', '9007199254740993', '18446744073709551617'];

/** Field → bodies that put a value above 2^53 - 1 there. */
function unsafeBodies(value) {
  return {
    ID: [
      pollBody(2, { patch: (a, i) => (a.ID = i ? '9007199254740992' : '9007199254740993') }),
      pollBody(2, { patch: (a, i) => i === 0 && (a.ID = value) }),
      pollBody(2, { patch: (a, i) => i === 0 && (a.ID = raw(value)) }),
      pollBody(2, { question: { ID: value } }),
      pollBody(2, { attach: { ID: raw(value) } }),
    ],
    COUNTER: [
      pollBody(2, { patch: (a, i) => i === 1 && (a.COUNTER = value) }),
      pollBody(2, { patch: (a, i) => i === 1 && (a.COUNTER = raw(value)) }),
      pollBody(2, { question: { COUNTER: value } }),
      pollBody(2, { attach: { COUNTER: raw(value) } }),
    ],
    VOTE_ID: [pollBody(2, { attach: { VOTE_ID: raw(value) } })],
    entityId: [pollBody(2, { attach: { entityId: value } })],
  };
}

function decodeError(body) {
  try {
    return { value: parseVoteResponse(body) };
  } catch (error) {
    return { error };
  }
}

test('answer ids "9007199254740993" and "9007199254740992" are refused, not both decoded as 9007199254740992', () => {
  const { value, error } = decodeError(pollBody(2, { patch: (a, i) => (a.ID = i ? '9007199254740992' : '9007199254740993') }));
  assert.equal(value, undefined, `decoded as ${JSON.stringify(value?.questions[0].answers.map((a) => a.id))}`);
  assertB24(assert, error, 'DECODE_ERROR');
  assert.match(error.message, /\bID\b/);
});

for (const value of ABOVE) {
  test(`ids and counters of ${value} give DECODE_ERROR naming the field`, () => {
    for (const [field, bodies] of Object.entries(unsafeBodies(value))) {
      for (const [i, body] of bodies.entries()) {
        const { value: decoded, error } = decodeError(body);
        assert.equal(decoded, undefined, `${field} #${i} decoded`);
        assertB24(assert, error, 'DECODE_ERROR', `${field} #${i}:`);
        assert.ok(new RegExp(`\\b${field}\\b`).test(error.message), `${field} #${i}: the message does not name it: ${error.message}`);
      }
    }
  });
}

test('2^53 - 1 itself decodes exactly, as a string and as a number', () => {
  for (const write of [String, (n) => raw(String(n))]) {
    const attach = parseVoteResponse(pollBody(3, {
      patch: (a, i) => {
        if (i === 0) a.ID = write(MAX_SAFE);
        if (i === 1) a.COUNTER = write(MAX_SAFE);
      },
      // Ballot counters of their own: the sum of the answers' would be unsafe.
      question: { COUNTER: '5' },
      attach: { ID: raw(String(MAX_SAFE)), entityId: String(MAX_SAFE), COUNTER: '5' },
    }));
    assert.equal(attach.id, MAX_SAFE);
    assert.equal(attach.entityId, MAX_SAFE);
    const answers = attach.questions[0].answers;
    assert.ok(answers.some((a) => a.id === MAX_SAFE), JSON.stringify(answers.map((a) => a.id)));
    assert.ok(answers.some((a) => a.votes === MAX_SAFE), JSON.stringify(answers.map((a) => a.votes)));
  }
});

test('a client call whose answer holds an unsafe id rejects with DECODE_ERROR naming it', async () => {
  const body = pollBody(2, { patch: (a, i) => (a.ID = i ? '9007199254740992' : '9007199254740993') });
  const server = await startServer((req, res) => sendJson(res, 200, body));
  const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { rateLimit: false, timeoutMs: 10000 });
  try {
    const error = await rejection(client.get({ attachId: 1 }));
    assertB24(assert, error, 'DECODE_ERROR');
    assert.match(error.message, /\bID\b/);
  } finally {
    client.free();
    await server.close();
  }
});
