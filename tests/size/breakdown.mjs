#!/usr/bin/env node
// Where the .wasm's bytes go, by kind of code: the release build (from
// `make build`) run through wasm-bindgen and wasm-opt like the package, but
// with function names kept (-g), then grouped from `twiggy top`.
//
//   node tests/size/breakdown.mjs [--top N]
//
// Needs twiggy (`cargo install twiggy --locked`, about 75 s) and the tools of
// `make setup` on PATH (npm binaryen's wasm-opt, wasm-bindgen).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const input = join(root, "target/wasm32-unknown-unknown/release/b24_vote.wasm");
const topIndex = process.argv.indexOf("--top");
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 8;
if (!existsSync(input)) {
  console.error(`breakdown: ${input} is missing (run make build)`);
  process.exit(2);
}
const env = { ...process.env, PATH: `${join(root, "tools/node_modules/.bin")}:${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
const sh = (cmd, args) => execFileSync(cmd, args, { env, encoding: "utf8", maxBuffer: 256 << 20 });

const dir = mkdtempSync(join(tmpdir(), "b24-vote-size-"));
try {
  sh("wasm-bindgen", ["--target", "web", "--out-dir", dir, input]);
  const features = ["reference-types", "bulk-memory", "nontrapping-float-to-int", "sign-ext", "multivalue", "mutable-globals"];
  const named = join(dir, "named.wasm");
  sh("wasm-opt", ["-O1", "-g", ...features.map((f) => `--enable-${f}`), join(dir, "b24_vote_bg.wasm"), "-o", named]);
  const csv = sh("twiggy", ["top", "-n", "1000000", "--format", "csv", named]);

  // First match wins; the order matters (e.g. the JSON crate before the rest).
  const kinds = [
    ["name section (stripped in the package)", /names" subsection/],
    ["std sorts", /slice::sort/],
    ["float formatting (flt2dec, zmij)", /flt2dec|f64 as core\S*::fmt|float_to|Big32x40|zmij|bignum|dragon|grisu/],
    ["float parsing (dec2flt)", /dec2flt|f64 as core\S*::str/],
    ["core::fmt, Debug escapes", /fmt::|Formatter|escape_debug|is_printable|unicode|Arguments/],
    ["JSON reader/writer (b24-vote-json)", /b24_vote_json::/],
    ["model, decode, lenient", /b24_vote::model|b24_vote::decode|b24_vote::lenient/],
    ["async state machines, future_to_promise", /Future>::poll|future_to_promise|\{\{closure\}\}/],
    ["other b24_vote code", /b24_vote::/],
    ["allocator, Vec/String growth", /talc|dlmalloc|__rdl|__rust_|alloc::|RawVec/],
    ["wasm-bindgen export shims", /shim/],
    ["wasm-bindgen, js-sys, web-sys, gloo", /wasm_bindgen|js_sys|web_sys|externref|gloo/],
    ["data segments (.rodata)", /^data segment/],
    ["panic machinery", /panic/],
  ];
  const totals = new Map(kinds.map(([k]) => [k, { bytes: 0, items: [] }]));
  totals.set("other", { bytes: 0, items: [] });
  let all = 0;
  for (const line of csv.trim().split("\n").slice(1)) {
    const m = /^"?(.*?)"?,(\d+),[\d.]+,/.exec(line);
    if (!m || m[1].startsWith("Σ") || m[1].startsWith("...")) continue;
    const [name, bytes] = [m[1].replaceAll('""', '"'), Number(m[2])];
    const kind = kinds.find(([, re]) => re.test(name))?.[0] ?? "other";
    const t = totals.get(kind);
    t.bytes += bytes;
    t.items.push([bytes, name]);
    all += bytes;
  }
  console.log(`breakdown of ${input} after wasm-opt -O1, names kept: ${all} B`);
  for (const [kind, t] of [...totals].sort((a, b) => b[1].bytes - a[1].bytes)) {
    if (!t.bytes) continue;
    console.log(`${String(t.bytes).padStart(8)} B  ${kind}`);
    for (const [bytes, name] of t.items.sort((a, b) => b[0] - a[0]).slice(0, top)) {
      console.log(`${String(bytes).padStart(18)}  ${name.slice(0, 110)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
