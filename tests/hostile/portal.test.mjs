// Hostile clients against the emulator b24-portal (issue 11, items 10-12):
// huge parameter lists, oversized and slow bodies, slowloris and idle
// connections, a flood of idle sockets under a low open-files limit, and
// admin inputs that used to panic. Each test starts its own portal on
// 127.0.0.1 port 0 and has its own time bound, so a hang fails.
//
//   node --test tests/hostile/portal.test.mjs
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT, startPortal } from '../reliability/common.mjs';

const HOOK = '/rest/1/hook1/';

before(() => {
  execFileSync('cargo', ['build', '-q', '-p', 'b24-portal'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
});

/** Runs `body` against a fresh portal (serving www/) and always stops it. */
async function withPortal(flags, body, { openFiles } = {}) {
  const args = ['--rate', 'off', '--static', path.join(ROOT, 'www'), ...flags];
  const portal = await startPortal({ args, openFiles, build: false });
  portal.port = Number(new URL(portal.url).port);
  try {
    await body(portal);
  } finally {
    await portal.stop();
  }
}

/** A request with a 5 s bound: { status, headers, text, json, ms }. */
async function call(url, init = {}) {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) }).catch((e) => {
    throw new Error(`${init.method || 'GET'} ${url}: ${e.message} (${e.cause?.code || e.cause?.message || 'no cause'})`);
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json, ms: performance.now() - started };
}

const form = (body) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body,
});

/** A normal request that must still be served. */
async function assertServes(portal) {
  const page = await call(`${portal.url}/index.html`);
  assert.equal(page.status, 200);
  const get = await call(`${portal.url}${HOOK}vote.AttachedVote.get`, form('attachId=1'));
  assert.equal(get.status, 200);
  assert.equal(get.json.result.attach.ID, 1);
}

/** Opens a raw socket; `closedAt` is set when the server closes it. */
function openSocket(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.openedAt = performance.now();
    socket.closedAt = null;
    socket.on('close', () => (socket.closedAt = performance.now()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
    socket.setTimeout(20000, () => socket.destroy());
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until every socket is closed or `ms` passes; returns how many are open. */
async function openAfter(sockets, ms) {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && sockets.some((s) => s.closedAt === null)) await sleep(50);
  return sockets.filter((s) => s.closedAt === null).length;
}

test('20,000 x[]= parameters are answered within 1 s, and /index.html is served meanwhile', { timeout: 60000 }, async (t) => {
  const body = `${'x[]=1&'.repeat(20000)}attachId=1`;
  // Default cap (10,000 per source): refused with the portal's envelope.
  await withPortal([], async (portal) => {
    const big = () => call(`${portal.url}${HOOK}vote.AttachedVote.get`, form(body));
    const page = sleep(20).then(() => call(`${portal.url}/index.html`));
    const [a, b, index] = await Promise.all([big(), big(), page]);
    for (const r of [a, b]) {
      assert.equal(r.status, 400);
      assert.equal(r.json.error, 'INVALID_REQUEST');
      assert.match(r.json.error_description, /at most 10000/);
      assert.ok(r.ms < 1000, `answered after ${r.ms.toFixed(0)} ms`);
    }
    assert.equal(index.status, 200);
    assert.ok(index.ms < 1000, `/index.html took ${index.ms.toFixed(0)} ms`);
    t.diagnostic(`refused: ${a.ms.toFixed(0)} and ${b.ms.toFixed(0)} ms, /index.html ${index.ms.toFixed(0)} ms`);
    await assertServes(portal);
  });
  // Cap raised: the 20,000 parameters are parsed (linearly, off the request workers)
  // and the call succeeds.
  await withPortal(['--max-params', '20001'], async (portal) => {
    const page = sleep(20).then(() => call(`${portal.url}/index.html`));
    const [a, index] = await Promise.all([call(`${portal.url}${HOOK}vote.AttachedVote.get`, form(body)), page]);
    assert.equal(a.status, 200);
    assert.equal(a.json.result.attach.ID, 1);
    assert.ok(a.ms < 1000, `answered after ${a.ms.toFixed(0)} ms`);
    assert.equal(index.status, 200);
    assert.ok(index.ms < 1000, `/index.html took ${index.ms.toFixed(0)} ms`);
    t.diagnostic(`parsed: ${a.ms.toFixed(0)} ms, /index.html ${index.ms.toFixed(0)} ms`);
  });
});

test('parameters nested deeper than 64 levels get 400', { timeout: 30000 }, async () => {
  await withPortal([], async (portal) => {
    const deepName = await call(`${portal.url}${HOOK}vote.AttachedVote.get`, form(`attachId=1&a${'[x]'.repeat(65)}=1`));
    assert.equal(deepName.status, 400);
    assert.equal(deepName.json.error, 'INVALID_REQUEST');
    const deepJson = await call(`${portal.url}${HOOK}vote.AttachedVote.get`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"attachId":1,"a":${'['.repeat(65)}1${']'.repeat(65)}}`,
    });
    assert.equal(deepJson.status, 400);
    assert.equal(deepJson.json.error, 'INVALID_REQUEST');
    await assertServes(portal);
  });
});

test('an oversized body gets 413, declared or streamed', { timeout: 30000 }, async () => {
  const limit = 65536;
  await withPortal(['--max-body-bytes', String(limit)], async (portal) => {
    const url = `${portal.url}${HOOK}vote.AttachedVote.get`;
    const declared = await call(url, form(`attachId=1&pad=${'x'.repeat(limit)}`));
    assert.equal(declared.status, 413);
    assert.equal(declared.json.error, 'INVALID_REQUEST');
    assert.equal(declared.headers.get('access-control-allow-origin'), '*');
    // Chunked, no Content-Length: refused once the count passes the limit.
    const chunk = new TextEncoder().encode('x'.repeat(8192));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= limit + 2 * chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await call(url, { ...form(stream), duplex: 'half' });
    assert.equal(streamed.status, 413);
    assert.equal(streamed.json.error, 'INVALID_REQUEST');
    // The admin API has the same limit.
    const admin = await call(`${portal.url}/_emulator/polls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ questions: [{ text: 'x'.repeat(limit), answers: ['a'] }] }),
    });
    assert.equal(admin.status, 413);
    // Just under the limit is fine.
    const fits = await call(url, form(`attachId=1&pad=${'x'.repeat(limit - 100)}`));
    assert.equal(fits.status, 200);
    await assertServes(portal);
  });
});

test('a body that trickles in slower than --body-timeout gets 408', { timeout: 30000 }, async () => {
  await withPortal(['--body-timeout', '1'], async (portal) => {
    const socket = await openSocket(portal.port);
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.write(`POST ${HOOK}vote.AttachedVote.get HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nattachId=1`);
    const trickle = setInterval(() => socket.writable && socket.write('&'), 200);
    try {
      const deadline = performance.now() + 3000;
      while (!answer.includes('}') && performance.now() < deadline) await sleep(50);
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.match(answer, /"error":"INVALID_REQUEST"/);
      clearInterval(trickle);
      assert.equal(await openAfter([socket], 4000), 0, 'the server kept the slow upload open');
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    await assertServes(portal);
  });
});

test('slowloris connections are closed by the header timeout', { timeout: 30000 }, async (t) => {
  await withPortal(['--header-timeout', '1'], async (portal) => {
    const sockets = await Promise.all(Array.from({ length: 300 }, () => openSocket(portal.port)));
    for (const s of sockets) s.write('GET /index.html HTTP/1.1\r\nHost: x\r\n');
    // Keep dribbling header lines: the timer must not restart on each byte.
    const dribble = setInterval(() => {
      for (const s of sockets) if (s.closedAt === null) s.write('X-Slow: 1\r\n');
    }, 200);
    try {
      await assertServes(portal).catch((e) => { throw new Error(`while the slowloris connections were open: ${e.message}`); });
      const open = await openAfter(sockets, 3000);
      assert.equal(open, 0, `${open} of 300 slowloris connections still open 3 s after a 1 s timeout`);
    } finally {
      clearInterval(dribble);
      for (const s of sockets) s.destroy();
    }
    const slowest = Math.max(...sockets.map((s) => s.closedAt - s.openedAt));
    assert.ok(slowest < 3000, `closed after ${slowest.toFixed(0)} ms`);
    t.diagnostic(`300 slowloris connections, all closed; the last ${slowest.toFixed(0)} ms after it opened`);
    await assertServes(portal);
  });
});

test('an idle keep-alive connection is closed after the timeout, not before', { timeout: 30000 }, async (t) => {
  await withPortal(['--header-timeout', '1'], async (portal) => {
    const socket = await openSocket(portal.port);
    const answered = new Promise((resolve) => socket.once('data', () => resolve(performance.now())));
    socket.write('GET /_emulator/stats HTTP/1.1\r\nHost: x\r\n\r\n');
    const at = await answered;
    assert.equal(await openAfter([socket], 4000), 0, 'idle keep-alive connection still open');
    socket.destroy();
    const idle = socket.closedAt - at;
    assert.ok(idle >= 700 && idle < 3000, `closed ${idle.toFixed(0)} ms after the answer`);
    t.diagnostic(`idle keep-alive closed ${idle.toFixed(0)} ms after the answer`);
  });
});

test('300 idle sockets under ulimit -n 256 do not stop it serving', { timeout: 60000 }, async (t) => {
  // The default 10 s header timeout: the timers do not rescue it within this test.
  await withPortal([], async (portal) => {
    const sockets = [];
    try {
      for (let i = 0; i < 300; i++) sockets.push(await openSocket(portal.port));
      await sleep(300); // let the server accept them all
      const started = performance.now();
      await assertServes(portal);
      const ms = performance.now() - started;
      assert.ok(ms < 3000, `served after ${ms.toFixed(0)} ms`);
      const closed = sockets.filter((s) => s.closedAt !== null).length;
      assert.ok(closed > 0, 'no idle connection was closed to make room');
      t.diagnostic(`served in ${ms.toFixed(0)} ms; ${closed} of 300 idle sockets closed to make room`);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, { openFiles: 256 });
});

test('admin inputs that overflowed get 400, and the server keeps serving', { timeout: 30000 }, async () => {
  await withPortal([], async (portal) => {
    const admin = (p, raw) =>
      call(`${portal.url}/_emulator/${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: raw });
    // Raw text: JSON.stringify cannot write 2^63-1 exactly.
    const bad = [
      ['tokens', '{"user":1,"ttlSeconds":9223372036854775807}'],
      ['tokens', '{"user":1,"refreshTtlSeconds":9223372036854775807}'],
      ['tokens', '{"user":1,"ttlSeconds":-1}'],
      ['tokens', '{"user":0}'],
      ['tokens', '{"user":18446744073709551616}'],
      ['faults', '{"kind":"delay","delayMs":18446744073709551615}'],
      ['faults', '{"kind":"drop","count":0}'],
      ['polls', '{"author":0,"questions":[{"text":"q","answers":["a"]}]}'],
      ['polls', '{"questions":[{"text":"q","answers":["a"]}],"ballots":[{"user":2,"answers":{"0":[18446744073709551615]}}]}'],
    ];
    for (const [p, raw] of bad) {
      const r = await admin(p, raw);
      assert.equal(r.status, 400, `${p} ${raw}: ${r.status} ${r.text}`);
      assert.equal(r.json.error, 'BAD_REQUEST');
    }
    // Two faults whose counts would overflow the pending sum.
    for (let i = 0; i < 2; i++) {
      const r = await admin('faults', '{"kind":"empty_result","count":18446744073709551615,"method":"vote.nope"}');
      assert.equal(r.status, 200);
    }
    const token = await admin('tokens', '{"user":1,"ttlSeconds":315360000}');
    assert.equal(token.status, 200);
    const get = await call(`${portal.url}/rest/vote.AttachedVote.get`, form(`attachId=1&auth=${token.json.accessToken}`));
    assert.equal(get.status, 200);
    await assertServes(portal);
  });
});
