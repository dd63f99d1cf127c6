#!/usr/bin/env node
// The size budget, measured as users get the bytes: the smallest app that
// recalls a vote (tests/size/apps/b24-vote), built by Vite in production
// mode from the packed tarball, and the same app on the official SDK
// (tests/size/apps/b24jssdk: its frame client calling
// vote.AttachedVote.recall), built in the same run. Each counts the gzip -9
// bytes of every asset Vite emitted (JS and .wasm; index.html, the same
// few hundred bytes for both, is left out).
//
//   node tests/size/size.mjs [TARBALL]   TARBALL defaults to pkg/b24-vote-*.tgz
//
// Prints `size: app N B (budget B), b24jssdk app M B` and exits 1 when the
// app is above tests/size/budget, or heavier than the b24jssdk app (the
// cap), or the budget itself is above the cap. The budget is a ratchet:
// the figure reached plus 2%, lowered whenever the app shrinks (the script
// says when), never raised without a reason in the commit.
//
// Vite and the SDK are installed once into target/size-apps/ from
// tests/size/apps/package-lock.json (npm ci, again only when the lock
// changes); the tarball is unpacked into its node_modules/b24-vote on every
// run, which is what npm does with a package that has no dependencies.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findTarball } from "../consumers/lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
export const BUDGET_FILE = join(here, "budget");
const SOURCES = join(here, "apps");
export const APPS_DIR = join(root, "target/size-apps");
/** The two apps: ours, and the yardstick on the official SDK. */
export const APPS = ["b24-vote", "b24jssdk"];
/** The aim of issue 12; the cap is the b24jssdk app. */
export const GOAL = 60_000;

/** gzip -9 size in bytes (-n: no file name or time in the header). */
export function gzipBytes(file) {
  return execFileSync("gzip", ["-9", "-n", "-c", file], { maxBuffer: 64 << 20 }).length;
}

/** The gzip -9 sizes of the web build in `dir` (the package's README quotes them). */
export function measure(dir = join(root, "pkg/web")) {
  const wasm = gzipBytes(join(dir, "b24_vote_bg.wasm"));
  const js = gzipBytes(join(dir, "b24_vote.js"));
  return { wasm, js, total: wasm + js };
}

export function readBudget() {
  const text = readFileSync(BUDGET_FILE, "utf8").trim();
  const budget = Number(text);
  if (!Number.isSafeInteger(budget) || budget <= 0) {
    throw new Error(`${BUDGET_FILE}: expected one positive whole number, got ${JSON.stringify(text)}`);
  }
  return budget;
}

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });

/** Vite and the SDK in APPS_DIR/node_modules, installed only when the lock file changed. */
function installTools() {
  const manifest = readFileSync(join(SOURCES, "package.json"), "utf8");
  const lock = readFileSync(join(SOURCES, "package-lock.json"), "utf8");
  // The SDK measured is the one the e2e tests drive (tests/package.json).
  const sdk = "@bitrix24/b24jssdk";
  const tested = JSON.parse(readFileSync(join(root, "tests/package.json"), "utf8")).devDependencies[sdk];
  const measured = JSON.parse(manifest).devDependencies[sdk];
  if (tested !== measured) {
    throw new Error(`tests/size/apps/package.json has ${sdk} ${measured}, tests/package.json ${tested}: keep them equal`);
  }
  const stamp = join(APPS_DIR, ".installed");
  const want = createHash("sha256").update(manifest).update(lock).digest("hex");
  const have = existsSync(stamp) ? readFileSync(stamp, "utf8") : "";
  if (have === want && existsSync(join(APPS_DIR, "node_modules/vite/bin/vite.js"))) return;
  mkdirSync(APPS_DIR, { recursive: true });
  writeFileSync(join(APPS_DIR, "package.json"), manifest);
  writeFileSync(join(APPS_DIR, "package-lock.json"), lock);
  run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], APPS_DIR);
  writeFileSync(stamp, want);
}

/** The tarball's files in APPS_DIR/node_modules/b24-vote, as npm would place them. */
function unpack(tarball) {
  const target = join(APPS_DIR, "node_modules/b24-vote");
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], APPS_DIR);
  const manifest = JSON.parse(readFileSync(join(target, "package.json"), "utf8"));
  if (Object.keys(manifest.dependencies ?? {}).length) {
    throw new Error("b24-vote now has dependencies: install the tarball with npm instead of unpacking it");
  }
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * Builds both apps with `vite build` (production mode) and weighs what it
 * emitted. Returns { [app]: { dist, total, assets: [{ file, raw, gzip }] }, vite }.
 */
export function buildApps(tarball = findTarball()) {
  installTools();
  unpack(tarball);
  const vite = JSON.parse(readFileSync(join(APPS_DIR, "node_modules/vite/package.json"), "utf8")).version;
  const result = { vite };
  for (const app of APPS) {
    const dir = join(APPS_DIR, app);
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(SOURCES, app), dir, { recursive: true });
    run("node", [join(APPS_DIR, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], dir);
    const dist = join(dir, "dist");
    const assets = filesUnder(dist)
      .filter((f) => relative(dist, f) !== "index.html")
      .map((f) => ({ file: relative(dist, f), raw: statSync(f).size, gzip: gzipBytes(f) }))
      .sort((a, b) => a.file.localeCompare(b.file));
    result[app] = { dist, assets, total: assets.reduce((sum, a) => sum + a.gzip, 0) };
  }
  // Vite must have emitted the .wasm as a file of its own; inlined or
  // missing, the figure would not be what a browser downloads.
  const wasm = result["b24-vote"].assets.filter((a) => a.file.endsWith(".wasm"));
  if (wasm.length !== 1) {
    throw new Error(`the b24-vote app emitted ${wasm.length} .wasm files: ${result["b24-vote"].assets.map((a) => a.file)}`);
  }
  return result;
}

function main() {
  let built;
  try {
    built = buildApps(findTarball(process.argv[2]));
  } catch (e) {
    console.error(`size: ${e.message}${e.stderr ? `\n${e.stderr}` : ""}`);
    process.exit(2);
  }
  const ours = built["b24-vote"].total;
  const cap = built.b24jssdk.total;
  const budget = readBudget();
  console.log(`size: app ${ours} B (budget ${budget}), b24jssdk app ${cap} B`);
  for (const app of APPS) {
    console.log(`size:   ${app}: ${built[app].assets.map((a) => `${a.file} ${a.gzip} B`).join(", ")} (vite ${built.vite})`);
  }
  let ok = true;
  if (ours > cap) {
    console.error(`size: the app is ${ours - cap} B heavier than the b24jssdk app (the cap)`);
    ok = false;
  }
  if (budget > cap) {
    console.error(`size: the budget ${budget} is above the cap, the b24jssdk app's ${cap} B`);
    ok = false;
  }
  if (ours > budget) {
    console.error(`size: over budget by ${ours - budget} B`);
    ok = false;
  } else {
    // Ratchet: when the app shrank, say what the budget should become.
    const ratchet = Math.ceil(ours * 1.02);
    if (ratchet < budget) {
      console.log(`size: the app shrank; lower tests/size/budget to ${ratchet} (app + 2%)`);
    }
  }
  if (ok && ours > GOAL) console.log(`size: ${ours - GOAL} B above the goal of ${GOAL} B`);
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
