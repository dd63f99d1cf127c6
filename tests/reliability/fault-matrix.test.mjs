// Fault matrix: every fault kind of b24-portal × each method class, 20 calls
// per cell, each call checked against the library's documented rules. Then
// the secrets check over every error the matrix produced.
//
//   node --test tests/reliability/fault-matrix.test.mjs
//
// Ends with: `fault matrix: N calls, 0 hung, 0 wrong`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, adminClient, loadNodeBuild, watchdog, recordResult, printTable } from './common.mjs';

const KINDS = ['drop', 'http500_html', 'truncate', 'delay', 'rate_limit', 'operating_limit', 'expired_token', 'empty_result'];
const CALLS_PER_CELL = 20;
const DELAY_MS = 1500;
const CALL_TIMEOUT_MS = 300; // shorter than DELAY_MS: a delayed call must end in TIMEOUT
const HUNG_AFTER_MS = 20000; // far beyond any retry schedule (3 retries: < 3.2 s of backoff)
// A user id nothing else uses, so its webhook code `hook918273` is a distinctive string.
const USER = 918273;
const WEBHOOK_CODE = `hook${USER}`;

// Classes: reads use `get`; writes cycle through the four write methods.
const CLASSES = {
  read: ['get'],
  write: ['vote', 'recall', 'stop', 'resume'],
};

const { VoteClient } = loadNodeBuild();
let portal;
let api;
let tokens; // the OAuth tokens the secrets test looks for
const errors = []; // every error the matrix produced
const cells = []; // the table

before(async () => {
  portal = await startPortal();
  api = adminClient(portal.url);
});
after(async () => {
  await portal?.stop();
});

/** What the documented rules say a call must do: 'resolve' or {code, status}. */
function expected(kind, method, auth) {
  const repeatable = method !== 'vote'; // reads, recall, stop and resume are retried
  switch (kind) {
    case 'drop':
      return repeatable ? 'resolve' : { code: 'NETWORK_ERROR', status: 0 };
    case 'http500_html':
      return repeatable ? 'resolve' : { code: 'DECODE_ERROR', status: 500 };
    case 'truncate':
      return repeatable ? 'resolve' : { code: 'DECODE_ERROR', status: 200 };
    case 'rate_limit':
      return 'resolve';
    case 'delay':
      return { code: 'TIMEOUT', status: 0 };
    case 'operating_limit':
      return { code: 'OPERATION_TIME_LIMIT', status: 429, retryable: true };
    case 'expired_token':
      return auth === 'oauth' ? 'resolve' : { code: 'expired_token', status: 401 };
    case 'empty_result':
      return method === 'stop' || method === 'resume' ? 'resolve' : { code: 'UNEXPECTED_RESULT', status: 200 };
    default:
      throw new Error(kind);
  }
}

/** A fresh poll: USER is the author and voted for the first answer; user 2 for the second. */
async function freshPoll() {
  return api.newPoll({
    author: USER,
    allowRevote: true,
    questions: [{ text: 'Lunch?', multiple: false, answers: ['Soup', 'Salad', 'Both'] }],
    ballots: [
      { user: USER, answers: { 0: [0] } },
      { user: 2, answers: { 0: [1] } },
    ],
  });
}

function countersMatch(attach, state) {
  if (attach?.id !== state.attachId || attach.ballots !== state.counter) return false;
  const want = new Map(state.questions.flatMap((q) => q.answers.map((a) => [a.id, a.counter])));
  const got = attach.questions.flatMap((q) => q.answers);
  return got.length === want.size && got.every((a) => want.get(a.id) === a.votes);
}

/** Whether a resolved call did the right thing, checked against the emulator's own state. */
async function resolvedCorrectly(method, kind, poll, value) {
  const state = await api.poll(poll.attachId);
  const q = poll.questions[0];
  const mine = state.ballots.find((b) => b.user === USER);
  switch (method) {
    case 'get':
      return countersMatch(value, state) && value.isVoted === true;
    case 'vote':
      return countersMatch(value, state) && value.isVoted === true &&
        JSON.stringify(mine?.answers) === JSON.stringify({ [q.id]: [q.answers[2]] });
    case 'recall':
      return countersMatch(value, state) && mine === undefined && value.isVoted === false;
    case 'stop':
      // empty_result answers without running the method: resolving is all the client can know.
      return value === undefined && (kind === 'empty_result' || state.isFinished === true);
    case 'resume':
      return value === undefined && (kind === 'empty_result' || state.isFinished === false);
    default:
      return false;
  }
}

function run(client, method, poll, kind) {
  const ref = { attachId: poll.attachId };
  // Only the delay cells bound the call below the fault's delay.
  const options = kind === 'delay' ? { timeoutMs: CALL_TIMEOUT_MS } : {};
  const q = poll.questions[0];
  switch (method) {
    case 'get':
      return client.get(ref, options);
    case 'vote':
      return client.vote(ref, { [q.id]: [q.answers[2]] }, options);
    default:
      return client[method](ref, options);
  }
}

async function oauthClient() {
  const issued = await api.token({ user: USER, ttlSeconds: 3600 });
  tokens.push(issued.accessToken, issued.refreshToken);
  return VoteClient.oauth(
    {
      domain: portal.url,
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      expiresAt: issued.expiresAt,
      refresh: async (refreshToken) => {
        const res = await fetch(`${portal.url}/oauth/token/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        });
        const body = await res.json();
        tokens.push(body.access_token, body.refresh_token);
        return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresAt: Math.floor(Date.now() / 1000) + body.expires_in };
      },
    },
    { rateLimit: false, retries: 3 },
  );
}

test('fault matrix: every fault kind × method class, 20 calls each', async () => {
  tokens = [];
  const webhook = VoteClient.webhook(`${portal.url}/rest/${USER}/${WEBHOOK_CODE}/`, { rateLimit: false, retries: 3 });
  const details = [];
  // Faults match by method, so each method is a lane of its own: the lanes
  // run side by side, and within a lane one call (one fault) at a time.
  // Every poll is made, and the resume polls stopped, before any fault.
  const plan = [];
  for (const kind of KINDS) {
    for (const [cls, methods] of Object.entries(CLASSES)) {
      const cell = { kind, class: cls, calls: 0, resolved: 0, typedError: 0, hung: 0, wrong: 0 };
      cells.push(cell);
      for (let i = 0; i < CALLS_PER_CELL; i++) {
        const method = methods[i % methods.length];
        // expired_token: every other call through OAuth with a refresh callback.
        const auth = kind === 'expired_token' && Math.floor(i / methods.length) % 2 === 1 ? 'oauth' : 'webhook';
        const poll = await freshPoll();
        if (method === 'resume') await webhook.stop({ attachId: poll.attachId });
        plan.push({ kind, cell, method, auth, poll });
      }
    }
  }
  const lanes = [...new Set(plan.map((p) => p.method))];
  await Promise.all(lanes.map(async (lane) => {
    for (const { kind, cell, method, auth, poll } of plan.filter((p) => p.method === lane)) {
      const client = auth === 'oauth' ? await oauthClient() : webhook;
      await api.fault({ kind, count: 1, delayMs: DELAY_MS, method: `vote.AttachedVote.${method}` });
      const want = expected(kind, method, auth);
      const outcome = await watchdog(run(client, method, poll, kind), HUNG_AFTER_MS);
      cell.calls++;
      let ok;
      if (outcome.hung) {
        cell.hung++;
        ok = false;
      } else if (outcome.ok) {
        ok = want === 'resolve' && (await resolvedCorrectly(method, kind, poll, outcome.value));
        if (ok) cell.resolved++;
      } else {
        const e = outcome.error;
        errors.push(e);
        ok = want !== 'resolve' && e instanceof Error && e.name === 'B24VoteError' &&
          e.code === want.code && e.status === want.status &&
          e.method === `vote.AttachedVote.${method}` &&
          (want.retryable === undefined || e.retryable === want.retryable);
        if (ok) cell.typedError++;
      }
      if (!ok && !outcome.hung) {
        cell.wrong++;
        details.push(`${kind}/${method}/${auth}: want ${JSON.stringify(want)}, got ${outcome.ok ? 'resolve ' + JSON.stringify(outcome.value)?.slice(0, 200) : `${outcome.error}`}`);
      }
      if (auth === 'oauth') client.free();
    }
  }));
  webhook.free();

  const total = cells.reduce((s, c) => s + c.calls, 0);
  const hung = cells.reduce((s, c) => s + c.hung, 0);
  const wrong = cells.reduce((s, c) => s + c.wrong, 0);
  printTable(
    ['fault', 'class', 'calls', 'resolved correctly', 'typed error, right code', 'hung', 'wrong'],
    cells.map((c) => [c.kind, c.class, c.calls, c.resolved, c.typedError, c.hung, c.wrong]),
  );
  for (const d of details) console.log(`  wrong: ${d}`);
  console.log(`fault matrix: ${total} calls, ${hung} hung, ${wrong} wrong`);
  recordResult('faultMatrix', {
    command: 'node --test tests/reliability/',
    callsPerCell: CALLS_PER_CELL,
    cells,
    total,
    hung,
    wrong,
  });
  assert.equal(hung, 0, 'no call may hang');
  assert.equal(wrong, 0, details.join('\n'));
});

test('secrets: no error text, toString or JSON contains a token or the webhook code', () => {
  assert.ok(errors.length >= 100, `the matrix produced ${errors.length} errors`);
  assert.ok(tokens.length >= 20, 'the matrix used OAuth tokens');
  const secrets = [...new Set(tokens.filter(Boolean)), WEBHOOK_CODE];
  let texts = 0;
  for (const e of errors) {
    for (const text of [e.message, String(e), e.toString(), JSON.stringify(e), e.description, e.stack ?? '']) {
      texts++;
      for (const secret of secrets) {
        assert.ok(!String(text).includes(secret), `error text leaks a secret: ${text}`);
      }
    }
  }
  console.log(`secrets: ${errors.length} errors, ${texts} texts, ${secrets.length} secrets, 0 leaks`);
});

test('traffic: auth never travels in a URL query string', async () => {
  const stats = await api.stats();
  assert.ok(stats.requests > 0);
  assert.equal(stats.authInQuery, 0);
  console.log(`traffic: ${stats.requests} requests, authInQuery ${stats.authInQuery}`);
});
