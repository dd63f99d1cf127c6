// Helpers of the consumer tests: the packed tarball, b24-portal, npm installs
// into temp dirs, a static file server and headless Chromium.
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../chromium.mjs";

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
export const IM_ENTITY_TYPE = "Bitrix\\Vote\\Attachment\\ImMessageConnector";


/** The tarball `make package` produced: the argument, or pkg/b24-vote-<version>.tgz. */
export function findTarball(arg) {
  if (arg) return resolve(arg);
  const dir = join(ROOT, "pkg");
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => /^b24-vote-.+\.tgz$/.test(f)) : [];
  if (found.length !== 1) {
    throw new Error(`expected one pkg/b24-vote-*.tgz, found ${found.length}: run make package`);
  }
  return join(dir, found[0]);
}

/** Runs a command; resolves to { code, stdout, stderr } (never rejects on exit code). */
export function run(command, args, { cwd, env, timeoutMs = 300_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} timed out after ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Like run(), but throws with the output when the command fails. */
export async function check(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const output = (result.stdout + result.stderr).trim().split("\n").slice(-40).join("\n");
    throw new Error(`${command} ${args.join(" ")} exited with ${result.code}:\n${output}`);
  }
  return result;
}

/** npm install into `dir` (which has a package.json), from npm's cache when it can. */
export function npmInstall(dir, specs) {
  return check(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...specs],
    { cwd: dir, timeoutMs: 600_000 },
  );
}

/**
 * b24-portal: the one in B24_PORTAL_URL when the caller started it, else a
 * fresh one on a free port (`--rate off`). Returns { url, admin, stop }.
 */
export async function startPortal() {
  let url = process.env.B24_PORTAL_URL;
  let child = null;
  if (!url) {
    const build = spawnSync("cargo", ["build", "-q", "-p", "b24-portal"], { cwd: ROOT, stdio: "inherit" });
    if (build.status !== 0) throw new Error("cargo build -p b24-portal failed");
    child = spawn(join(ROOT, "target/debug/b24-portal"), ["--listen", "127.0.0.1:0", "--rate", "off"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    url = await new Promise((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`b24-portal printed no address:\n${output}`)), 20_000);
      child.stdout.on("data", (chunk) => {
        output += chunk;
        const m = /^b24-portal listening on (http:\/\/\S+)$/m.exec(output);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        }
      });
      child.stderr.on("data", (chunk) => (output += chunk));
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`b24-portal exited (${code}):\n${output}`));
      });
    });
    child.removeAllListeners("exit");
  }
  url = url.replace(/\/+$/, "");

  async function admin(path, body) {
    const res = await fetch(`${url}/_emulator/${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  return { url, admin, stop: () => child?.kill() };
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
};

/**
 * Serves `root` on 127.0.0.1 (another port, hence another origin, than the
 * portal). Records every request as { path, status, type }.
 */
export async function serveStatic(root) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(root, path.endsWith("/") ? path + "index.html" : path));
    let status = 404;
    let type = "text/plain";
    if ((file === root || file.startsWith(root + sep)) && existsSync(file) && statSync(file).isFile()) {
      status = 200;
      type = TYPES[extname(file)] ?? "application/octet-stream";
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      createReadStream(file).pipe(res);
    } else {
      res.writeHead(status, { "Content-Type": type });
      res.end("not found");
    }
    requests.push({ path, status, type });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Headless Debian Chromium through tests/node_modules/playwright-core. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Opens `url`, waits until the page sets body[data-state], and returns
 * { state, text, log } (log: console messages, page errors, failed requests).
 */
export async function openPage(browser, url, { selector = "#result", timeoutMs = 30_000 } = {}) {
  const page = await browser.newPage();
  const log = [];
  page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  try {
    await page.goto(url);
    await page.waitForSelector("body[data-state]", { timeout: timeoutMs });
    const state = await page.getAttribute("body", "data-state");
    const text = (await page.textContent(selector))?.trim();
    return { state, text, log };
  } catch (e) {
    throw new Error(`${e.message}\n${log.join("\n")}`);
  } finally {
    await page.close();
  }
}

/** A free TCP port on 127.0.0.1 (for servers that cannot take port 0). */
export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** `vite` (the dev server) in `dir`; resolves to { url, stop } once it listens. */
export async function startViteDev(dir) {
  const port = await freePort();
  const child = spawn(
    "node",
    ["node_modules/vite/bin/vite.js", "--host", "127.0.0.1", "--port", String(port), "--clearScreen", "false"],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite printed no address:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      // eslint-disable-next-line no-control-regex
      const m = /Local:\s+(http:\/\/\S+)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ""));
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1].replace(/\/$/, ""));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vite exited (${code}):\n${output}`));
    });
  });
  child.removeAllListeners("exit");
  return { url, stop: () => child.kill() };
}
