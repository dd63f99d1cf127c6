// Shared by the end-to-end tests: starts b24-portal serving the app (www/) and the web
// build (pkg/web at /pkg), drives Debian's Chromium through playwright-core, and loads
// the library's Node build for expected values.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../chromium.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(ROOT, "tests", "artifacts");
export const IM_ENTITY_TYPE = "Bitrix\\Vote\\Attachment\\ImMessageConnector";

const PORTAL_BIN = join(ROOT, "target", "debug", "b24-portal");
// The web build served at /pkg (B24_E2E_PKG_WEB points the tests at another build).
const PKG_WEB = process.env.B24_E2E_PKG_WEB || join(ROOT, "pkg", "web");
/** The official SDK's browser build (@bitrix24/b24jssdk), served with the app. */
export const B24JSSDK_UMD = join(ROOT, "tests", "node_modules", "@bitrix24", "b24jssdk", "dist", "umd");


/** The demo poll (also what `make demo` creates). */
export const DEMO_POLL = JSON.parse(readFileSync(join(ROOT, "tests", "e2e", "demo-poll.json"), "utf8"));

/** A poll whose texts look like HTML (an img with onerror, bold, a script): shown as text. */
const MARKUP = "<img src=x onerror=alert(1)> <b>bold</b>";
export const MARKUP_POLL = {
  author: 1,
  questions: [{ text: `Q ${MARKUP}`, answers: [`A ${MARKUP}`, "<script>alert(2)</script>", "plain"] }],
  ballots: [{ user: 2, answers: { 0: [0] } }],
};

/** The library's Node build (pkg/node), for expected percentages. */
export function library() {
  const path = join(ROOT, "pkg", "node", "b24_vote.js");
  if (!existsSync(path)) throw new Error("pkg/node/b24_vote.js is missing: run make build");
  return createRequire(import.meta.url)(path);
}

/**
 * Starts b24-portal on a free port with the app and the web build mounted.
 * Returns { url, appOrigin, admin(path, body?), stop() }; appOrigin is set when
 * extraArgs has --app-listen.
 */
export async function startPortal(extraArgs = []) {
  if (!existsSync(join(PKG_WEB, "b24_vote.js"))) {
    throw new Error(`${PKG_WEB}/b24_vote.js is missing: run make build`);
  }
  const build = spawnSync("cargo", ["build", "-q", "-p", "b24-portal"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("cargo build -p b24-portal failed");

  const child = spawn(
    PORTAL_BIN,
    ["--listen", "127.0.0.1:0", "--rate", "off", "--static", "www", "--static", `/pkg=${PKG_WEB}`, ...extraArgs],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const [url, appOrigin] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`b24-portal printed no address:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const m = /^b24-portal listening on (http:\/\/\S+)$/m.exec(output);
      // The start-up lines end with "portal page:" and, with --app-listen, "app origin:".
      const done = extraArgs.includes("--app-listen") ? /^app origin: (\S+)$/m.exec(output) : /^portal page: /m.exec(output);
      if (m && done) {
        clearTimeout(timer);
        resolve([m[1], extraArgs.includes("--app-listen") ? done[1] : null]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`b24-portal exited (${code}):\n${output}`));
    });
  });
  child.stdout.resume();

  async function admin(path, body) {
    const res = await fetch(url + path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  return {
    url,
    appOrigin,
    admin,
    /** The webhook URL of a user (every user N has /rest/N/hookN/). */
    webhook: (user) => `${url}/rest/${user}/hook${user}/`,
    stop() {
      child.kill("SIGTERM");
    },
  };
}

/** Launches Debian's Chromium (no browser download). */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A test file's set-up: starts b24-portal (with extraArgs) and Chromium before its tests,
 * awaits onStart({ portal, browser }) (the file's own set-up goes there: a file's
 * top-level before hooks start at once, not one after another), and closes both after
 * its tests.
 */
export function withPortalAndBrowser(onStart, extraArgs = []) {
  const started = {};
  before(async () => {
    started.portal = await startPortal(extraArgs);
    started.browser = await launchBrowser();
    await onStart(started);
  });
  after(async () => {
    await started.browser?.close();
    started.portal?.stop();
  });
}

/**
 * Opens a page at the given width, collecting dialogs, page errors, console errors and
 * CSP violations so tests can assert none happened.
 */
export async function openPage(browser, { width = 1024, height = 800, initScript, reducedMotion = "reduce" } = {}) {
  // Reduced motion by default: bars are drawn at their final length at once.
  const context = await browser.newContext({ viewport: { width, height }, reducedMotion });
  const page = await context.newPage();
  const events = { dialogs: [], pageErrors: [], consoleErrors: [] };
  page.on("dialog", (d) => {
    events.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => events.pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") events.consoleErrors.push(m.text());
  });
  if (initScript) await page.addInitScript(initScript.fn, initScript.arg);
  return { page, context, events };
}

/** The app's URL for a webhook and a poll reference. */
export function appUrl(portal, params) {
  const q = new URLSearchParams(params);
  return `${portal.url}/?${q}`;
}

/** The parameters of a REST request, whether it was sent as JSON or as a form. */
export function restParams(request) {
  const body = request.postData() ?? "";
  const type = request.headers()["content-type"] ?? "";
  if (type.includes("json")) return JSON.parse(body);
  return Object.fromEntries(new URLSearchParams(body));
}

/** Waits until the app has started and no call is in flight. */
export async function settled(page) {
  await page.waitForSelector('#app[data-ready="true"][aria-busy="false"]');
}

/**
 * Reads the drawn poll: per answer id, its percent label, vote count text and meter value.
 * Runs in the page (any engine: Playwright's evaluate or WebDriver's executeScript).
 */
export function pollInPage() {
  return [...document.querySelectorAll("li[data-answer-id]")].map((row) => ({
    id: Number(row.dataset.answerId),
    text: row.querySelector(".answer-text").textContent,
    percent: Number(row.querySelector("[data-percent]").dataset.percent),
    label: row.querySelector("[data-percent]").textContent,
    votes: Number(/\d+/.exec(row.querySelector(".count").textContent)[0]),
    meter: Number(row.querySelector('[role="meter"]').getAttribute("aria-valuenow")),
    mine: row.classList.contains("mine"),
  }));
}

/** Which of the action buttons are visible, and which of those enabled. Runs in the page. */
export function buttonsInPage() {
  const visible = [...document.querySelectorAll("#poll-actions button")].filter((b) => !b.hidden);
  return Object.fromEntries(visible.map((b) => [b.id, !b.disabled]));
}

export async function readPoll(page) {
  return page.evaluate(pollInPage);
}

export async function buttons(page) {
  return page.evaluate(buttonsInPage);
}

/** Saves a full-page screenshot into tests/artifacts/. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Votes per answer of question 0 in a poll spec's seeded ballots. */
export function seededVotes(spec, question = 0) {
  const votes = spec.questions[question].answers.map(() => 0);
  for (const b of spec.ballots ?? []) for (const i of b.answers[String(question)] ?? []) votes[i] += 1;
  return votes;
}
