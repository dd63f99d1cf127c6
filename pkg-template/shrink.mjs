#!/usr/bin/env node
// Shrinks what a browser downloads from wasm-pack's two builds, after
// `make build` ran wasm-pack and before pkg-template/assemble.mjs:
//
//   1. Import names. wasm-bindgen names each import like
//      `__wbg_fetch_9b478faef8cda538`, 16 random hex digits that gzip cannot
//      squeeze, once in the .wasm and once in each JS glue, under the module
//      name "./b24_vote_bg.js" repeated before every one of them. They become
//      `a`, `b`, … under the module "a": in the .wasm (pkg/web and pkg/node
//      hold the same bytes, and the package ships one of them) and in the
//      import objects of both glues. Only the import section changes; every
//      other byte of the module is kept. Export names stay: init() and
//      initSync() hand the exports to users (`memory`, InitOutput in the
//      .d.ts). binaryen's --minify-imports leaves imports of a module other
//      than "env" alone, and its --minify-imports-and-exports-and-modules
//      would rename those exports too, so the renaming is done here.
//   2. The web glue (pkg/web/b24_vote.js) is minified with esbuild (from
//      tools/, see `make setup`). Its named exports, the `.name` of each
//      exported function and class, and the @ts-self-types comment are kept;
//      the export list stays on a line of its own, as assemble.mjs reads it.
//      The nodejs glue is only renamed: node-init.cjs relies on its `wasm`.
//
// Idempotent: a build already shrunk is checked and left as it is.
//
// Usage: node pkg-template/shrink.mjs   (after the two wasm-pack builds)
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NAME = "b24_vote";
const web = join(root, "pkg/web");
const node = join(root, "pkg/node");
const files = {
  webWasm: join(web, `${NAME}_bg.wasm`),
  nodeWasm: join(node, `${NAME}_bg.wasm`),
  webJs: join(web, `${NAME}.js`),
  nodeJs: join(node, `${NAME}.js`),
};
/** The import module wasm-bindgen names, and the one it becomes. */
const OLD_MODULE = `./${NAME}_bg.js`;
const NEW_MODULE = "a";
const SELF_TYPES = `/* @ts-self-types="./${NAME}.d.ts" */`;

function fail(message) {
  console.error(`shrink: ${message}`);
  process.exit(1);
}

// --- the .wasm's import section ----------------------------------------------

function readU32(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new Error("truncated LEB128");
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return { value, pos };
    if (shift > 35) throw new Error("LEB128 too long");
  }
}

function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

const utf8 = (s) => Buffer.from(s, "utf8");
const name = (s) => Buffer.concat([u32(utf8(s).length), utf8(s)]);

/** The module's sections as { id, start, end } (start: after the size). */
function sections(bytes) {
  if (bytes.readUInt32LE(0) !== 0x6d736100 || bytes.readUInt32LE(4) !== 1) throw new Error("not a wasm module");
  const out = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const size = readU32(bytes, pos + 1);
    out.push({ id, head: pos, start: size.pos, end: size.pos + size.value });
    pos = size.pos + size.value;
  }
  if (pos !== bytes.length) throw new Error("a section runs past the end");
  return out;
}

/** Where an import's description ends (kind byte at pos). */
function skipImportDesc(bytes, pos) {
  const kind = bytes[pos++];
  const limits = (p) => {
    const flags = bytes[p++];
    p = readU32(bytes, p).pos;
    if (flags & 1) p = readU32(bytes, p).pos;
    return p;
  };
  const refOrValType = (p) => {
    const t = bytes[p];
    if (t >= 0x6f && t <= 0x7f) return p + 1; // numeric, vector, funcref, externref
    throw new Error(`unsupported value type 0x${t.toString(16)} in an import`);
  };
  switch (kind) {
    case 0x00: // function: type index
      return readU32(bytes, pos).pos;
    case 0x01: // table: reftype, limits
      return limits(refOrValType(pos));
    case 0x02: // memory: limits
      return limits(pos);
    case 0x03: // global: valtype, mutability
      return refOrValType(pos) + 1;
    case 0x04: // tag: attribute, type index
      return readU32(bytes, pos + 1).pos;
    default:
      throw new Error(`unknown import kind ${kind}`);
  }
}

/** The imports as [{ module, field, desc }] and the section's place. */
function readImports(bytes) {
  const section = sections(bytes).find((s) => s.id === 2);
  if (!section) return { section: null, imports: [] };
  let pos = section.start;
  const count = readU32(bytes, pos);
  pos = count.pos;
  const str = () => {
    const len = readU32(bytes, pos);
    const s = bytes.subarray(len.pos, len.pos + len.value).toString("utf8");
    pos = len.pos + len.value;
    return s;
  };
  const imports = [];
  for (let i = 0; i < count.value; i++) {
    const module = str();
    const field = str();
    const end = skipImportDesc(bytes, pos);
    imports.push({ module, field, desc: bytes.subarray(pos, end) });
    pos = end;
  }
  if (pos !== section.end) throw new Error("the import section has trailing bytes");
  return { section, imports };
}

/** The module with a new import section, every other byte as it was. */
function writeImports(bytes, section, imports) {
  const body = Buffer.concat([
    u32(imports.length),
    ...imports.flatMap((imp) => [name(imp.module), name(imp.field), imp.desc]),
  ]);
  return Buffer.concat([
    bytes.subarray(0, section.head),
    Buffer.from([2]),
    u32(body.length),
    body,
    bytes.subarray(section.end),
  ]);
}

// --- short names ----------------------------------------------------------------

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval undefined NaN Infinity")
    .split(" "),
);

/** a…z, A…Z, then aa, ab, …: short plain identifiers, no keywords. */
function* shortNames() {
  const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const rest = first + "0123456789";
  for (let len = 1; ; len++) {
    const idx = new Array(len).fill(0);
    for (;;) {
      const s = first[idx[0]] + idx.slice(1).map((i) => rest[i]).join("");
      if (!RESERVED.has(s)) yield s;
      let k = len - 1;
      while (k >= 0 && ++idx[k] === (k === 0 ? first : rest).length) idx[k--] = 0;
      if (k < 0) break;
    }
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// --- the JS glues -----------------------------------------------------------------

/**
 * Renames the import object's keys (`old: function…`) and its module key in
 * one glue; each old name must occur exactly once, as such a key.
 */
function renameGlue(js, mapping, label) {
  for (const [from, to] of mapping) {
    const word = new RegExp(`(?<![\\w$])${escapeRe(from)}(?![\\w$])`, "g");
    const uses = js.match(word)?.length ?? 0;
    const key = new RegExp(`^(\\s*)${escapeRe(from)}(\\s*:)`, "m");
    if (uses !== 1 || !key.test(js)) {
      fail(`${label}: expected the import ${from} once, as a key of the import object; found ${uses} uses`);
    }
    js = js.replace(key, `$1${to}$2`);
  }
  const moduleKey = new RegExp(`(["'])${escapeRe(OLD_MODULE)}\\1(\\s*:)`, "g");
  const keys = js.match(moduleKey)?.length ?? 0;
  if (keys !== 1) fail(`${label}: expected one import object key "${OLD_MODULE}", found ${keys}`);
  return js.replace(moduleKey, `"${NEW_MODULE}"$2`);
}

/** exported name -> local name, from a glue's `export …` statements. */
function exportsOf(js) {
  const out = new Map();
  for (const m of js.matchAll(/^export (?:async )?(?:function\*?|class)\s+([A-Za-z_$][\w$]*)/gm)) out.set(m[1], m[1]);
  for (const m of js.matchAll(/(?:^|[;}\s])export\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(",").map((p) => p.trim()).filter(Boolean)) {
      const [local, exported = local] = part.split(/\s+as\s+/);
      out.set(exported, local);
    }
  }
  return out;
}

function minifyWeb(js) {
  const hadSelfTypes = js.startsWith(SELF_TYPES);
  const before = exportsOf(js);
  let esbuild;
  try {
    esbuild = createRequire(join(root, "tools", "package.json"))("esbuild");
  } catch {
    fail("esbuild is not installed in tools/; run make setup");
  }
  let out = esbuild.transformSync(js, {
    loader: "js",
    format: "esm",
    minify: true,
    legalComments: "none",
    charset: "utf8",
  }).code;
  // The one export statement esbuild writes last: `export{y as VoteClient,…};`.
  const tail = /export\{([^}]*)\};?\s*$/.exec(out);
  if (!tail) fail("esbuild's output does not end in one export statement");
  const after = exportsOf(tail[0]);
  const sorted = (m) => [...m.keys()].sort().join(", ");
  if (sorted(before) !== sorted(after)) fail(`the minified glue exports {${sorted(after)}}, not {${sorted(before)}}`);
  // Minifying renamed the exported functions and class: give each its name back.
  const renamed = [...after].filter(([exported, local]) => local !== before.get(exported));
  const names = renamed.map(([exported, local]) => `[${local},${JSON.stringify(before.get(exported))}]`).join(",");
  const keepNames = renamed.length
    ? `for(const[f,n]of[${names}])Object.defineProperty(f,"name",{value:n});\n`
    : "";
  const list = [...after].map(([exported, local]) => (local === exported ? local : `${local} as ${exported}`));
  out = out.slice(0, tail.index).trimEnd() + "\n" + keepNames + `export { ${list.join(", ")} };\n`;
  return (hadSelfTypes ? SELF_TYPES + "\n" : "") + out;
}

/**
 * Both glues as written against the module: the nodejs glue instantiates it
 * on require, the web glue through initSync(); with `names` (exported name
 * -> the unminified glue's local name), the web glue keeps those exports and
 * the `.name` of each.
 */
async function verify(bytes, names) {
  try {
    const nodeLib = createRequire(import.meta.url)(files.nodeJs);
    if (typeof nodeLib.percentages !== "function") throw new Error("the nodejs glue lost percentages()");
    const webLib = await import(`${pathToFileURL(files.webJs).href}?shrink=${Date.now()}`);
    if (!(webLib.initSync({ module: bytes }).memory instanceof WebAssembly.Memory)) {
      throw new Error("the web glue's initSync() does not return the exports");
    }
    for (const [exported, local] of names ?? []) {
      const value = webLib[exported];
      if (value === undefined) throw new Error(`the minified web glue lost the export ${exported}`);
      if (typeof value === "function" && value.name !== local) {
        throw new Error(`the minified web glue's ${exported}.name is ${JSON.stringify(value.name)}, not ${JSON.stringify(local)}`);
      }
    }
  } catch (e) {
    fail(`${e.message}; run make build`);
  }
}

// --- main -------------------------------------------------------------------------

const wasm = readFileSync(files.webWasm);
if (!wasm.equals(readFileSync(files.nodeWasm))) {
  fail("pkg/web and pkg/node hold different .wasm files; rebuild both from one source (make build)");
}
let parsed;
try {
  parsed = readImports(wasm);
} catch (e) {
  fail(`${files.webWasm}: ${e.message}`);
}
const { section, imports } = parsed;
const webJs = readFileSync(files.webJs, "utf8");
const nodeJs = readFileSync(files.nodeJs, "utf8");

if (imports.length && imports.every((imp) => imp.module === NEW_MODULE)) {
  // Already shrunk (shrink.mjs ran since the last wasm-pack build): check it.
  await verify(wasm, null);
  console.log("shrink: pkg/web and pkg/node are already shrunk");
  process.exit(0);
}
if (!imports.length || imports.some((imp) => imp.module !== OLD_MODULE)) {
  const modules = [...new Set(imports.map((imp) => imp.module))].join(", ");
  fail(`expected every import from "${OLD_MODULE}", found modules {${modules}}`);
}

const gen = shortNames();
const mapping = new Map(imports.map((imp) => [imp.field, gen.next().value]));
if (mapping.size !== imports.length) fail("two imports share one name");

const newWasm = writeImports(
  wasm,
  section,
  imports.map((imp) => ({ module: NEW_MODULE, field: mapping.get(imp.field), desc: imp.desc })),
);
const newNodeJs = renameGlue(nodeJs, mapping, "pkg/node/b24_vote.js");
const newWebJs = minifyWeb(renameGlue(webJs, mapping, "pkg/web/b24_vote.js"));

// Check before writing: the module validates and both glues instantiate it.
try {
  const module = new WebAssembly.Module(newWasm);
  const wanted = WebAssembly.Module.imports(module);
  if (wanted.length !== imports.length || wanted.some((imp) => imp.module !== NEW_MODULE)) throw new Error("imports lost");
  const before = WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => `${e.name}:${e.kind}`);
  const after = WebAssembly.Module.exports(module).map((e) => `${e.name}:${e.kind}`);
  if (before.join() !== after.join()) throw new Error("exports changed");
} catch (e) {
  fail(`the rewritten .wasm is not valid: ${e.message}`);
}

writeFileSync(files.webWasm, newWasm);
writeFileSync(files.nodeWasm, newWasm);
writeFileSync(files.webJs, newWebJs);
writeFileSync(files.nodeJs, newNodeJs);

await verify(newWasm, exportsOf(webJs));

console.log(
  `shrink: ${imports.length} imports renamed; .wasm ${wasm.length} -> ${newWasm.length} B, ` +
    `web glue ${Buffer.byteLength(webJs)} -> ${Buffer.byteLength(newWebJs)} B, ` +
    `nodejs glue ${Buffer.byteLength(nodeJs)} -> ${Buffer.byteLength(newNodeJs)} B`,
);
