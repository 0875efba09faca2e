// A whole working session on the page in headless Chromium (playwright-core, the system's /usr/bin/chromium), over
// extractive answers: upload a PDF and a Markdown file with per-file progress, ask by keyboard alone, follow up (the
// history goes with the question and both turns stay on screen), preview a PDF citation (the page drawn by pdf.js with
// the passage highlighted) and a text citation (the passage in its text), start a new conversation, reload (the
// conversations are still listed), delete a document through the page's confirm dialog, check accessibility with
// axe-core, and save screenshots at 1280 and 390 pixels wide to test-results/screenshots/.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot, samplePdf, samplePdfPages, tempDir } from "../helpers.js";
import { launchChromium } from "./chromium.js";
import { startTestServer, type TestServer } from "./serverFixture.js";

const screenshots = path.join(projectRoot, "test-results", "screenshots");
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** Our own text for the Markdown file (nothing from the shared data). */
const ferryNotes =
  "# Harbour ferry\n\nThe harbour ferry leaves the north pier every forty minutes from six in the morning. " +
  "Bicycles travel free on the lower deck.\n\n## Winter timetable\n\nIn January the last crossing is at nine in the evening, " +
  "and the cafe on board stays closed until spring.";

interface Passage {
  page: number;
  context: string;
  qas: Array<{ question: string; answers: Array<{ text: string }> }>;
}

let browser: BrowserContext;
let t: TestServer;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  t = await startTestServer({ generator: "none", embedding: "none", files: {} });
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(`console: ${m.text()}`));
  // Failed loads by URL (the console line does not say which); 401s do not happen on this server without keys.
  page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  fs.mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** axe-core in the page (evaluated through the debugging protocol, which the page's CSP does not govern). */
async function seriousViolations(): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
  };
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const turnCount = () => page.locator("#thread > li.turn").count();
const statusText = () => page.textContent("#ask-status");

/** Types a question into the focused box and sends it with Enter; waits for the answer to finish. */
async function askByKeyboard(question: string): Promise<Request> {
  const before = await turnCount();
  await page.keyboard.type(question);
  const request = page.waitForRequest((r) => r.url().endsWith("/v1/ask"));
  await page.keyboard.press("Enter");
  const sent = await request;
  await expect.poll(turnCount).toBe(before + 1);
  await expect.poll(statusText).toMatch(/^Done in \d/);
  return sent;
}

describe("a working session on the page", () => {
  const passages = (JSON.parse(fs.readFileSync(samplePdfPages, "utf8")) as { passages: Passage[] }).passages;
  // A passage past the first page, so the preview must draw the cited page, not just the first.
  const passage = passages.find((p) => p.page >= 2) ?? passages[0];
  const firstQuestion = passage.qas[0].question;

  it("uploads a PDF and a Markdown file with progress and a result for each", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(t.url);
    await expect.poll(() => page.textContent("h1")).toBe("Document Q&A");
    // The mode in plain words: no model, the command that pulls one, and the embedder (none here).
    await page.waitForSelector("#mode:not([hidden])");
    const mode = await page.textContent("#mode");
    expect(mode).toMatch(/Answer model: extractive, no model/);
    expect(mode).toContain("Get a model: npx alpaca-rag models pull chinese-alpaca-2-7b");
    expect(mode).toMatch(/Embedder: none \(keyword search only\)/);
    // No knowledge bases on this server: no picker.
    expect(await page.isVisible("#base-picker")).toBe(false);

    const inbox = tempDir("alpaca-rag-upload-");
    const pdf = path.join(inbox, "cmrc-trial-sample.pdf");
    fs.copyFileSync(samplePdf, pdf);
    const md = path.join(inbox, "ferry.md");
    fs.writeFileSync(md, ferryNotes);
    await page.setInputFiles("#upload-input", [pdf, md]);
    await page.click("#upload-button");
    await expect.poll(() => page.locator("#upload-list li[data-status]").count(), { timeout: 120_000 }).toBe(2);
    expect(await page.locator("#upload-list progress").count()).toBe(2);
    expect(await page.locator("#upload-list progress").evaluateAll((bars) => bars.map((b) => (b as unknown as { value: number }).value))).toEqual([1, 1]);
    expect(await page.textContent("#upload-list li >> nth=0")).toMatch(/cmrc-trial-sample\.pdf.*indexed/);
    expect(await page.textContent("#upload-list li >> nth=1")).toMatch(/ferry\.md.*indexed/);
    await page.waitForSelector('tr[data-path="cmrc-trial-sample.pdf"]');
    await page.waitForSelector('tr[data-path="ferry.md"]');
    expect(await page.textContent('tr[data-path="cmrc-trial-sample.pdf"] td.num >> nth=0')).toBe("6");
  });

  it("asks by keyboard alone, and a follow-up carries the history; both turns stay on screen", async () => {
    // Tab from the top of the page to the question box: every control on the way is reachable.
    await page.locator("body").focus();
    for (let i = 0; i < 40 && (await page.evaluate("document.activeElement && document.activeElement.id")) !== "question"; i++) await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.id")).toBe("question");
    // Shift+Enter is a new line, not a send.
    await page.keyboard.press("Shift+Enter");
    expect(await page.inputValue("#question")).toBe("\n");
    await page.keyboard.press("Backspace");

    const first = await askByKeyboard(firstQuestion);
    expect(JSON.parse(first.postData()!)).not.toHaveProperty("history");
    const firstTurn = page.locator("#thread > li.turn >> nth=0");
    expect(await firstTurn.locator(".sources").textContent()).toMatch(new RegExp(`cmrc-trial-sample\\.pdf · page ${passage.page}`));

    const followUp = "还有呢？";
    const second = await askByKeyboard(followUp);
    const body = JSON.parse(second.postData()!) as { question: string; history: Array<{ user: string; assistant: string }> };
    expect(body.question).toBe(followUp);
    expect(body.history).toHaveLength(1);
    expect(body.history[0].user).toBe(firstQuestion);
    expect(body.history[0].assistant).toBe((await firstTurn.locator(".answer").textContent())!.trim());
    const done = await (await second.response())!.text();
    // The server searched for the follow-up together with the question before it.
    expect(done).toContain(`"retrievalQuery":${JSON.stringify(`${firstQuestion}\n${followUp}`)}`);
    expect(await turnCount()).toBe(2);
    expect(await page.textContent("#thread > li.turn >> nth=0 >> .question")).toContain(firstQuestion);
    expect(await page.textContent("#thread > li.turn >> nth=1 >> .question")).toContain(followUp);
    expect(await page.locator("#thread > li.turn >> nth=1 >> .sources").textContent()).toMatch(/cmrc-trial-sample\.pdf/);
    // Copy on each turn, regenerate on the last only.
    expect(await page.locator("#thread button.copy").count()).toBe(2);
    expect(await page.locator("#thread button.regenerate").count()).toBe(1);
    await page.screenshot({ path: path.join(screenshots, "session-1280.png"), fullPage: true });
    expect(await seriousViolations()).toEqual([]);
  });

  it("previews a PDF citation: the cited page drawn, the passage highlighted; Escape closes it", async () => {
    const link = page.locator("#thread > li.turn >> nth=0 >> .sources a", { hasText: "cmrc-trial-sample.pdf" }).first();
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector("#preview[open] canvas", { timeout: 60_000 });
    expect(await page.textContent("#preview-file")).toBe("cmrc-trial-sample.pdf");
    expect(await page.textContent("#preview-page")).toBe(`page ${passage.page}`);
    await expect.poll(() => page.locator("#preview .highlight").count(), { timeout: 60_000 }).toBeGreaterThan(0);
    // Drawn: a good share of the canvas is not white.
    const inked = (await page.evaluate(`(() => {
      const c = document.querySelector("#preview canvas");
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
      return n / (d.length / 4);
    })()`)) as number;
    expect(inked).toBeGreaterThan(0.01);
    // The highlight lies on the page.
    const [canvasBox, markBox] = await Promise.all([page.locator("#preview canvas").boundingBox(), page.locator("#preview .highlight").first().boundingBox()]);
    expect(markBox!.y).toBeGreaterThanOrEqual(canvasBox!.y - 1);
    expect(markBox!.y + markBox!.height).toBeLessThanOrEqual(canvasBox!.y + canvasBox!.height + 1);
    await page.screenshot({ path: path.join(screenshots, "preview-pdf-1280.png") });
    expect(await seriousViolations()).toEqual([]);
    await page.keyboard.press("Escape");
    await page.waitForSelector("#preview", { state: "hidden" });
    expect(await page.evaluate("document.activeElement.textContent")).toMatch(/cmrc-trial-sample\.pdf/);
  });

  it("previews a text citation: the passage marked in its surrounding text", async () => {
    await page.focus("#question");
    await askByKeyboard("How often does the harbour ferry leave the north pier?");
    await page.locator("#thread > li.turn >> nth=2 >> .sources a", { hasText: "ferry.md" }).first().click();
    await page.waitForSelector("#preview[open] .context mark");
    const marked = (await page.textContent("#preview .context mark"))!.trim();
    expect(marked.length).toBeGreaterThan(10);
    expect(ferryNotes).toContain(marked);
    expect(await page.textContent("#preview .context")).toContain("Harbour ferry");
    // The extractive answer's likely span, kept with the turn, is bold inside the marked passage.
    const span = (await page.evaluate("JSON.parse(localStorage.getItem('conversations'))[0].turns[2].answerSpan")) as { citation: number } | null;
    expect(span?.citation).toBe(1);
    expect(await page.textContent("#preview .context mark .answer-span")).toMatch(/forty minutes/);
    await page.click("#preview-close");
    await page.waitForSelector("#preview", { state: "hidden" });
  });

  it("starts a new conversation, and after a reload both are in the sidebar", async () => {
    await page.click("#new-conversation");
    expect(await turnCount()).toBe(0);
    await page.focus("#question");
    await askByKeyboard("When is the last crossing in January?");
    expect(await turnCount()).toBe(1);
    await page.reload();
    await expect.poll(() => page.locator("#conversation-list li").count()).toBe(2);
    const titles = await page.locator("#conversation-list .open-conversation").allTextContents();
    expect(titles).toEqual(["When is the last crossing in January?", firstQuestion]);
    // The current conversation is shown again; the other opens from the sidebar with its three turns.
    expect(await turnCount()).toBe(1);
    await page.click(`#conversation-list .open-conversation >> nth=1`);
    expect(await turnCount()).toBe(3);
    expect(await page.getAttribute("#conversation-list .open-conversation >> nth=1", "aria-current")).toBe("true");
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(screenshots, "session-390.png"), fullPage: true });
    expect(await seriousViolations()).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("deletes a document only after the page's confirm dialog says yes; Escape cancels", async () => {
    await page.click('tr[data-path="ferry.md"] button.delete');
    await page.waitForSelector("#confirm[open]");
    expect(await page.textContent("#confirm-message")).toBe("Delete “ferry.md” from the inbox and the index?");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#confirm", { state: "hidden" });
    expect(fs.existsSync(path.join(t.inbox, "ferry.md"))).toBe(true);

    await page.focus('tr[data-path="ferry.md"] button.delete');
    await page.keyboard.press("Enter");
    await page.waitForSelector("#confirm[open]");
    // Focus starts on Cancel; Tab moves to the confirm button.
    expect(await page.evaluate("document.activeElement.id")).toBe("confirm-cancel");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.id")).toBe("confirm-ok");
    await page.keyboard.press("Enter");
    await page.waitForSelector('tr[data-path="ferry.md"]', { state: "detached" });
    expect(fs.existsSync(path.join(t.inbox, "ferry.md"))).toBe(false);
    expect(await page.textContent("#documents-status")).toBe("Deleted: ferry.md");
  });

  it("deletes a conversation after confirming, and speaks Chinese", async () => {
    await page.click("#lang");
    await expect.poll(() => page.textContent("#new-conversation")).toBe("新对话");
    expect(await page.textContent("#mode")).toMatch(/回答模型：摘录原文，未用模型/);
    expect(await page.getAttribute("#conversation-list .delete-conversation >> nth=0", "aria-label")).toMatch(/^删除对话/);
    await page.click("#conversation-list .delete-conversation >> nth=0");
    await page.waitForSelector("#confirm[open]");
    await page.click("#confirm-ok");
    await expect.poll(() => page.locator("#conversation-list li").count()).toBe(1);
    await page.click("#lang");
    expect(errors).toEqual([]);
  });
});
