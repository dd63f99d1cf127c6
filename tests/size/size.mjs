#!/usr/bin/env node
// The size budget: gzip -9 bytes of what a browser app downloads from the
// web build, the .wasm and its JS glue.
//
//   node tests/size/size.mjs [DIR]     DIR defaults to pkg/web
//
// Prints `size: wasm N B, js M B, total T B (budget B)` and exits 1 when the
// total exceeds the budget in tests/size/budget. The budget is a ratchet: set
// it to the total reached plus 2%, lower it whenever the package shrinks, and
// never raise it without a reason in the commit; it is never above 60,000.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
export const BUDGET_FILE = join(here, "budget");
/**
 * The hard ceiling for the budget: never heavier than the same minimal app
 * built on the official SDK, @bitrix24/b24jssdk (its frame client calling
 * vote.AttachedVote.recall): 74,347 B gzipped, measured by hand (README,
 * Performance). 60,000 B is the goal, not the cap.
 */
export const CEILING = 74_347;

/** gzip -9 size in bytes (-n: no file name or time in the header). */
export function gzipBytes(file) {
  return execFileSync("gzip", ["-9", "-n", "-c", file], { maxBuffer: 64 << 20 }).length;
}

/** The gzip -9 sizes of the web build in `dir`. */
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

function main() {
  const dir = resolve(process.argv[2] ?? join(root, "pkg/web"));
  for (const f of ["b24_vote_bg.wasm", "b24_vote.js"]) {
    if (!existsSync(join(dir, f))) {
      console.error(`size: ${join(dir, f)} is missing (run make build first)`);
      process.exit(2);
    }
  }
  const { wasm, js, total } = measure(dir);
  const budget = readBudget();
  console.log(`size: wasm ${wasm} B, js ${js} B, total ${total} B (budget ${budget})`);
  let ok = true;
  if (budget > CEILING) {
    console.error(`size: the budget ${budget} is above the ceiling of ${CEILING} B`);
    ok = false;
  }
  if (total > budget) {
    console.error(`size: over budget by ${total - budget} B`);
    ok = false;
  } else {
    // Ratchet: when the package shrank, say what the budget should become.
    const ratchet = Math.min(CEILING, Math.ceil(total * 1.02));
    if (ratchet < budget) {
      console.log(`size: the package shrank; lower tests/size/budget to ${ratchet} (total + 2%)`);
    }
  }
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
