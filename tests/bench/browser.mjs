// Browser benchmarks in headless Chromium (playwright-core, Debian's
// /usr/bin/chromium): requests per call from a page on another origin than
// the portal, and the cold start of the two minimal recall apps that
// tests/size/size.mjs builds with Vite (ours, and the same app on
// @bitrix24/b24jssdk, opened in a frame as a portal opens it). Merges into
// target/bench.json.
//
//   node tests/bench/browser.mjs          (after `make package`)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT, startPortal, adminClient, median, recordResult, printTable } from '../reliability/common.mjs';
import { CHROMIUM_ARGS as ARGS, CHROMIUM_PATH } from '../chromium.mjs';
import { APPS, buildApps } from '../size/size.mjs';

const require = createRequire(path.join(ROOT, 'tests/package.json'));
const { chromium } = require('playwright-core');
const CALLS = 100;
const COLD_RUNS = 15;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
const lib = await import('/pkg/b24_vote.js');
await lib.default();
window.lib = lib;
</script>`;

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/**
 * Serves `files(pathname)` (a file path, { html } or null) on its own port:
 * a different origin from the portal.
 */
function staticServer(files) {
  const server = http.createServer((req, res) => {
    const file = files(new URL(req.url, 'http://x').pathname);
    if (file?.html) {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' });
      return res.end(file.html);
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The bench page and pkg/web. */
function pkgFiles(pathname) {
  if (pathname === '/' || pathname === '/index.html') return { html: PAGE };
  const m = /^\/pkg\/([\w.-]+)$/.exec(pathname);
  return m && path.join(ROOT, 'pkg/web', m[1]);
}

/** A Vite app's dist/ at the root, as a static host serves it. */
function distFiles(dist) {
  return (pathname) => {
    const file = path.normalize(path.join(dist, pathname === '/' ? 'index.html' : pathname));
    return file.startsWith(dist + path.sep) ? file : null;
  };
}

/** Lunch?, with user 1's ballot to recall. */
const RECALL_POLL = {
  questions: [{ text: 'Lunch?', answers: ['Soup', 'Salad'] }],
  ballots: [{ user: 1, answers: { 0: [0] } }, { user: 2, answers: { 0: [1] } }],
};

const apps = buildApps();
// The frame parent page (tests/bench/frame/) on the portal's origin.
const portal = await startPortal({ args: ['--rate', 'off', '--static', `/bench=${path.join(ROOT, 'tests/bench/frame')}`] });
const server = await staticServer(pkgFiles);
const appServers = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await staticServer(distFiles(apps[app].dist))])));
// "localhost" for the pages, 127.0.0.1 for the portal: different origins.
const origin = (s) => `http://localhost:${s.address().port}`;
const pageUrl = `${origin(server)}/`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
try {
  const api = adminClient(portal.url);
  const { accessToken } = await api.token({ user: 1 });

  /**
   * One cold start of `app` in a fresh context (no cache): from the first
   * script of its page to a ready client (b24-vote: init() and
   * VoteClient.webhook; b24jssdk: initializeB24Frame() in the portal's
   * frame), then the recall, which must succeed.
   */
  async function coldStart(app) {
    const poll = await api.newPoll(RECALL_POLL);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      let frame = page.mainFrame();
      if (app === 'b24-vote') {
        const query = new URLSearchParams({ hook: `${portal.url}/rest/1/hook1/`, attach: poll.attachId });
        await page.goto(`${origin(appServers[app])}/?${query}`);
      } else {
        await context.addInitScript((token) => { window.benchAuth = token; }, accessToken);
        const appUrl = `${origin(appServers[app])}/?attach=${poll.attachId}`;
        await page.goto(`${portal.url}/bench/parent.html?app=${encodeURIComponent(appUrl)}`);
        const handle = await page.waitForSelector('iframe', { timeout: 20000 });
        frame = await handle.contentFrame();
      }
      await frame.waitForSelector('body[data-state]', { timeout: 20000 });
      const { state, text, ms } = await frame.evaluate(() => ({
        state: document.body.dataset.state,
        text: document.getElementById('result').textContent,
        ms: window.appReady - window.appStart,
      }));
      if (state !== 'done') throw new Error(`${app} app: ${text}`);
      const ballots = (await api.poll(poll.attachId)).ballots.map((b) => b.user);
      if (ballots.includes(1)) throw new Error(`${app} app: user 1's ballot is still there after its recall`);
      return ms;
    } finally {
      await context.close();
    }
  }

  // 5. Cold start, the apps taking turns run by run.
  const cold = Object.fromEntries(APPS.map((app) => [app, []]));
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const app of i % 2 ? [...APPS].reverse() : APPS) cold[app].push(await coldStart(app));
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
  console.log(`\n## 5. Cold start in Chromium: the Vite-built recall apps, first script to a ready client (import + init), fresh context, ${COLD_RUNS} runs each; every run's recall succeeded`);
  printTable(['app', 'gzip -9 bytes', 'median ms', 'min ms', 'max ms'], APPS.map((app) => [
    app, apps[app].total, median(cold[app]).toFixed(1), Math.min(...cold[app]).toFixed(1), Math.max(...cold[app]).toFixed(1),
  ]));
  recordResult('browser', {
    command: 'node tests/bench/browser.mjs',
    chromium: browser.version(),
    calls: CALLS,
    failed: outcome.failed,
    requests: stats.requests,
    preflights: stats.preflights,
    requestsPerCall: stats.requests / CALLS,
    authInQuery: stats.authInQuery,
    coldStart: Object.fromEntries(APPS.map((app) => [app, { gzipBytes: apps[app].total, medianMs: median(cold[app]), runs: cold[app] }])),
  });
  if (outcome.failed || stats.preflights) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
  for (const s of Object.values(appServers)) s.close();
  await portal.stop();
}
