// Headless Chromium for the page tests: the system's /usr/bin/chromium through playwright-core, with no background
// traffic, in a temporary profile.
import { chromium, type BrowserContext } from "playwright-core";
import { tempDir } from "../helpers.js";

export const chromiumPath = "/usr/bin/chromium";

const baseArgs = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A persistent context in a fresh profile; `extraArgs` are added to the command line. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir("alpaca-rag-chromium-"), {
    executablePath: chromiumPath,
    args: [...baseArgs, ...extraArgs],
    headless: true,
    locale: "en-US",
  });
}
