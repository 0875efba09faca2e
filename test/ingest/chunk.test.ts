// Tests of chunkDocument: sections split separately, and chunk offsets mapped to pages, with the real
// Chinese-LLaMA-2 tokenizer, on hand-built documents and on the CMRC 2018 trial passages laid out as PDF pages.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkDocument } from "../../src/ingest/chunk.js";
import type { SplitOptions } from "../../src/ingest/splitter.js";
import type { ChunkDraft, LoadedDocument, SectionStart } from "../../src/ingest/types.js";
import { LlamaModelTokenizer, type TextTokenizer } from "../../src/models/tokenizer.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const sharedFile = (...parts: string[]) => path.resolve(root, "..", "shared", ...parts);

let llama: Llama;
let model: LlamaModel;
let chinese: TextTokenizer;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
  model = await llama.loadModel({ modelPath: sharedFile("models", "chinese-llama-2-vocab.gguf"), vocabOnly: true });
  chinese = new LlamaModelTokenizer(model);
}, 60_000);

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
});

/** A PDF-like document from page texts (each page's trailing separator included) and headings to find in it. */
function pdf(pages: string[], headings: string[] = []): LoadedDocument {
  const pageStarts: number[] = [];
  let offset = 0;
  for (const page of pages) {
    pageStarts.push(offset);
    offset += page.length;
  }
  const text = pages.join("");
  return { kind: "pdf", text, pageStarts, sections: sectionsOf(text, headings) };
}

function sectionsOf(text: string, headings: string[]): SectionStart[] {
  return headings.map((title) => ({ offset: text.indexOf(title), title }));
}

/** The 1-based page holding `offset`, by a linear scan (the reference for the binary search under test). */
function pageAt(doc: LoadedDocument, offset: number): number {
  let page = 0;
  while (page + 1 < doc.pageStarts.length && doc.pageStarts[page + 1] <= offset) page++;
  return page + 1;
}

/** Checks every chunk's offsets, pages and numbering against the document, and returns the problems found. */
function chunkProblems(doc: LoadedDocument, chunks: ChunkDraft[], options: SplitOptions): string[] {
  const problems: string[] = [];
  chunks.forEach((chunk, i) => {
    const fail = (what: string) => problems.push(`chunk ${i}: ${what}`);
    if (chunk.index !== i) fail(`index ${chunk.index}`);
    if (chunk.text !== doc.text.slice(chunk.start, chunk.end)) fail("text is not doc.text.slice(start, end)");
    if (chunk.tokens.length > options.chunkSize) fail(`${chunk.tokens.length} tokens`);
    if (options.tokenizer.tokenize(chunk.text).length !== chunk.tokens.length) fail("tokens are not the text's");
    if (doc.pageStarts.length === 0) {
      if (chunk.page !== null || chunk.pageEnd !== null) fail("a page for a text file");
      if (chunk.charStart !== chunk.start || chunk.charEnd !== chunk.end) fail("char offsets differ from offsets");
    } else {
      const page = pageAt(doc, chunk.start);
      const pageEnd = pageAt(doc, chunk.end - 1);
      if (chunk.page !== page || chunk.pageEnd !== pageEnd) fail(`pages ${chunk.page}-${chunk.pageEnd}, not ${page}-${pageEnd}`);
      if (chunk.charStart !== chunk.start - doc.pageStarts[page - 1]) fail(`charStart ${chunk.charStart}`);
      if (chunk.charEnd !== chunk.end - doc.pageStarts[pageEnd - 1]) fail(`charEnd ${chunk.charEnd}`);
    }
    // The chunk lies inside the section it names.
    const sections = doc.sections;
    const at = sections.findLastIndex((s) => s.offset <= chunk.start);
    const title = at < 0 ? null : sections[at].title;
    const sectionEnd = at + 1 < sections.length ? sections[at + 1].offset : doc.text.length;
    if (chunk.section !== title) fail(`section ${chunk.section}, not ${title}`);
    if (chunk.end > sectionEnd) fail("runs into the next section");
  });
  return problems;
}

describe("chunkDocument", () => {
  it("gives a chunk that crosses a page boundary both pages, with offsets relative to each", () => {
    const doc = pdf(["第一页写了开头。\n", "第二页接着写完。\n\n", "第三页是新的段落。"]);
    const options = { tokenizer: chinese, chunkSize: 384, chunkOverlap: 64 };
    const chunks = chunkDocument(doc, options);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({
      index: 0,
      text: doc.text,
      start: 0,
      end: doc.text.length,
      page: 1,
      pageEnd: 3,
      charStart: 0,
      charEnd: "第三页是新的段落。".length,
      section: null,
    });
    expect(chunkProblems(doc, chunks, options)).toEqual([]);
  });

  it("maps small chunks to the pages they start and end on", () => {
    const pages = [
      "第一章讲的是开头的故事，人物逐一登场。主人公住在山脚下的村子里，",
      "每天清晨上山砍柴。有一天他在林中迷了路，遇见一位老人。\n\n",
      "老人给他指了回家的路，还送他一把旧斧头。\n\n回到村里以后，他把这件事讲给大家听。",
    ];
    const doc = pdf(pages);
    const options = { tokenizer: chinese, chunkSize: 24, chunkOverlap: 8 };
    const chunks = chunkDocument(doc, options);
    expect(chunkProblems(doc, chunks, options)).toEqual([]);
    expect(chunks.length).toBeGreaterThan(3);
    // The sentence broken across pages 1 and 2 is one chunk's end (the splitter cuts after punctuation, not pages).
    const across = chunks.find((c) => c.page === 1 && c.pageEnd === 2);
    expect(across).toBeDefined();
    expect(across!.text.endsWith("每天清晨上山砍柴。")).toBe(true);
    expect(across!.charEnd).toBe("每天清晨上山砍柴。".length);
    // A chunk wholly on page 3 counts from page 3's start.
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ page: 3, pageEnd: 3, charEnd: pages[2].length });
    expect(last.charStart).toBe(pages[2].indexOf(last.text));
  });

  it("never lets a chunk span two sections, and gives text before the first heading no section", () => {
    const text = "这是前言，介绍全书。\n\n# 第一章 出发\n\n他背上行囊出发了。\n\n# 第二章 归来\n\n多年以后他回到了故乡。";
    const doc: LoadedDocument = {
      kind: "markdown",
      text,
      pageStarts: [],
      sections: sectionsOf(text, ["# 第一章 出发", "# 第二章 归来"]).map((s) => ({ ...s, title: s.title.slice(2) })),
    };
    const options = { tokenizer: chinese, chunkSize: 384, chunkOverlap: 64 };
    const chunks = chunkDocument(doc, options);
    // The whole text would fit in one chunk; sections still split it.
    expect(chinese.tokenize(text).length).toBeLessThan(384);
    expect(chunks.map((c) => [c.section, c.text])).toEqual([
      [null, "这是前言，介绍全书。"],
      ["第一章 出发", "# 第一章 出发\n\n他背上行囊出发了。"],
      ["第二章 归来", "# 第二章 归来\n\n多年以后他回到了故乡。"],
    ]);
    expect(chunks.map((c) => [c.page, c.pageEnd])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(chunkProblems(doc, chunks, options)).toEqual([]);
  });

  it("gives no chunk to an empty stretch before the first heading or between headings at one offset", () => {
    const text = "# 标题\n\n正文只有一句。";
    const doc: LoadedDocument = {
      kind: "markdown",
      text,
      pageStarts: [],
      sections: [
        { offset: 0, title: "空的" },
        { offset: 0, title: "标题" },
      ],
    };
    const chunks = chunkDocument(doc, { tokenizer: chinese, chunkSize: 64, chunkOverlap: 16 });
    expect(chunks.map((c) => [c.index, c.section, c.text, c.charStart, c.charEnd])).toEqual([[0, "标题", text, 0, text.length]]);
  });

  it("keeps page and section promises on the CMRC trial passages laid out as pages with sections", () => {
    const squad = JSON.parse(fs.readFileSync(sharedFile("data", "cmrc2018", "cmrc2018_trial.json"), "utf8")) as {
      data: { paragraphs: { context: string }[] }[];
    };
    // Each passage is a page; every tenth page opens with a heading line of its own.
    const contexts = squad.data.flatMap((a) => a.paragraphs.map((p) => p.context));
    const pages = contexts.map((context, i) => (i % 10 === 0 ? `第${i / 10 + 1}部分\n\n` : "") + context + "\n\n");
    const doc = pdf(pages, []);
    doc.sections = contexts.flatMap((_, i) =>
      i % 10 === 0 ? [{ offset: doc.pageStarts[i], title: `第${i / 10 + 1}部分` }] : [],
    );
    for (const [chunkSize, chunkOverlap] of [
      [384, 64],
      [64, 16],
    ]) {
      const options = { tokenizer: chinese, chunkSize, chunkOverlap };
      const chunks = chunkDocument(doc, options);
      expect(chunkProblems(doc, chunks, options)).toEqual([]);
      expect(chunks.length).toBeGreaterThan(contexts.length / 2);
      expect(new Set(chunks.map((c) => c.section)).size).toBe(doc.sections.length);
      // Passages longer than a chunk, and small chunks, both give chunks that cross page boundaries.
      expect(chunks.some((c) => c.pageEnd! > c.page!)).toBe(true);
    }
  }, 60_000);
});
