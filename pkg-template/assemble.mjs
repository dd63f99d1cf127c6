#!/usr/bin/env node
// Assembles the npm package from wasm-pack's two builds and pkg-template/,
// checks it, and packs it:
//
//   pkg/web  (--target web)    ─┐
//   pkg/node (--target nodejs) ─┼─> pkg/b24-vote/ ─> pkg/b24-vote-<version>.tgz
//   pkg-template/              ─┘
//
// Layout of the package (flat, one .wasm shared by both builds):
//   b24_vote.js       the web build (ES module, init()/initSync()), for
//                     browsers and bundlers; finds the .wasm with
//                     new URL("b24_vote_bg.wasm", import.meta.url)
//   b24_vote.cjs      the nodejs build (CommonJS, ready on require) plus
//                     node-init.cjs, for Node's require
//   node.mjs          ESM wrapper over b24_vote.cjs, for Node's import
//   b24_vote_bg.wasm  the module (wasm-pack emits the same bytes for both)
//   index.d.ts        the whole API, for every entry point
//   package.json, README.md, LICENSE
//
// Usage: node pkg-template/assemble.mjs   (after `make build`)
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { measure } from "../tests/size/size.mjs";

const template = dirname(fileURLToPath(import.meta.url));
const root = resolve(template, "..");
const web = join(root, "pkg/web");
const node = join(root, "pkg/node");
const out = join(root, "pkg/b24-vote");
const NAME = "b24_vote";

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}
const read = (file) => readFileSync(file, "utf8");
const same = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
const show = (set) => [...set].sort().join(", ");

// --- inputs -----------------------------------------------------------------
for (const dir of [web, node]) {
  for (const f of [`${NAME}.js`, `${NAME}_bg.wasm`, `${NAME}.d.ts`, "package.json"]) {
    if (!existsSync(join(dir, f))) fail(`${join(dir, f)} is missing; run make build first`);
  }
}
if (!readFileSync(join(web, `${NAME}_bg.wasm`)).equals(readFileSync(join(node, `${NAME}_bg.wasm`)))) {
  fail("pkg/web and pkg/node hold different .wasm files; rebuild both from one source (make build)");
}
const webDts = read(join(web, `${NAME}.d.ts`));
const nodeDts = read(join(node, `${NAME}.d.ts`));
if (!webDts.startsWith(nodeDts.trimEnd())) {
  fail("the nodejs build's .d.ts is not the start of the web build's; index.d.ts would not describe both");
}

// Cargo.toml is the single source of the version: wasm-pack copied it into
// pkg/*/package.json; a mismatch means pkg/ is stale.
const cargo = read(join(root, "Cargo.toml"));
const cargoVersion = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/ms.exec(cargo)?.[1];
const built = JSON.parse(read(join(web, "package.json")));
if (!cargoVersion) fail("no [package] version in Cargo.toml");
if (built.version !== cargoVersion) {
  fail(`pkg/web is version ${built.version} but Cargo.toml says ${cargoVersion}; run make build`);
}

// --- assemble ---------------------------------------------------------------
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The web build, pointed at the one index.d.ts (Deno reads @ts-self-types).
const selfTypes = `/* @ts-self-types="./${NAME}.d.ts" */`;
const webJs = read(join(web, `${NAME}.js`));
writeFileSync(join(out, `${NAME}.js`), webJs.replace(selfTypes, `/* @ts-self-types="./index.d.ts" */`));
copyFileSync(join(web, `${NAME}_bg.wasm`), join(out, `${NAME}_bg.wasm`));

// The nodejs build as .cjs (the package is "type": "module"), with init()
// and initSync() added; node-init.cjs reads the glue's `wasm` binding.
const nodeJs = read(join(node, `${NAME}.js`)).replace(selfTypes, "");
if (!/^let wasm = wasmInstance\.exports;$/m.test(nodeJs)) {
  fail("the nodejs glue no longer has `let wasm = wasmInstance.exports;`; update pkg-template/node-init.cjs");
}
writeFileSync(join(out, `${NAME}.cjs`), nodeJs.trimEnd() + "\n" + read(join(template, "node-init.cjs")));

// Value exports declared by the .d.ts, by the web glue and by the CJS build:
// all three must agree, or some entry point would lie about the API.
const dtsValues = new Set();
for (const m of webDts.matchAll(/^export (?:declare )?(?:function|class|const|let|enum)\s+([A-Za-z_$][\w$]*)/gm)) dtsValues.add(m[1]);
if (/^export default /m.test(webDts)) dtsValues.add("default");
const webValues = new Set();
for (const m of webJs.matchAll(/^export (?:async )?(?:function|class|const|let)\s+([A-Za-z_$][\w$]*)/gm)) webValues.add(m[1]);
for (const m of webJs.matchAll(/^export \{([^}]*)\}/gm)) {
  for (const part of m[1].split(",")) webValues.add(part.trim().split(/\s+as\s+/).pop());
}
if (!same(dtsValues, webValues)) fail(`the web glue exports {${show(webValues)}} but its .d.ts declares {${show(dtsValues)}}`);

const require = createRequire(import.meta.url);
const cjs = require(join(out, `${NAME}.cjs`));
const cjsValues = new Set(Object.keys(cjs));
if (!same(cjsValues, dtsValues)) fail(`b24_vote.cjs exports {${show(cjsValues)}} but index.d.ts declares {${show(dtsValues)}}`);
if (!(cjs.initSync().memory instanceof WebAssembly.Memory)) fail("initSync() in Node does not return the instance's exports");

// node.mjs re-exports every named value of the CJS build.
const named = [...cjsValues].filter((n) => n !== "default").sort();
const wrapper = read(join(template, "node.mjs"));
if (!wrapper.includes("/* NAMES */")) fail("pkg-template/node.mjs lost its /* NAMES */ marker");
writeFileSync(join(out, "node.mjs"), wrapper.replace("/* NAMES */", named.join(", ")));
const esm = await import(pathToFileURL(join(out, "node.mjs")).href);
for (const n of cjsValues) {
  if (esm[n] !== cjs[n]) fail(`node.mjs's ${n} is not the CJS build's ${n}`);
}

// One index.d.ts: the web build's declarations (the nodejs build's plus
// init/initSync, which Node's entry points provide too).
// The lib reference: wasm-bindgen declares VoteClient[Symbol.dispose], which
// apps whose "lib" stops at es2022 (and skipLibCheck is off) would reject.
const dtsHeader = `/// <reference lib="esnext.disposable" />
// b24-vote ${built.version}: the whole API, for every entry point (browsers and
// bundlers: the web build; Node: import or require). Generated by
// pkg-template/assemble.mjs from wasm-bindgen's declarations; the model and
// option types come from src/types.d.ts. In Node the module is ready on load:
// init() and initSync() are optional there and resolve to the same exports.
`;
writeFileSync(join(out, "index.d.ts"), dtsHeader + webDts);

// package.json: the template, with Cargo.toml's metadata (through wasm-pack).
const pkg = JSON.parse(read(join(template, "package.json")));
pkg.version = built.version;
pkg.description = built.description;
pkg.license = built.license;
pkg.repository = built.repository;
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");

// README with the size figure of this build; LICENSE.
const size = measure(web);
const fmt = (n) => n.toLocaleString("en-US");
const readme = read(join(template, "README.md"))
  .replaceAll("{{VERSION}}", built.version)
  .replaceAll("{{WASM_GZ}}", fmt(size.wasm))
  .replaceAll("{{JS_GZ}}", fmt(size.js))
  .replaceAll("{{TOTAL_GZ}}", fmt(size.total))
  .replaceAll("{{TOTAL_KB}}", (size.total / 1000).toFixed(1));
const placeholder = readme.match(/\{\{[A-Z_]+\}\}/);
if (placeholder) fail(`README.md has an unknown placeholder ${placeholder[0]}`);
writeFileSync(join(out, "README.md"), readme);
copyFileSync(join(template, "LICENSE"), join(out, "LICENSE"));

// --- pack -------------------------------------------------------------------
for (const f of readdirSync(join(root, "pkg"))) {
  if (/^b24-vote-.*\.tgz$/.test(f)) rmSync(join(root, "pkg", f));
}
const packed = JSON.parse(
  execFileSync("npm", ["pack", "--json", "--pack-destination", join(root, "pkg"), out], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }),
)[0];
const shipped = new Set(packed.files.map((f) => f.path));
const expected = new Set([...pkg.files, "package.json", "README.md", "LICENSE"]);
if (!same(shipped, expected)) fail(`the tarball holds {${show(shipped)}}, expected {${show(expected)}}`);

const tarball = join(root, "pkg", packed.filename);
console.log(
  `package: ${tarball} (${fmt(packed.size)} B packed, ${fmt(packed.unpackedSize)} B unpacked, ` +
    `${shipped.size} files; exports ${named.join(", ")}; web build ${fmt(size.total)} B gzipped)`,
);
