// The web page end to end in headless Chromium (playwright-core, the system's /usr/bin/chromium): ask and watch the
// answer stream, follow a citation to its file, page and snippet, upload a document and delete it, switch language.
// The whole working session (conversations, previews, accessibility, screenshots) is in webSession.test.ts.
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.js";
import { projectRoot } from "../helpers.js";
import { shippedSamples, startTestServer, type TestServer } from "./serverFixture.js";

let browser: BrowserContext;
const screenshotDir = path.join(projectRoot, "test-results", "screenshots");

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe("the page over extractive answers from the shipped samples", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ generator: "none", embedding: "none", files: shippedSamples() });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers a question with citation links that show the source's file, page and snippet", async () => {
    const page = await newPage();
    await page.goto(t.url);
    await expect.poll(() => page.textContent("h1")).toBe("Document Q&A");
    // No key is needed on this server, so the key form stays out of sight.
    expect(await page.isVisible("#key-form")).toBe(false);
    expect(await page.isVisible("#preview")).toBe(false);
    await page.fill("#question", "When was the Northvale Seed Library founded, and by whom?");
    const streamed = page.waitForResponse((r) => r.url().endsWith("/v1/ask"));
    await page.click("#ask-button");
    expect((await streamed).headers()["content-type"]).toMatch(/^text\/event-stream/);
    await page.waitForSelector("#thread .answer a.cite");
    expect(await page.textContent("#thread .answer")).toMatch(/2011/);
    await page.click("#thread .answer a.cite >> nth=0");
    await page.waitForSelector("#preview[open]");
    expect(await page.textContent("#preview-file")).toBe("northvale-seed-library.pdf");
    expect(await page.textContent("#preview-page")).toBe("page 1");
    expect((await page.textContent("#preview-snippet"))!.length).toBeGreaterThan(20);
    await page.waitForSelector("#preview .highlight");
    expect(await page.textContent("#thread .sources")).toMatch(/northvale-seed-library\.pdf · page 1/);
    expect(await page.textContent("#ask-status")).toMatch(/^Done in \d/);
    await page.close();
  });

  it("keeps a Chinese conversation with a follow-up; screenshots for the README (the project's own samples only)", async () => {
    const page = await newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(t.url);
    await page.click("#lang");
    // Back to English for the tests after this one, whatever happens here (the choice is kept in the browser).
    try {
      await page.click("#new-conversation");
      for (const [i, question] of ["望月桥建成于哪一年？", "它全长多少米？"].entries()) {
        await page.fill("#question", question);
        await page.press("#question", "Enter");
        await expect.poll(() => page.locator("#thread .turn").count()).toBe(i + 1);
        await expect.poll(() => page.textContent("#ask-status")).toMatch(/^完成/);
      }
      expect(await page.textContent("#thread .turn >> nth=0 >> .answer")).toMatch(/1923/);
      expect(await page.textContent("#thread .turn >> nth=1 >> .answer")).toMatch(/五十八米/);
      fs.mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, "readme-page-1280.png") });
      await page.fill("#question", "When was the Northvale Seed Library founded, and by whom?");
      await page.press("#question", "Enter");
      await expect.poll(() => page.locator("#thread .turn").count()).toBe(3);
      await page.click("#thread .turn >> nth=2 >> .answer a.cite >> nth=0");
      await page.waitForSelector("#preview .highlight");
      await page.screenshot({ path: path.join(screenshotDir, "readme-preview-1280.png") });
    } finally {
      await page.evaluate("localStorage.setItem('lang', 'en')");
      await page.close();
    }
  });

  it("lists the documents, uploads one and shows it, deletes it after confirmation", async () => {
    const page = await newPage();
    await page.goto(t.url);
    await page.waitForSelector('tr[data-path="northvale-seed-library.pdf"]');
    const pdfRow = await page.textContent('tr[data-path="northvale-seed-library.pdf"]');
    expect(pdfRow).toMatch(/northvale-seed-library\.pdf/);

    await page.setInputFiles("#upload-input", {
      name: "window-boxes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("Window boxes need drainage holes and a light soil mix; water them in the morning."),
    });
    await page.click("#upload-button");
    await page.waitForSelector('tr[data-path="window-boxes.txt"]');
    expect(fs.existsSync(path.join(t.inbox, "window-boxes.txt"))).toBe(true);
    await expect.poll(() => page.textContent("#documents-status")).toMatch(/Indexed: window-boxes\.txt/);

    await page.click('tr[data-path="window-boxes.txt"] button.delete');
    await page.click("#confirm-ok");
    await page.waitForSelector('tr[data-path="window-boxes.txt"]', { state: "detached" });
    expect(fs.existsSync(path.join(t.inbox, "window-boxes.txt"))).toBe(false);
    expect(await page.textContent("#documents-status")).toMatch(/Deleted: window-boxes\.txt/);
    await page.close();
  });

  it("says plainly how it answers and searches: extracted sentences with no model, keywords only", async () => {
    const page = await newPage();
    await page.goto(t.url);
    await page.waitForSelector("#mode:not([hidden])");
    expect(await page.textContent("#mode")).toBe(
      "Answer model: extractive, no model (no model by setting) · Get a model: npx alpaca-rag models pull chinese-alpaca-2-7b · Embedder: none (keyword search only)",
    );
    // The reason in the page's language, not the server's English note.
    await page.click("#lang");
    await expect
      .poll(() => page.textContent("#mode"))
      .toBe("回答模型：摘录原文，未用模型 (已设置不用模型) · 下载模型： npx alpaca-rag models pull chinese-alpaca-2-7b · 嵌入模型：无（仅关键词检索）");
    // Switching languages re-renders; it must not start another status poll each time (one poll every 2 s).
    const from = t.log.length;
    for (let i = 0; i < 5; i++) await page.click("#lang");
    await page.waitForTimeout(4500);
    const polls = t.log.slice(from).filter((line) => line.includes("GET /v1/ingest/status")).length;
    expect(polls).toBeLessThanOrEqual(4);
    await page.close();
  });

  it("switches between English and Chinese", async () => {
    const page = await newPage();
    await page.goto(t.url);
    await expect.poll(() => page.textContent("#ask-button")).toBe("Ask");
    await page.click("#lang");
    await expect.poll(() => page.textContent("#ask-button")).toBe("提问");
    expect(await page.textContent("h1")).toBe("文档问答");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    await page.reload();
    await expect.poll(() => page.textContent("#upload-button")).toBe("上传");
    await page.click("#lang");
    await expect.poll(() => page.textContent("#upload-button")).toBe("Upload");
    await page.close();
  });
});

describe("the page on a server that needs a key", () => {
  let t: TestServer;
  const key = "web-test-key-0123456789";

  beforeAll(async () => {
    t = await startTestServer({ generator: "none", embedding: "none", settings: { "server.apiKeys": [key] } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("asks for the key on a 401, then lists the documents with it", async () => {
    const page = await newPage();
    await page.goto(t.url);
    await page.waitForSelector("#key-form:not([hidden])");
    expect(await page.isVisible("#key-form")).toBe(true);
    await page.fill("#api-key", key);
    await page.click("#key-form button");
    await page.waitForSelector('tr[data-path="lighthouse.txt"]');
    expect(await page.isVisible("#key-form")).toBe(false);
    await page.fill("#question", "When was the lighthouse built?");
    await page.click("#ask-button");
    await page.waitForSelector("#thread .answer a.cite");
    expect(await page.textContent("#thread .answer")).toMatch(/1871/);
    await page.close();
  });
});

describe("the page over a generator", () => {
  let t: TestServer;

  beforeAll(async () => {
    // A long answer (about half a second of tokens) so its streaming is visible even on a busy machine.
    t = await startTestServer({ settings: { "generator.maxTokens": 300 } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("shows the answer growing as tokens arrive", async () => {
    const page = await newPage();
    await page.goto(t.url);
    // Browser-side code as strings: the tests compile without the DOM's types.
    await page.evaluate(`(() => {
      window.answerLengths = [];
      const box = document.getElementById("thread");
      new MutationObserver(() => window.answerLengths.push(box.textContent.length)).observe(box, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.fill("#question", "When was the Gull Point lighthouse built?");
    await page.click("#ask-button");
    await expect.poll(() => page.textContent("#ask-status"), { timeout: 30_000 }).toMatch(/^Done/);
    expect(await page.textContent("#mode")).toBe("Answer model: stories260K.gguf · Embedder: stories260K.gguf");
    const lengths = (await page.evaluate("window.answerLengths")) as number[];
    const growing = new Set(lengths.filter((n) => n > 0));
    expect(growing.size).toBeGreaterThan(3);
    expect((await page.textContent("#thread .answer"))!.length).toBeGreaterThan(0);
    await page.close();
  });
  it("stops an answer being written, regenerates it in place, and copies it", async () => {
    await browser.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.url.replace(/\/$/, "") });
    const page = await newPage();
    await page.goto(t.url);
    // The browser keeps the earlier test's conversation: start afresh.
    await page.click("#new-conversation");
    await page.fill("#question", "When was the Gull Point lighthouse built?");
    await page.click("#ask-button");
    await page.click("#stop-button");
    await expect.poll(() => page.textContent("#ask-status")).toBe("Stopped");
    expect(await page.textContent("#thread .turn .note")).toBe("Stopped");
    expect(await page.isVisible("#stop-button")).toBe(false);
    expect(await page.isEnabled("#ask-button")).toBe(true);

    await page.click("#thread button.regenerate");
    await expect.poll(() => page.textContent("#ask-status"), { timeout: 30_000 }).toMatch(/^Done/);
    expect(await page.locator("#thread .turn").count()).toBe(1);
    expect(await page.locator("#thread .turn .note").count()).toBe(0);
    const answer = (await page.textContent("#thread .answer"))!;
    expect(answer.length).toBeGreaterThan(0);

    await page.click("#thread button.copy");
    await expect.poll(() => page.textContent("#thread button.copy")).toBe("Copied");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(answer);
    await page.close();
  });
});

describe("the page citing a slide deck", () => {
  let t: TestServer;

  beforeAll(async () => {
    const { makePptx } = await import("../ingest/loaders/formatFixtures.js");
    const deck = await makePptx([
      { title: "Welcome", lines: ["Welcome to the orchard cooperative's annual meeting."] },
      { title: "Harvest", lines: ["This year the cooperative pressed nine thousand litres of cider."] },
    ]);
    // One source per answer, so the cited slide is not merged with its neighbour ("slides 1–2").
    t = await startTestServer({ generator: "none", embedding: "none", files: { "deck.pptx": deck }, settings: { "retrieval.k": 1 } });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it("shows the slide a citation points to, from its location label", async () => {
    const page = await newPage();
    await page.goto(t.url);
    await page.fill("#question", "How many litres of cider did the cooperative press?");
    await page.click("#ask-button");
    await page.waitForSelector("#thread .answer a.cite");
    await page.click("#thread .answer a.cite >> nth=0");
    await page.waitForSelector("#preview[open] .context mark");
    expect(await page.textContent("#preview-file")).toBe("deck.pptx");
    expect(await page.textContent("#preview-page")).toBe("slide 2");
    expect(await page.textContent("#preview .context mark")).toMatch(/nine thousand litres of cider/);
    expect(await page.textContent("#thread .sources")).toMatch(/deck\.pptx · slide 2/);
    await page.close();
  });
});
