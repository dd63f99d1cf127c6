// Issue 11, item 3: client methods never throw synchronously. Hostile
// arguments make every method return a Promise that rejects with a
// B24VoteError, and the client can still be freed. A throwing getter on an
// options object is an error, not "absent".
//
//   node --test tests/hostile/sync-throw.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, loadNodeBuild, assertB24, rejection } from './common.mjs';
import { throwingProxy, revokedProxy, arrayWithThrowingItem } from './hostile-values.mjs';

const { VoteClient, percentages } = loadNodeBuild();
const poll = { attachId: 1 };
const throwingGetter = (key) => Object.defineProperty({}, key, { enumerable: true, get() { throw 1; } });

/** Per method: argument lists that must each be refused. */
const HOSTILE_CALLS = {
  get: [[revokedProxy()], [throwingProxy()], [poll, revokedProxy()], [poll, throwingGetter('signal')], [poll, throwingGetter('timeoutMs')]],
  recall: [[revokedProxy()], [throwingGetter('attachId')], [poll, throwingProxy()], [poll, throwingGetter('actionUuid')]],
  resume: [[revokedProxy()], [throwingGetter('signedAttachId')], [poll, revokedProxy()]],
  stop: [[throwingProxy()], [throwingGetter('entityId')], [poll, throwingGetter('signal')]],
  getMany: [
    [revokedProxy()],
    [throwingProxy()],
    [{ moduleId: 'im', entityType: 'X', entityIds: revokedProxy([1]) }],
    [{ moduleId: 'im', entityType: 'X', entityIds: throwingProxy([1]) }],
    [{ moduleId: 'im', entityType: 'X', entityIds: arrayWithThrowingItem() }],
    [{ moduleId: 'im', entityType: 'X', entityIds: [1] }, revokedProxy()],
  ],
  vote: [
    [poll, revokedProxy()],
    [poll, throwingProxy()],
    [poll, revokedProxy([])],
    [poll, { 1: revokedProxy([1]) }],
    [poll, { 1: arrayWithThrowingItem() }],
    [poll, throwingGetter('1')],
    [poll, { 1: [1] }, revokedProxy()],
  ],
  getWithVoted: [[revokedProxy()], [poll, throwingGetter('pageSize')], [poll, throwingProxy()]],
  getAnswerVoted: [[revokedProxy(), 1], [poll, revokedProxy()], [poll, 1, throwingGetter('start')], [poll, 1, revokedProxy()]],
};

let portal;
before(async () => {
  portal = await startServer();
});
after(() => portal?.close());

for (const [method, calls] of Object.entries(HOSTILE_CALLS)) {
  test(`${method}: hostile arguments reject with B24VoteError INVALID_ARGUMENT, never throw, and free() works after`, async () => {
    const client = VoteClient.webhook(`${portal.origin}/rest/1/abc123/`, { rateLimit: false, retries: 0, timeoutMs: 5000 });
    const thrown = [];
    for (const [i, args] of calls.entries()) {
      let returned;
      try {
        returned = client[method](...args);
      } catch (e) {
        thrown.push(`call ${i} threw ${e}`);
        continue;
      }
      assert.ok(returned instanceof Promise, `call ${i} returned no Promise`);
      assertB24(assert, await rejection(returned, 10000), 'INVALID_ARGUMENT', `${method} call ${i}:`);
    }
    assert.deepEqual(thrown, [], 'synchronous throws');
    assert.doesNotThrow(() => client.free());
  });
}

test('nothing was sent for any hostile call', () => {
  assert.equal(portal.requests.length, 0, portal.requests.map((r) => r.url).join(', '));
});

test('percentages: a throwing getter on an option throws INVALID_ARGUMENT instead of meaning "absent"', () => {
  for (const key of ['multiple', 'voters', 'decimals']) {
    let error;
    let returned;
    try {
      returned = percentages([1], throwingGetter(key));
    } catch (e) {
      error = e;
    }
    assert.equal(returned, undefined, `${key}: returned ${JSON.stringify(returned)}`);
    assertB24(assert, error, 'INVALID_ARGUMENT', `${key}:`);
  }
  assert.deepEqual(percentages([1, 1, 1]), [34, 33, 33]);
});
