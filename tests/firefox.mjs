// Debian's firefox-esr driven through geckodriver (`cargo install geckodriver`), for the
// tests that need a second engine. The options live in tests/webdriver.json, which
// wasm-bindgen-test sends for `wasm-pack test --firefox`; the selenium-driven e2e test
// reads them from there, so both runs use the same browser and prefs.
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { Browser, Builder } from "selenium-webdriver";
import firefox from "selenium-webdriver/firefox.js";

const webdriver = JSON.parse(readFileSync(new URL("./webdriver.json", import.meta.url), "utf8"));
const FIREFOX_OPTIONS = webdriver["moz:firefoxOptions"];

/** geckodriver from GECKODRIVER or PATH; never selenium's own download. */
export function geckodriverPath() {
  const onPath = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "geckodriver"));
  const candidates = [process.env.GECKODRIVER, ...onPath];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error("geckodriver is not on PATH: run make setup");
  return found;
}

/**
 * Starts headless Firefox with the shared options, plus per-test prefs
 * (for example ui.prefersReducedMotion); `bidi` opens WebDriver BiDi for log events.
 */
export async function launchFirefox({ prefs = {}, bidi = false, width = 1024, height = 800 } = {}) {
  const options = new firefox.Options();
  // The shared options (binary, args, prefs) as they are; the setters below add to them.
  options.set("moz:firefoxOptions", structuredClone(FIREFOX_OPTIONS));
  options.addArguments("-headless");
  for (const [name, value] of Object.entries(prefs)) options.setPreference(name, value);
  if (bidi) options.enableBidi();
  const driver = await new Builder()
    .forBrowser(Browser.FIREFOX)
    .setFirefoxOptions(options)
    .setFirefoxService(new firefox.ServiceBuilder(geckodriverPath()))
    .build();
  await driver.manage().window().setRect({ width, height });
  return driver;
}
