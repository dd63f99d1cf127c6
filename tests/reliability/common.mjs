// Shared by the reliability tests and the benchmarks: start b24-portal,
// talk to its admin API, load the library builds, merge figures into
// target/bench.json.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

/** The nodejs build (CommonJS). */
export function loadNodeBuild() {
  const file = path.join(ROOT, 'pkg/node/b24_vote.js');
  if (!fs.existsSync(file)) throw new Error('pkg/node is missing: run `make build` first');
  return require(file);
}

/**
 * The web build (ES module) instantiated synchronously under Node, so the
 * caller holds the instance's exports, `memory` included.
 */
export async function loadWebBuild() {
  const file = path.join(ROOT, 'pkg/web/b24_vote.js');
  if (!fs.existsSync(file)) throw new Error('pkg/web is missing: run `make build` first');
  const lib = await import(pathToFileURL(file).href);
  const exports = lib.initSync({ module: fs.readFileSync(path.join(ROOT, 'pkg/web/b24_vote_bg.wasm')) });
  return { lib, exports };
}

/**
 * Starts target/<profile>/b24-portal on a free loopback port. Builds it
 * first unless `build: false`; `openFiles` lowers its open-files limit
 * (`ulimit -n`). Resolves to { url, stop() }.
 */
export async function startPortal({ args = ['--rate', 'off'], profile = 'debug', build = true, openFiles } = {}) {
  if (build) {
    execFileSync('cargo', ['build', '-q', '-p', 'b24-portal', ...(profile === 'release' ? ['--release'] : [])], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const bin = path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), profile, 'b24-portal');
  const argv = ['--listen', '127.0.0.1:0', ...args];
  const stdio = { stdio: ['ignore', 'pipe', 'pipe'] };
  const child = openFiles
    ? spawn('/bin/sh', ['-c', `ulimit -n ${Number(openFiles)} && exec "$0" "$@"`, bin, ...argv], stdio)
    : spawn(bin, argv, stdio);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`b24-portal printed no address: ${out}`)), 20000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /^b24-portal listening on (http:\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`b24-portal exited (${code}): ${out}`));
    });
  });
  child.removeAllListeners('exit');
  child.stdout.resume();
  child.stderr.resume();
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A JSON call to the emulator's admin API. */
export function adminClient(url) {
  async function admin(p, body) {
    const res = await fetch(`${url}/_emulator/${p}`, body === undefined
      ? {}
      : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`admin ${p}: ${res.status} ${text}`);
    return JSON.parse(text);
  }
  return {
    admin,
    reset: () => admin('reset', {}),
    stats: () => admin('stats'),
    poll: (id) => admin(`polls/${id}`),
    newPoll: (body) => admin('polls', body),
    fault: (f) => admin('faults', f),
    token: (body) => admin('tokens', body),
    config: (body) => admin('config', body),
  };
}

/** Settles `promise` as {ok, value} / {ok:false, error}, or {hung:true} after `ms`. */
export async function watchdog(promise, ms) {
  let timer;
  const bound = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), ms);
  });
  try {
    return await Promise.race([
      promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error })),
      bound,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Merges `value` under `key` into target/bench.json (created if missing). */
export function recordResult(key, value) {
  const dir = path.join(ROOT, 'target');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bench.json');
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10000;
  let fd;
  for (;;) {
    try {
      fd = fs.openSync(lock, 'wx');
      break;
    } catch (e) {
      if (e.code !== 'EEXIST' || Date.now() > deadline) {
        if (e.code === 'EEXIST') fs.rmSync(lock, { force: true });
        else throw e;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    let all = {};
    try {
      all = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {}
    all[key] = { ...value, recordedAt: new Date().toISOString() };
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(all, null, 2)}\n`);
    fs.renameSync(`${file}.tmp`, file);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}

/** Prints rows (arrays) as an aligned text table. */
export function printTable(header, rows, log = console.log) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log(line(all[0]));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of all.slice(1)) log(line(r));
}
