#!/usr/bin/env node
// Assembles the npm package from wasm-pack's two builds and pkg-template/,
// checks it, and packs it:
//
//   pkg/web  (--target web)    ─┐
//   pkg/node (--target nodejs) ─┼─> pkg/b24-vote/ ─> pkg/b24-vote-<version>.tgz
//   pkg-template/              ─┘
//
// What wasm-bindgen generated is copied byte for byte, never edited: a newer
// wasm-bindgen only has to keep its file names and exports. Layout (flat, one
// .wasm shared by both builds):
//   b24_vote.js         the web build (ES module, init()/initSync()), for
//                       browsers and bundlers; finds the .wasm with
//                       new URL("b24_vote_bg.wasm", import.meta.url)
//   b24_vote_node.cjs   the nodejs build (CommonJS, started on require; it
//                       reads b24_vote_bg.wasm from its own folder)
//   b24_vote.cjs        ours: the nodejs build plus init() and initSync(),
//                       for Node's require
//   node.mjs            ours: ESM wrapper over b24_vote.cjs, for Node's import
//   b24_vote_bg.wasm    the module (wasm-pack emits the same bytes for both)
//   index.d.ts          the web build's declarations: the whole API, for
//                       every entry point
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
const copy = (from, to) => copyFileSync(from, join(out, to));
copy(join(web, `${NAME}.js`), `${NAME}.js`);
copy(join(web, `${NAME}_bg.wasm`), `${NAME}_bg.wasm`);
// .cjs: the package is "type": "module", and this build is CommonJS.
copy(join(node, `${NAME}.js`), `${NAME}_node.cjs`);
copy(join(template, `${NAME}.cjs`), `${NAME}.cjs`);
// The web build's declarations are the nodejs build's plus init/initSync,
// which Node's entry points provide too.
copy(join(web, `${NAME}.d.ts`), "index.d.ts");

// Value exports declared by the .d.ts, of the web build and of the CJS entry:
// all three must agree, or some entry point would lie about the API.
// __wasmInstance is internal (src/wasm/exports.rs): b24_vote.cjs takes it.
const INTERNAL = "__wasmInstance";
const dtsValues = new Set();
for (const m of webDts.matchAll(/^export (?:declare )?(?:function|class|const|let|enum)\s+([A-Za-z_$][\w$]*)/gm)) dtsValues.add(m[1]);
if (/^export default /m.test(webDts)) dtsValues.add("default");
// Importing the web build runs nothing: it starts in init() or initSync().
const webLib = await import(pathToFileURL(join(out, `${NAME}.js`)).href);
const webValues = new Set(Object.keys(webLib).filter((n) => n !== INTERNAL));
if (!(INTERNAL in webLib)) fail(`the web build lacks ${INTERNAL}; b24_vote.cjs needs it (src/wasm/exports.rs)`);
if (!same(dtsValues, webValues)) fail(`the web build exports {${show(webValues)}} but its .d.ts declares {${show(dtsValues)}}`);

const require = createRequire(import.meta.url);
const cjs = require(join(out, `${NAME}.cjs`));
const cjsValues = new Set(Object.keys(cjs));
if (!same(cjsValues, dtsValues)) fail(`b24_vote.cjs exports {${show(cjsValues)}} but index.d.ts declares {${show(dtsValues)}}`);
if (!(cjs.initSync().memory instanceof WebAssembly.Memory)) fail("initSync() in Node does not return the instance's exports");

// node.mjs re-exports every named value of the CJS entry.
const named = [...cjsValues].filter((n) => n !== "default").sort();
const wrapper = read(join(template, "node.mjs"));
if (!wrapper.includes("/* NAMES */")) fail("pkg-template/node.mjs lost its /* NAMES */ marker");
writeFileSync(join(out, "node.mjs"), wrapper.replace("/* NAMES */", named.join(", ")));
const esm = await import(pathToFileURL(join(out, "node.mjs")).href);
for (const n of cjsValues) {
  if (esm[n] !== cjs[n]) fail(`node.mjs's ${n} is not the CJS entry's ${n}`);
}

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
