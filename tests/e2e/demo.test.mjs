// `make demo` as a new user meets it: tests/demo.sh prints the portal page's URL first,
// then the standalone one; on the portal page the demo poll's message menu opens the
// app in a frame, where vote, recall, stop and resume work; the standalone URL works too.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { ROOT, buttons, launchBrowser, openPage, readPoll, settled } from "./helpers.mjs";

let demo;
let output = "";
let browser;

before(async () => {
  // DEMO_PORT=0: free ports, so the test never meets a running demo.
  demo = spawn("bash", ["tests/demo.sh"], {
    cwd: ROOT,
    env: { ...process.env, DEMO_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo printed no URLs:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk;
      if (/Press Ctrl-C/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    demo.stdout.on("data", onData);
    demo.stderr.on("data", onData);
    demo.on("exit", (code) => reject(new Error(`the demo exited (${code}):\n${output}`)));
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  // The script and the portal it started share a process group.
  if (demo?.pid) {
    try {
      process.kill(-demo.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
});

test("make demo: the portal page first, the poll opens in a frame and takes every action", async () => {
  const urls = [...output.matchAll(/^\s+(http:\/\/\S+)$/gm)].map((m) => m[1]);
  assert.equal(urls.length, 2, output);
  const [portalPage, standalone] = urls;
  assert.match(portalPage, /^http:\/\/127\.0\.0\.1:\d+\/portal\/\?chat=\d+$/);
  assert.notEqual(new URL(standalone).origin, new URL(portalPage).origin, "the app has its own origin");

  const { page, context, events } = await openPage(browser, { width: 1180, height: 760 });
  await page.goto(portalPage);
  const message = page.locator("li[data-attach-id]").filter({ hasText: "sprint retrospective" });
  await message.locator(".menu-button").click();
  await page.getByRole("menuitem", { name: "Poll results" }).click();
  const frame = await (await page.waitForSelector("iframe.app-frame")).contentFrame();
  await frame.waitForURL(`${new URL(standalone).origin}/index.html?**`);
  await settled(frame);
  assert.equal((await readPoll(frame)).length, 4);

  await frame.getByRole("radio", { name: "Wednesday" }).check();
  await frame.click("#vote");
  await settled(frame);
  assert.equal(await frame.textContent("#status"), "Your vote was counted.");
  await frame.click("#recall");
  await settled(frame);
  assert.equal(await frame.textContent("#status"), "Your vote was recalled.");
  await frame.click("#stop");
  await settled(frame);
  assert.deepEqual(await buttons(frame), { resume: true, refresh: true });
  await frame.click("#resume");
  await settled(frame);
  assert.equal(await frame.textContent("#status"), "The poll is open again.");
  assert.deepEqual(events.pageErrors, []);

  await page.goto(standalone);
  await settled(page);
  assert.equal((await readPoll(page)).length, 4);
  await context.close();
});
