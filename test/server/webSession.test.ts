// A whole working session on the page in headless Chromium (playwright-core, the system's /usr/bin/chromium), over
// extractive answers, with API keys and knowledge bases: create a base from the page (admin key), upload a PDF and a
// Markdown file into it with per-file progress, ask by keyboard alone, follow up (the history and the base go with
// the question and both turns stay on screen), preview a PDF citation (the page drawn by pdf.js with the passage
// highlighted) and a text citation (the passage in its text), switch to the default base (its own documents and
// conversations only) and back, start a new conversation, reload (base and conversations kept), delete a document
// through the page's confirm dialog, check accessibility with axe-core, and save screenshots at 1280 and 390 pixels
// wide to test-results/screenshots/. Then a key limited to one base, given in the page's key form: the page shows
// that base only, and no way to make another.
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

/** Our own text for the default base's file: about lighthouses, nothing about ferries. */
const lighthouseNotes = "The lighthouse on Gull Point was built of grey granite. Its keeper climbs one hundred and twelve steps to the lamp.";
const adminKey = "session-admin-key";
const harbourKey = "session-harbour-reader";
const base = "harbour";

let browser: BrowserContext;
let t: TestServer;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  t = await startTestServer({
    generator: "none",
    embedding: "none",
    files: { "lighthouse.txt": lighthouseNotes },
    settings: { "server.apiKeys": [adminKey, { key: harbourKey, kbs: [base], role: "read" }] },
  });
  browser = await launchChromium();
  // The admin key, as the page's key form would have saved it (the limited key goes through the form below).
  await browser.addInitScript(`localStorage.getItem("apiKey") || localStorage.setItem("apiKey", ${JSON.stringify(adminKey)})`);
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(`console: ${m.text()}`));
  // Failed loads by URL (the console line does not say which); the key is saved before the page loads: no 401s.
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

/** The JSON body a request sent. */
const sentJson = (r: Request) => JSON.parse(r.postData()!) as Record<string, unknown>;

describe("a working session on the page", () => {
  const passages = (JSON.parse(fs.readFileSync(samplePdfPages, "utf8")) as { passages: Passage[] }).passages;
  // A passage past the first page, so the preview must draw the cited page, not just the first.
  const passage = passages.find((p) => p.page >= 2) ?? passages[0];
  const firstQuestion = passage.qas[0].question;

  it("shows the bases the key sees with default chosen, and creates a base from the page by keyboard", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(t.url);
    await expect.poll(() => page.textContent("h1")).toBe("Document Q&A");
    // Even with only the default base the picker shows it, chosen, and its documents are listed.
    await page.waitForSelector("#base-picker:not([hidden])");
    expect(await page.locator("#base option").allTextContents()).toEqual(["default"]);
    expect(await page.inputValue("#base")).toBe("default");
    await page.waitForSelector('tr[data-path="lighthouse.txt"]');
    // An admin key of every base may make bases: the button opens a small form, focused on the name.
    await page.waitForSelector("#new-base:not([hidden])");
    await page.focus("#new-base");
    await page.keyboard.press("Enter");
    expect(await page.getAttribute("#new-base", "aria-expanded")).toBe("true");
    expect(await page.evaluate("document.activeElement.id")).toBe("new-base-name");
    expect(await seriousViolations()).toEqual([]);
    // A name the server refuses: its reason is shown and nothing is made.
    await page.keyboard.type("no spaces");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#base-status")).toMatch(/^Failed: .*letters, digits/);
    const refused = errors.findIndex((e) => e === `400 ${t.url}v1/kbs`);
    expect(refused).toBeGreaterThanOrEqual(0);
    errors.splice(refused, 1);
    await page.fill("#new-base-name", base);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#base-status")).toBe(`Knowledge base “${base}” created`);
    expect(await page.locator("#base option").allTextContents()).toEqual(["default", base]);
    expect(await page.inputValue("#base")).toBe(base);
    expect(await page.isVisible("#new-base-form")).toBe(false);
    expect(await page.evaluate("document.activeElement.id")).toBe("base");
    // The new base has its own, empty document list and no conversations.
    await page.waitForSelector('tr[data-path="lighthouse.txt"]', { state: "detached" });
    expect(await page.textContent("#documents tbody")).toBe("No documents yet.");
    expect(await page.locator("#conversation-list li").count()).toBe(0);
    expect(fs.statSync(path.join(t.inbox, base)).isDirectory()).toBe(true);
    expect(await seriousViolations()).toEqual([]);
  });

  it("uploads a PDF and a Markdown file into the chosen base with progress and a result for each", async () => {
    // The mode in plain words: no model, the command that pulls one, and the embedder (none here).
    await page.waitForSelector("#mode:not([hidden])");
    const mode = await page.textContent("#mode");
    expect(mode).toMatch(/Answer model: extractive, no model/);
    expect(mode).toContain("Get a model: npx alpaca-rag models pull chinese-alpaca-2-7b");
    expect(mode).toMatch(/Embedder: none \(keyword search only\)/);

    const inbox = tempDir("alpaca-rag-upload-");
    const pdf = path.join(inbox, "cmrc-trial-sample.pdf");
    fs.copyFileSync(samplePdf, pdf);
    const md = path.join(inbox, "ferry.md");
    fs.writeFileSync(md, ferryNotes);
    await page.setInputFiles("#upload-input", [pdf, md]);
    const uploads: string[] = [];
    page.on("request", (r) => r.url().includes("/v1/documents?") && r.method() === "POST" && uploads.push(r.url()));
    await page.click("#upload-button");
    await expect.poll(() => page.locator("#upload-list li[data-status]").count(), { timeout: 120_000 }).toBe(2);
    expect(await page.locator("#upload-list progress").count()).toBe(2);
    expect(await page.locator("#upload-list progress").evaluateAll((bars) => bars.map((b) => (b as unknown as { value: number }).value))).toEqual([1, 1]);
    expect(await page.textContent("#upload-list li >> nth=0")).toMatch(/cmrc-trial-sample\.pdf.*indexed/);
    expect(await page.textContent("#upload-list li >> nth=1")).toMatch(/ferry\.md.*indexed/);
    await page.waitForSelector('tr[data-path="cmrc-trial-sample.pdf"]');
    await page.waitForSelector('tr[data-path="ferry.md"]');
    expect(await page.textContent('tr[data-path="cmrc-trial-sample.pdf"] td.num >> nth=0')).toBe("6");
    // Both went to the chosen base: its folder of the inbox, its own list; the default base has neither.
    expect(uploads).toEqual([`${t.url}v1/documents?kb=${base}`, `${t.url}v1/documents?kb=${base}`]);
    expect(fs.readdirSync(path.join(t.inbox, base)).sort()).toEqual(["cmrc-trial-sample.pdf", "ferry.md"]);
    expect(fs.existsSync(path.join(t.inbox, "ferry.md"))).toBe(false);
    const listed = await fetch(`${t.url}v1/documents?kb=default`, { headers: { Authorization: `Bearer ${adminKey}` } });
    expect(((await listed.json()) as { documents: Array<{ path: string }> }).documents.map((d) => d.path)).toEqual(["lighthouse.txt"]);
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
    expect(sentJson(first)).not.toHaveProperty("history");
    expect(sentJson(first).kb).toBe(base);
    const firstTurn = page.locator("#thread > li.turn >> nth=0");
    expect(await firstTurn.locator(".sources").textContent()).toMatch(new RegExp(`cmrc-trial-sample\\.pdf · page ${passage.page}`));

    const followUp = "还有呢？";
    const second = await askByKeyboard(followUp);
    const body = JSON.parse(second.postData()!) as { question: string; history: Array<{ user: string; assistant: string }> };
    expect(body.question).toBe(followUp);
    expect(sentJson(second).kb).toBe(base);
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
    const fileRequest = page.waitForRequest((r) => r.url().includes("/v1/documents/file?"));
    await page.keyboard.press("Enter");
    // The file is asked of the citation's base.
    expect(new URL((await fileRequest).url()).searchParams.get("kb")).toBe(base);
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
    const contextRequest = page.waitForRequest((r) => r.url().includes("/v1/documents/context?"));
    await page.locator("#thread > li.turn >> nth=2 >> .sources a", { hasText: "ferry.md" }).first().click();
    expect(new URL((await contextRequest).url()).searchParams.get("kb")).toBe(base);
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

  it("switches base: only that base's documents and conversations show, and its answers cite only its files", async () => {
    await page.focus("#base");
    await page.selectOption("#base", "default");
    await page.waitForSelector('tr[data-path="lighthouse.txt"]');
    expect(await page.locator('tr[data-path="ferry.md"], tr[data-path="cmrc-trial-sample.pdf"]').count()).toBe(0);
    expect(await turnCount()).toBe(0);
    expect(await page.locator("#conversation-list li").count()).toBe(0);
    expect(await page.evaluate("localStorage.getItem('kb')")).toBe("default");
    // The same ferry question in the default base: sent there, answered from the lighthouse file only.
    await page.focus("#question");
    const asked = await askByKeyboard("How often does the harbour ferry leave the north pier?");
    expect(sentJson(asked).kb).toBe("default");
    const thread = (await page.textContent("#thread"))!;
    expect(thread).not.toMatch(/ferry\.md|cmrc-trial-sample|forty minutes/);
    expect(await page.locator("#thread .sources").textContent()).toContain("lighthouse.txt");
    expect(await page.locator("#conversation-list li").count()).toBe(1);
    // Back to the harbour base: its latest conversation (three turns) and its documents again, none of default's.
    await page.selectOption("#base", base);
    await page.waitForSelector('tr[data-path="ferry.md"]');
    expect(await page.locator('tr[data-path="lighthouse.txt"]').count()).toBe(0);
    expect(await turnCount()).toBe(3);
    expect(await page.locator("#conversation-list .open-conversation").allTextContents()).toEqual([firstQuestion]);
    expect(await page.textContent("#thread")).not.toContain("lighthouse.txt");
  });

  it("starts a new conversation, and after a reload base and conversations are kept", async () => {
    await page.click("#new-conversation");
    expect(await turnCount()).toBe(0);
    await page.focus("#question");
    await askByKeyboard("When is the last crossing in January?");
    expect(await turnCount()).toBe(1);
    await page.reload();
    await page.waitForSelector("#base-picker:not([hidden])");
    expect(await page.inputValue("#base")).toBe(base);
    // Two conversations of this base; the default base's one is not listed here.
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

  it("deletes a document of the chosen base only after the page's confirm dialog says yes; Escape cancels", async () => {
    await page.click('tr[data-path="ferry.md"] button.delete');
    await page.waitForSelector("#confirm[open]");
    expect(await page.textContent("#confirm-message")).toBe("Delete “ferry.md” from the inbox and the index?");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#confirm", { state: "hidden" });
    expect(fs.existsSync(path.join(t.inbox, base, "ferry.md"))).toBe(true);

    await page.focus('tr[data-path="ferry.md"] button.delete');
    await page.keyboard.press("Enter");
    await page.waitForSelector("#confirm[open]");
    // Focus starts on Cancel; Tab moves to the confirm button.
    expect(await page.evaluate("document.activeElement.id")).toBe("confirm-cancel");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.id")).toBe("confirm-ok");
    const deletion = page.waitForRequest((r) => r.method() === "DELETE");
    await page.keyboard.press("Enter");
    expect(new URL((await deletion).url()).searchParams.get("kb")).toBe(base);
    await page.waitForSelector('tr[data-path="ferry.md"]', { state: "detached" });
    expect(fs.existsSync(path.join(t.inbox, base, "ferry.md"))).toBe(false);
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

describe("the page with a key limited to one base", () => {
  it("asks for the key, then shows that base only, its documents and answers, and no way to make a base", async () => {
    const other = await launchChromium();
    try {
      const limited = await other.newPage();
      limited.setDefaultTimeout(30_000);
      const seen: string[] = [];
      limited.on("pageerror", (e) => seen.push(`pageerror: ${e.message}`));
      limited.on("response", (r) => r.status() >= 400 && seen.push(`${r.status()} ${new URL(r.url()).pathname}`));
      await limited.setViewportSize({ width: 390, height: 844 });
      await limited.goto(t.url);
      // No key yet: the form asks for one (the first requests were 401s, nothing else).
      await limited.waitForSelector("#key-form:not([hidden])");
      await limited.fill("#api-key", harbourKey);
      await limited.press("#api-key", "Enter");
      await limited.waitForSelector("#base-picker:not([hidden])");
      expect(await limited.locator("#base option").allTextContents()).toEqual([base]);
      expect(await limited.inputValue("#base")).toBe(base);
      await limited.waitForSelector('tr[data-path="cmrc-trial-sample.pdf"]');
      expect(await limited.locator('tr[data-path="lighthouse.txt"]').count()).toBe(0);
      expect(await limited.isVisible("#new-base")).toBe(false);
      expect(await limited.textContent("body")).not.toContain("default");
      await limited.focus("#question");
      const request = limited.waitForRequest((r) => r.url().endsWith("/v1/ask"));
      await limited.keyboard.type("How often does the harbour ferry leave the north pier?");
      await limited.keyboard.press("Enter");
      expect(sentJson(await request).kb).toBe(base);
      await expect.poll(() => limited.textContent("#ask-status")).toMatch(/^Done in \d/);
      expect(await limited.textContent("#thread")).not.toContain("lighthouse.txt");
      expect(seen.filter((e) => !e.startsWith("401 "))).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
