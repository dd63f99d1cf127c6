// Browser benchmarks in headless Chromium (playwright-core, Debian's
// /usr/bin/chromium): requests per call from a page on another origin than
// the portal, and cold start of the web build. Merges into target/bench.json.
//
//   node tests/bench/browser.mjs          (after `make build`)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT, startPortal, adminClient, median, recordResult, printTable } from '../reliability/common.mjs';
import { CHROMIUM_ARGS as ARGS, CHROMIUM_PATH } from '../chromium.mjs';

const require = createRequire(path.join(ROOT, 'tests/package.json'));
const { chromium } = require('playwright-core');
const CALLS = 100;
const COLD_RUNS = 15;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
const t0 = performance.now();
const lib = await import('/pkg/b24_vote.js');
await lib.default();
window.coldMs = performance.now() - t0;
window.lib = lib;
</script>`;

/** Serves the bench page and pkg/web on its own port: a different origin from the portal. */
function staticServer() {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' });
      return res.end(PAGE);
    }
    const m = /^\/pkg\/([\w.-]+)$/.exec(url.pathname);
    const file = m && path.join(ROOT, 'pkg/web', m[1]);
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portal = await startPortal({ args: ['--rate', 'off'] });
const server = await staticServer();
// "localhost" for the page, 127.0.0.1 for the portal: different origins.
const pageUrl = `http://localhost:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
try {
  const api = adminClient(portal.url);

  // 5. Cold start: a fresh context (no cache) per run.
  const cold = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageUrl);
    cold.push(await page.waitForFunction(() => window.coldMs, null, { timeout: 20000 }).then((h) => h.jsonValue()));
    await context.close();
  }

  // 3. Requests per call: 100 recall calls from the page.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.lib);
  await api.reset();
  const outcome = await page.evaluate(async ({ portalUrl, calls }) => {
    const client = window.lib.VoteClient.webhook(`${portalUrl}/rest/1/hook1/`, { rateLimit: false });
    let failed = 0;
    for (let i = 0; i < calls; i++) {
      try {
        await client.recall({ attachId: 1 });
      } catch {
        failed++;
      }
    }
    return { failed, origin: location.origin };
  }, { portalUrl: portal.url, calls: CALLS });
  const stats = await api.stats();
  await context.close();

  console.log(`\n## 3. Requests per call in Chromium (page ${outcome.origin}, portal ${portal.url})`);
  printTable(['figure', 'value'], [
    ['recall calls', CALLS],
    ['failed calls', outcome.failed],
    ['HTTP requests (/_emulator/stats)', stats.requests],
    ['CORS preflights', stats.preflights],
    ['requests per call', (stats.requests / CALLS).toFixed(2)],
    ['authInQuery', stats.authInQuery],
  ]);
  console.log(`\n## 5. Cold start in Chromium: import + init() of pkg/web, fresh context, ${COLD_RUNS} runs`);
  printTable(['figure', 'ms'], [
    ['median', median(cold).toFixed(1)],
    ['min', Math.min(...cold).toFixed(1)],
    ['max', Math.max(...cold).toFixed(1)],
  ]);
  recordResult('browser', {
    command: 'node tests/bench/browser.mjs',
    chromium: browser.version(),
    calls: CALLS,
    failed: outcome.failed,
    requests: stats.requests,
    preflights: stats.preflights,
    requestsPerCall: stats.requests / CALLS,
    authInQuery: stats.authInQuery,
    coldStartMedianMs: median(cold),
    coldStartRuns: cold,
  });
  if (outcome.failed || stats.preflights) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
  await portal.stop();
}
