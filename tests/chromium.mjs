// Debian's Chromium and the flags that keep it off this machine's closed network.
// One list for every runner: tests/webdriver.json (wasm-bindgen-test) holds it,
// and the Playwright-driven tests read it from there.
import { readFileSync } from "node:fs";

const webdriver = JSON.parse(readFileSync(new URL("./webdriver.json", import.meta.url), "utf8"));

/** The browser binary (`apt-get install chromium`). */
export const CHROMIUM_PATH = webdriver["goog:chromeOptions"].binary;

/** Launch flags: headless, no sandbox (root), no background networking. */
export const CHROMIUM_ARGS = webdriver["goog:chromeOptions"].args;
