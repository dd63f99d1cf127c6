// Issue 11, item 4: bounded response size. ClientOptions.maxResponseBytes
// (default 8,388,608) caps a response: from Content-Length when sent, and
// counted while streaming when not, so an endless body is cut off early.
// Over the cap the call rejects RESPONSE_TOO_LARGE, is not retried, and the
// client stays usable. Calls that may exhaust memory run in a child process.
//
//   node --test tests/hostile/response-size.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sendJson, GET_BODY, loadNodeBuild, assertB24, rejection, runScenario, assertScenarioExited } from './common.mjs';

const { VoteClient } = loadNodeBuild();
const MiB = 2 ** 20;
const DEFAULT_CAP = 8 * MiB;

/**
 * Writes a valid poll body of `total` bytes, with or without Content-Length,
 * minding backpressure; stops when the client goes. Padded with spaces, or
 * (`inText`) with one answer's text grown to fill it, as an attack would.
 * Resolves to the bytes written.
 */
async function streamPaddedPoll(res, total, { contentLength, inText = false }) {
  const cut = inText ? GET_BODY.indexOf('"MESSAGE":"') + '"MESSAGE":"'.length : GET_BODY.length;
  const head = Buffer.from(GET_BODY.slice(0, cut));
  const tail = Buffer.from(GET_BODY.slice(cut));
  const filler = Buffer.alloc(MiB, inText ? 0x78 : 0x20);
  res.writeHead(200, { 'Content-Type': 'application/json', ...(contentLength ? { 'Content-Length': total } : {}) });
  let gone = false;
  const closed = new Promise((resolve) => res.once('close', resolve)).then(() => (gone = true));
  let written = 0;
  const write = async (chunk) => {
    written += chunk.length;
    if (!res.write(chunk)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
  };
  await write(head);
  const fill = total - head.length - tail.length;
  for (let left = fill; left > 0 && !gone; left -= filler.length) await write(filler.subarray(0, Math.min(filler.length, left)));
  if (!gone) {
    await write(tail);
    res.end();
  }
  return written;
}

/**
 * A portal whose first request gets a padded poll of `total` bytes and every
 * later one the plain poll. `streams` collects the bytes written per big answer.
 */
async function oversizedPortal(total, { contentLength, inText }) {
  const streams = [];
  const server = await startServer(async (req, res) => {
    if (server.requests.length > 1) return sendJson(res, 200, GET_BODY);
    const stream = { written: 0, done: false };
    streams.push(stream);
    stream.written = await streamPaddedPoll(res, total, { contentLength, inText });
    stream.done = true;
  });
  server.streams = streams;
  return server;
}

/** Waits (bounded) until every big answer has finished or been cut off. */
async function streamsSettled(server, ms = 15000) {
  const until = Date.now() + ms;
  while (server.streams.some((s) => !s.done) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

for (const contentLength of [true, false]) {
  const how = contentLength ? 'with Content-Length' : 'chunked';
  test(`over maxResponseBytes (${how}): RESPONSE_TOO_LARGE, not retried, and the same client works after`, async () => {
    const server = await oversizedPortal(200_000, { contentLength });
    let requests = 0;
    const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { rateLimit: false, timeoutMs: 10000, maxResponseBytes: 100_000, onRequest: () => requests++ });
    try {
      const error = await rejection(client.get({ attachId: 1 }));
      assertB24(assert, error, 'RESPONSE_TOO_LARGE');
      assert.equal(error.retryable, false);
      assert.equal(requests, 1, 'onRequest calls');
      const attach = await client.get({ attachId: 1 });
      assert.equal(attach.id, 1);
    } finally {
      client.free();
      await server.close();
    }
  });

  test(`default cap is 8,388,608 bytes (${how}): a body of exactly that resolves, one byte more rejects`, async () => {
    for (const [total, fits] of [[DEFAULT_CAP, true], [DEFAULT_CAP + 1, false]]) {
      const server = await oversizedPortal(total, { contentLength });
      const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { rateLimit: false, timeoutMs: 20000 });
      try {
        if (fits) assert.equal((await client.get({ attachId: 1 })).id, 1, `${total} bytes`);
        else assertB24(assert, await rejection(client.get({ attachId: 1 }), 30000), 'RESPONSE_TOO_LARGE', `${total} bytes:`);
      } finally {
        client.free();
        await server.close();
      }
    }
  });
}

test('Content-Length over the cap is refused from the header, before any of the body arrives', async () => {
  // Declares 1 GiB and sends nothing: only the header can tell.
  const server = await startServer((req, res) => {
    if (server.requests.length > 1) return sendJson(res, 200, GET_BODY);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 1024 * MiB });
    res.flushHeaders();
  });
  let requests = 0;
  const client = VoteClient.webhook(`${server.origin}/rest/1/abc123/`, { rateLimit: false, timeoutMs: 8000, onRequest: () => requests++ });
  try {
    const t0 = performance.now();
    const error = await rejection(client.get({ attachId: 1 }));
    assertB24(assert, error, 'RESPONSE_TOO_LARGE');
    assert.ok(performance.now() - t0 < 4000, `refused after ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(requests, 1, 'onRequest calls');
    assert.equal((await client.get({ attachId: 1 })).id, 1, 'the same client afterwards');
  } finally {
    client.free();
    await server.close();
  }
});

test('an endless chunked body is cut off early: the server writes far less than it would have', async () => {
  const GiB = 1024 * MiB;
  const server = await oversizedPortal(GiB, { contentLength: false });
  try {
    const run = await runScenario('call', {
      url: `${server.origin}/rest/1/abc123/`,
      options: { rateLimit: false, timeoutMs: 10000, maxResponseBytes: 1 * MiB },
      calls: [{}, {}],
    }, { timeoutMs: 90000 });
    assertScenarioExited(assert, run);
    const [first, second] = run.lines;
    assert.equal(first.error?.code, 'RESPONSE_TOO_LARGE', JSON.stringify(first));
    assert.equal(first.requests, 1, 'onRequest calls');
    assert.equal(second.id, 1, `the same client afterwards: ${JSON.stringify(second)}`);
    await streamsSettled(server);
    assert.equal(server.streams.length, 1);
    const { written } = server.streams[0];
    assert.ok(written < 64 * MiB, `the server wrote ${(written / MiB).toFixed(0)} MiB of 1024`);
  } finally {
    await server.close();
  }
});

for (const contentLength of [true, false]) {
  test(`a ~180 MB answer text with the default cap (${contentLength ? 'Content-Length' : 'chunked'}): RESPONSE_TOO_LARGE and the process survives`, async () => {
    const server = await oversizedPortal(180 * MiB, { contentLength, inText: true });
    try {
      const run = await runScenario('call', {
        url: `${server.origin}/rest/1/abc123/`,
        options: { rateLimit: false, timeoutMs: 30000 },
        calls: [{}, {}],
      }, { timeoutMs: 120000 });
      assertScenarioExited(assert, run);
      const [first, second] = run.lines;
      assert.equal(first.error?.code, 'RESPONSE_TOO_LARGE', JSON.stringify(first));
      assert.equal(first.requests, 1, 'onRequest calls');
      assert.equal(second.id, 1, `the same client afterwards: ${JSON.stringify(second)}`);
    } finally {
      await server.close();
    }
  });
}
