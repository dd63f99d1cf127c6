#!/usr/bin/env node
// The consumer tests: the packed tarball installed into fresh temp dirs the
// way users install it, then used from Node (ESM and CJS), a Vite 7 build and
// a plain <script type="module"> page (both in headless Chromium), and
// TypeScript. The calls go to b24-portal.
//
//   node tests/consumers/run.mjs [--only NAME,...] [--keep] [TARBALL]
//
// TARBALL defaults to the one pkg/b24-vote-*.tgz (`make package`). The portal
// is B24_PORTAL_URL when set, else one started here. Prints one line per
// test and `consumers: N passed, M failed`; exits 1 on any failure. Temp dirs
// are removed unless a test failed or --keep is given.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  HERE,
  IM_ENTITY_TYPE,
  check,
  findTarball,
  launchChromium,
  npmInstall,
  openPage,
  run,
  serveStatic,
  startPortal,
  startViteDev,
} from "./lib.mjs";

const argv = process.argv.slice(2);
const keep = argv.includes("--keep");
const onlyIndex = argv.indexOf("--only");
const only = onlyIndex >= 0 ? argv[onlyIndex + 1].split(",") : null;
const positional = argv.filter((a, i) => !a.startsWith("--") && i !== onlyIndex + 1);
const tarball = findTarball(positional[0]);

const work = mkdtempSync(join(tmpdir(), "b24-vote-consumers-"));
let portal;
let browser;

/** A fresh consumer dir with a package.json and the listed packages installed. */
async function consumerDir(name, specs, { type = "module" } = {}) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, type }, null, 2));
  await npmInstall(dir, [tarball, ...specs]);
  return dir;
}

async function chromium() {
  browser ??= await launchChromium();
  return browser;
}

/** Lunch?: user 2 chose Soup, users 3 and 4 chose Salad. */
async function pollForRecall() {
  return portal.admin("polls", {
    questions: [{ text: "Lunch?", answers: ["Soup", "Salad"] }],
    ballots: [
      { user: 2, answers: { 0: [0] } },
      { user: 3, answers: { 0: [1] } },
      { user: 4, answers: { 0: [1] } },
    ],
  });
}

async function ballotUsers(attachId) {
  const state = await portal.admin(`polls/${attachId}`);
  return state.ballots.map((b) => b.user).sort((a, b) => a - b);
}

/** Runs a Node consumer that recalls user 2's vote, then checks the portal saw it. */
async function nodeRecall(name, file, type) {
  const dir = await consumerDir(name, [], { type });
  copyFileSync(join(HERE, name, file), join(dir, file));
  const poll = await pollForRecall();
  const { stdout } = await check("node", [file], {
    cwd: dir,
    env: { B24_PORTAL: portal.url, ATTACH_ID: String(poll.attachId) },
    timeoutMs: 60_000,
  });
  assert.deepEqual(await ballotUsers(poll.attachId), [3, 4], "the portal still has user 2's ballot");
  const seen = JSON.parse(stdout.trim().split("\n").pop());
  return `recall via webhook: ballots 3 -> ${seen.ballots}, votes ${JSON.stringify(seen.votes)}; missing poll -> ${seen.error}`;
}

const TESTS = {
  "node-esm": () => nodeRecall("node-esm", "consumer.mjs", "module"),

  "node-cjs": () => nodeRecall("node-cjs", "consumer.cjs", "commonjs"),

  async vite() {
    const dir = await consumerDir("vite", ["vite@7"]);
    for (const f of ["index.html", "main.js"]) copyFileSync(join(HERE, "vite", f), join(dir, f));
    const { stdout } = await check("node", ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], {
      cwd: dir,
      timeoutMs: 180_000,
    });
    const version = JSON.parse(readFileSync(join(dir, "node_modules/vite/package.json"), "utf8")).version;
    // vite build copied the .wasm (found through new URL(…, import.meta.url)) as an asset.
    const assets = readdirSync(join(dir, "dist/assets"));
    const wasm = assets.filter((f) => f.endsWith(".wasm"));
    assert.equal(wasm.length, 1, `dist/assets holds ${assets.join(", ")}\n${stdout}`);
    const installed = readFileSync(join(dir, "node_modules/b24-vote/b24_vote_bg.wasm"));
    assert.ok(readFileSync(join(dir, "dist/assets", wasm[0])).equals(installed), "the emitted .wasm differs from the package's");

    const poll = await portal.admin("polls", {
      questions: [{ text: "Lunch?", answers: ["Soup", "Salad", "Both"] }],
      ballots: [
        { user: 2, answers: { 0: [0] } },
        { user: 3, answers: { 0: [0] } },
        { user: 4, answers: { 0: [1] } },
      ],
    });
    const site = await serveStatic(join(dir, "dist"));
    try {
      const hook = `${portal.url}/rest/1/hook1/`;
      const page = await openPage(await chromium(), `${site.url}/?hook=${encodeURIComponent(hook)}&attach=${poll.attachId}`);
      assert.equal(page.state, "done", `${page.text}\n${page.log.join("\n")}`);
      assert.equal(page.text, "Lunch? Soup 67%, Salad 33%, Both 0%");
      const fetched = site.requests.find((r) => r.path === `/assets/${wasm[0]}`);
      assert.deepEqual(fetched, { path: `/assets/${wasm[0]}`, status: 200, type: "application/wasm" });
    } finally {
      await site.close();
    }

    // The dev server, configured as the README says (optimizeDeps.exclude),
    // serves the .wasm from the package's folder.
    writeFileSync(join(dir, "vite.config.js"), 'export default { optimizeDeps: { exclude: ["b24-vote"] } };\n');
    const dev = await startViteDev(dir);
    try {
      const hook = `${portal.url}/rest/1/hook1/`;
      const page = await openPage(await chromium(), `${dev.url}/?hook=${encodeURIComponent(hook)}&attach=${poll.attachId}`);
      assert.equal(page.state, "done", `vite dev: ${page.text}\n${page.log.join("\n")}`);
      assert.equal(page.text, "Lunch? Soup 67%, Salad 33%, Both 0%");
    } finally {
      dev.stop();
    }
    return `vite ${version} build (no plugin) emitted assets/${wasm[0]}; built page and vite dev show "Lunch? Soup 67%, Salad 33%, Both 0%"`;
  },

  async plain() {
    const dir = await consumerDir("plain", []);
    copyFileSync(join(HERE, "plain/index.html"), join(dir, "index.html"));
    const poll = await portal.admin("polls", {
      questions: [{ text: "Ship it?", answers: ["Yes", "No"] }],
      ballots: [{ user: 2, answers: { 0: [0] } }],
    });
    const [question] = poll.questions;
    const site = await serveStatic(dir);
    try {
      const query = new URLSearchParams({
        hook: `${portal.url}/rest/5/hook5/`,
        attach: poll.attachId,
        question: question.id,
        answer: question.answers[1],
      });
      const page = await openPage(await chromium(), `${site.url}/index.html?${query}`);
      assert.equal(page.state, "done", `${page.text}\n${page.log.join("\n")}`);
      assert.equal(page.text, "voted=true Yes 1 50%, No 1 50%");
      assert.deepEqual(await ballotUsers(poll.attachId), [2, 5], "the portal has no ballot of user 5");
      const fetched = site.requests.find((r) => r.path.endsWith("/b24_vote_bg.wasm"));
      assert.deepEqual(fetched, { path: "/node_modules/b24-vote/b24_vote_bg.wasm", status: 200, type: "application/wasm" });
      return `web build from node_modules/b24-vote/b24_vote.js: vote via webhook, page shows "${page.text}"`;
    } finally {
      await site.close();
    }
  },

  async typescript() {
    const dir = await consumerDir("typescript", ["typescript@5"]);
    const files = readdirSync(join(HERE, "typescript"));
    for (const f of files) copyFileSync(join(HERE, "typescript", f), join(dir, f));
    const version = JSON.parse(readFileSync(join(dir, "node_modules/typescript/package.json"), "utf8")).version;
    const expectErrors = files
      .filter((f) => /\.c?ts$/.test(f))
      .reduce((n, f) => n + (readFileSync(join(dir, f), "utf8").match(/\/\/ @ts-expect-error/g) ?? []).length, 0);
    const configs = files.filter((f) => /^tsconfig\..+\.json$/.test(f)).sort();
    assert.ok(configs.length > 0 && expectErrors > 0);
    const problems = [];
    for (const config of configs) {
      const { stdout } = await check("node", ["node_modules/typescript/bin/tsc", "-p", config, "--listFilesOnly"], { cwd: dir });
      // The types come from the package's one index.d.ts, not from a fallback.
      const ours = stdout.split("\n").filter((l) => l.includes("node_modules/b24-vote/"));
      const read = ours.map((l) => l.replace(/.*node_modules\//, ""));
      if (read.join() !== "b24-vote/index.d.ts") problems.push(`${config} read [${read.join(", ")}], not b24-vote/index.d.ts`);
      const tsc = await run("node", ["node_modules/typescript/bin/tsc", "-p", config], { cwd: dir });
      if (tsc.code !== 0) problems.push(`tsc -p ${config}:\n${(tsc.stdout + tsc.stderr).trim()}`);
    }
    assert.equal(problems.length, 0, problems.join("\n"));
    return `tsc ${version} --strict clean with ${configs.map((c) => c.replace(/^tsconfig\.|\.json$/g, "")).join(" and ")} resolution; ${expectErrors} @ts-expect-error lines fail as they must`;
  },
};

const names = Object.keys(TESTS).filter((n) => !only || only.includes(n));
if (only && names.length !== only.length) {
  console.error(`consumers: unknown test in --only (known: ${Object.keys(TESTS).join(", ")})`);
  process.exit(2);
}
console.log(`consumers: ${tarball.replace(/.*\//, "")} in ${work}`);
let passed = 0;
let failed = 0;
try {
  portal = await startPortal();
  for (const name of names) {
    const started = Date.now();
    try {
      const detail = await TESTS[name]();
      passed++;
      console.log(`ok   ${name.padEnd(10)} ${detail} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name.padEnd(10)} ${String(e.stack ?? e).split("\n").join("\n     ")}`);
    }
  }
} catch (e) {
  failed = names.length - passed;
  console.log(`FAIL setup: ${e.stack ?? e}`);
} finally {
  await browser?.close();
  portal?.stop();
}
if (failed === 0 && !keep) rmSync(work, { recursive: true, force: true });
else console.log(`consumers: temp dirs kept in ${work}`);
console.log(`consumers: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
