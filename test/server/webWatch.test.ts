// The page follows the inbox in headless Chromium (playwright-core, the system's /usr/bin/chromium): a file dropped
// into the inbox, or removed from it, shows in the document list by itself, with no reload and no click, and the
// ingest status line says what the last ingest did, failures with their reasons.
import fs from "node:fs";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { startTestServer, type TestServer } from "./serverFixture.js";

let browser: BrowserContext;
let t: TestServer;

beforeAll(async () => {
  browser = await chromium.launchPersistentContext(tempDir("alpaca-rag-chromium-"), {
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    headless: true,
    locale: "en-US",
  });
  t = await startTestServer({ generator: "none", embedding: "none" });
});

afterAll(async () => {
  await t?.close();
  await browser?.close();
});

describe("the page while the server follows the inbox", () => {
  it("lists a file dropped into the inbox by itself, shows the ingest's outcome, and drops a removed file", async () => {
    const page = await browser.newPage();
    // A change shows in about 1 s on the server plus up to 2 s until the page looks; 30 s is well beyond both.
    page.setDefaultTimeout(30_000);
    await page.goto(t.url);
    await page.waitForSelector('tr[data-path="lighthouse.txt"]');
    await expect.poll(() => page.textContent("#ingest-status"), { timeout: 30_000 }).toMatch(/^Last ingest \(start-up, .+\): added 2, updated 0, removed 0, failed 0 · watching the inbox$/);
    // The file chooser offers the formats the server reads.
    expect((await page.getAttribute("#upload-input", "accept"))!.split(",")).toEqual(expect.arrayContaining([".pdf", ".txt", ".md"]));
    const rowsBefore = await page.locator("#documents tbody tr").count();

    fs.writeFileSync(path.join(t.inbox, "herb-garden.txt"), "The herb garden grows thyme, sage and rosemary beside the kitchen door.");
    fs.writeFileSync(path.join(t.inbox, "broken.pdf"), "%PDF-1.4\nnot really a PDF\n");
    await page.waitForSelector('tr[data-path="herb-garden.txt"]');
    expect(await page.locator("#documents tbody tr").count()).toBe(rowsBefore + 1);
    await expect.poll(() => page.textContent("#ingest-status")).toMatch(/^Last ingest \(inbox changed, .+\): added 1, updated 0, removed 0, failed 1 · watching the inbox$/);
    expect(await page.textContent("#ingest-failed li")).toMatch(/^broken\.pdf: \S/);

    fs.rmSync(path.join(t.inbox, "herb-garden.txt"));
    fs.rmSync(path.join(t.inbox, "broken.pdf"));
    await page.waitForSelector('tr[data-path="herb-garden.txt"]', { state: "detached" });
    await expect.poll(() => page.textContent("#ingest-status")).toMatch(/removed 1, failed 0/);
    expect(await page.locator("#ingest-failed li").count()).toBe(0);

    // The same line in Chinese.
    await page.click("#lang");
    await expect.poll(() => page.textContent("#ingest-status")).toMatch(/^上次收录（收件箱有变化，.+）：新增 0，更新 0，删除 1，失败 0 · 正在监视收件箱$/);
    await page.close();
  });
});
