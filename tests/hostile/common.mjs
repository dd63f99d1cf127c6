// Shared by the hostile-input tests (issue 11): local servers that play a
// hostile portal, poll bodies of any size, child-process scenarios for what
// may crash or wedge a process, and checks on B24VoteError.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT, loadNodeBuild, watchdog } from '../reliability/common.mjs';
import { describeThrown, PROXIED_SIGNAL } from './hostile-values.mjs';

export { ROOT, loadNodeBuild, watchdog, describeThrown };

export const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

/** A fixture's JSON text (tests/fixtures). */
export const fixture = (name) => fs.readFileSync(path.join(ROOT, 'tests/fixtures', name), 'utf8');

/** The `get` answer of the docs, in the portal's envelope. */
export const GET_BODY = JSON.stringify({ result: JSON.parse(fixture('get.json')), time: { start: 1, finish: 2, duration: 1 } });

/** A canned success body per REST method, as the portal sends it. */
export function portalAnswer(method) {
  if (method.endsWith('.stop') || method.endsWith('.resume')) return fixture('stop.json');
  if (method.endsWith('.getMany')) return fixture('getMany.json');
  if (method.endsWith('.getWithVoted')) return fixture('getWithVoted.json');
  if (method.endsWith('.getAnswerVoted')) return fixture('getAnswerVoted.json');
  return GET_BODY;
}

/**
 * An HTTP server on 127.0.0.1, port 0. `handler(req, res, body)` answers;
 * the default plays a portal that answers every vote.AttachedVote.* method.
 * Every request is recorded as { method, url, body, at } (at: Date.now()).
 * close() also destroys open connections, so no test waits on keep-alive.
 */
export async function startServer(handler = answerLikeAPortal) {
  const requests = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      // Bounded: nothing the library sends is near 1 MB.
      if (size < 1 << 20) chunks.push(c);
      size += c.length;
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method, url: req.url, body, at });
      Promise.resolve(handler(req, res, body)).catch((e) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The default handler: a portal that accepts any auth. */
export function answerLikeAPortal(req, res) {
  const method = req.url.split('?')[0].split('/').pop();
  sendJson(res, 200, portalAnswer(method));
}

export function sendJson(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The `auth=` value of a form body, if any. */
export const authOf = (body) => new URLSearchParams(body).get('auth');

/** `n` vote counts from 1 to 1000, spread so that many share a remainder. */
export const voteCounts = (n) => Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) + 1);

/** A JSON number written as is, e.g. beyond 2^53: `raw("9007199254740993")` in pollBody's fields. */
export const raw = (digits) => `@@raw:${digits}@@`;

/**
 * A poll body with one question and `answers` answers, written in
 * descending C_SORT (groups of three share one) and descending id, so the
 * decoder has to sort by (sort, id). `patch(answer, i)`, `question` and
 * `attach` change fields; raw() writes a number JSON.stringify cannot.
 */
export function pollBody(answers, { patch, question = {}, attach = {}, counter = (i) => (i * 7919) % 1000 } = {}) {
  const list = [];
  for (let i = 0; i < answers; i++) {
    const a = {
      ID: String(2 * (answers - i) - 1),
      QUESTION_ID: '1',
      C_SORT: String(10 * Math.floor((answers - i) / 3)),
      MESSAGE: `answer ${i}`,
      MESSAGE_TYPE: 'text',
      COUNTER: String(counter(i)),
      COLOR: '',
      REACTION: '',
    };
    if (patch) patch(a, i);
    list.push(a);
  }
  // Integer-like keys by hand: JSON.stringify would reorder them.
  const keyed = (items) => `{${items.map(([key, text]) => `${JSON.stringify(String(key).replace(/^@@raw:(.*)@@$/, '$1'))}:${text}`).join(',')}}`;
  const voters = list.reduce((s, a) => s + (Number(a.COUNTER) || 0), 0);
  const q = { ID: '1', C_SORT: '10', COUNTER: String(voters), QUESTION: 'q', QUESTION_TYPE: 'text', FIELD_TYPE: '0', REQUIRED: 'N', ACTIVE: 'Y', ...question };
  const questionText = JSON.stringify(q).replace(/}$/, `,"ANSWERS":${keyed(list.map((a) => [a.ID, JSON.stringify(a)]))}}`);
  const at = {
    ID: 1, VOTE_ID: 1, COUNTER: String(voters), OPTIONS: '1', ANONYMITY: '1', userAnswerMap: [], canEdit: true, canVote: true,
    canRevote: true, isVoted: false, isFinished: false, signedAttachId: '1.ab', resultUrl: '', downloadUrl: '', entityId: 13, ...attach,
  };
  const attachText = JSON.stringify(at).replace(/}$/, `,"QUESTIONS":${keyed([[q.ID, questionText]])}}`);
  const body = `{"result":{"attach":${attachText}},"time":{"start":1,"finish":2}}`;
  return body.replace(/"@@raw:(-?[0-9.eE+]+)@@"/g, '$1');
}

/** True if `e` is a B24VoteError with `code`. */
export function isB24(e, code) {
  const d = describeThrown(e);
  return d.isError && d.name === 'B24VoteError' && (code === undefined || d.code === code);
}

/** Asserts `e` is a B24VoteError with `code`, with a readable failure. */
export function assertB24(assert, e, code, what = '') {
  assert.ok(isB24(e, code), `${what} expected B24VoteError ${code}, got ${JSON.stringify(describeThrown(e))}`);
}

/** Every text of an error a user might print or log. */
export function errorTexts(e) {
  return [e.message, String(e.code), String(e), e.stack ?? '', JSON.stringify(e), String(e.description)];
}

/** Rejection of a call bounded by `ms` (a hang fails the test instead of stalling it). */
export async function rejection(promise, ms = 20000) {
  const outcome = await watchdog(promise, ms);
  if (outcome.hung) throw new Error(`the call did not settle within ${ms} ms`);
  if (outcome.ok) throw new Error(`the call resolved: ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
  return outcome.error;
}

/**
 * Runs tests/hostile/scenarios/<name>.mjs in a child Node with `input` as
 * JSON in argv, killed after `timeoutMs`. A scenario prints progress and its
 * result as JSON lines; returns { exitCode, signal, timedOut, lines, result,
 * stderr } where result is the last line.
 */
export function runScenario(name, input, { timeoutMs = 60000 } = {}) {
  const file = path.join(ROOT, 'tests/hostile/scenarios', `${name}.mjs`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => {
      if (err.length < 20000) err += c;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ exitCode, signal, timedOut, lines, result: lines.at(-1), stderr: err });
    });
  });
}

/** Asserts a scenario ended by itself, with exit code 0 and a result. */
export function assertScenarioExited(assert, run) {
  assert.ok(!run.timedOut, `the scenario hung (killed); last lines: ${JSON.stringify(run.lines.slice(-3))}`);
  assert.equal(run.exitCode, 0, `the scenario process died (exit ${run.exitCode}, ${run.signal}): ${run.stderr.slice(-1500)}`);
  assert.ok(run.result, 'the scenario printed no result');
}

/** Checks fakeSignals()'s result (hostile-values.mjs), in Node or a page. */
export function assertFakeSignals(assert, result) {
  for (const [name, outcome] of Object.entries(result.outcomes)) {
    assert.ok(!outcome.hung, `${name}: the call never settled`);
    // Node's AbortSignal getters accept a Proxy of a real signal (Chromium's
    // do not): there it is a working signal, and the call may succeed.
    if (name === PROXIED_SIGNAL && outcome.ok === 1) continue;
    assert.equal(outcome.error?.name, 'B24VoteError', `${name}: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.error.code, 'INVALID_ARGUMENT', name);
  }
  assert.deepEqual(result.after, { ok: 1 }, 'a good call afterwards');
}

/** Checks misbehavingRefresh()'s result (hostile-values.mjs), in Node or a page. */
export function assertRefreshRecovers(assert, result) {
  for (const outcome of result.failing) {
    assert.ok(!outcome.hung, 'an expired call never settled');
    assert.equal(outcome.error?.name, 'B24VoteError', JSON.stringify(outcome));
    assert.equal(outcome.error.code, 'AUTH_REFRESH_FAILED', JSON.stringify(outcome));
  }
  assert.deepEqual(result.recovered, { ok: 1 }, 'the next call on the same client');
}

/** Checks feedHostileValues()'s report plus the good calls made after it. */
export function assertHostileReport(assert, report, count) {
  assert.equal(report.total, count);
  assert.deepEqual(report.wrong, {}, `wrong outcomes, first ones: ${report.firstWrong.join('; ')}`);
  assert.equal(report.typed, count);
  assert.deepEqual(report.percentagesAfter, [34, 33, 33]);
  assert.equal(report.getAfter, 1);
}

/** A portal for the refresh cases: 401 expired_token (fact sheet §3.4) to any token but GOOD. */
export function expiringPortalHandler(req, res, body) {
  if (authOf(body) === 'GOOD') sendJson(res, 200, GET_BODY);
  else sendJson(res, 401, { error: 'expired_token', error_description: 'The access token provided has expired.' });
}
