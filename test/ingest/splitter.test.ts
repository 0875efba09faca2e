// Tests of the token-measured recursive splitter with the real Chinese-LLaMA-2 and stories260K tokenizers, on the
// CMRC 2018 trial passages and on hand-written texts that reach each boundary level.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitText, type SplitOptions } from "../../src/ingest/splitter.js";
import type { TextSpan } from "../../src/ingest/types.js";
import { LlamaModelTokenizer, type TextTokenizer } from "../../src/models/tokenizer.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const sharedFile = (...parts: string[]) => path.resolve(root, "..", "shared", ...parts);

/** Characters no chunk may start with. */
const NO_START = /^[。，、；：！？…”」』）]/;

let llama: Llama;
let models: LlamaModel[] = [];
let chinese: TextTokenizer;
let stories: TextTokenizer;
let passages: string[];
let trialText: string;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
  const vocab = await llama.loadModel({ modelPath: sharedFile("models", "chinese-llama-2-vocab.gguf"), vocabOnly: true });
  const tiny = await llama.loadModel({ modelPath: sharedFile("models", "stories260K.gguf") });
  models = [vocab, tiny];
  chinese = new LlamaModelTokenizer(vocab);
  stories = new LlamaModelTokenizer(tiny);
  const squad = JSON.parse(fs.readFileSync(sharedFile("data", "cmrc2018", "cmrc2018_trial.json"), "utf8")) as {
    data: { paragraphs: { context: string }[] }[];
  };
  passages = squad.data.flatMap((article) => article.paragraphs.map((p) => p.context));
  trialText = passages.join("\n\n");
}, 60_000);

afterAll(async () => {
  for (const model of models) await model.dispose();
  await llama?.dispose();
});

/** Every promise the splitter makes, checked against `text` and a fresh tokenization; lists what is broken. */
function expectValidSpans(text: string, spans: TextSpan[], options: SplitOptions): void {
  const { tokenizer, chunkSize, chunkOverlap } = options;
  const problems: string[] = [];
  const fail = (i: number, what: string) => problems.push(`span ${i} [${spans[i].start}, ${spans[i].end}): ${what}`);
  let covered = 0;
  spans.forEach((span, i) => {
    if (span.text !== text.slice(span.start, span.end)) fail(i, "text is not text.slice(start, end)");
    if (span.text.length === 0) fail(i, "empty");
    if (/^\s|\s$/.test(span.text)) fail(i, "not trimmed");
    if (NO_START.test(span.text)) fail(i, `starts with ${span.text[0]}`);
    // A sentence's 。 is in the chunk that ends the sentence, never left for the next one.
    if (text[span.end] === "。") fail(i, "ends just before a 。");
    const tokens = tokenizer.tokenize(span.text);
    if (tokens.length > chunkSize) fail(i, `${tokens.length} tokens > ${chunkSize}`);
    if (tokens.length !== span.tokens.length || tokens.some((t, k) => t !== span.tokens[k])) fail(i, "tokens differ");
    if (i > 0) {
      const previous = spans[i - 1];
      if (span.start <= previous.start || span.end <= previous.end) fail(i, "out of order");
      if (span.start < previous.end) {
        const shared = tokenizer.tokenize(text.slice(span.start, previous.end)).length;
        if (shared > chunkOverlap) fail(i, `overlaps the previous chunk by ${shared} tokens > ${chunkOverlap}`);
      }
    }
    // Whatever lies between chunks (or before the first) is whitespace only.
    if (span.start > covered && !/^\s*$/.test(text.slice(covered, span.start))) fail(i, `text before it is in no chunk`);
    covered = Math.max(covered, span.end);
  });
  if (!/^\s*$/.test(text.slice(covered))) problems.push("text after the last chunk is in no chunk");
  expect(problems).toEqual([]);
}

function meanTokens(spans: TextSpan[]): number {
  return spans.reduce((sum, span) => sum + span.tokens.length, 0) / spans.length;
}

/** How many neighbouring chunks share text. */
function overlappingPairs(spans: TextSpan[]): number {
  return spans.slice(1).filter((span, i) => span.start < spans[i].end).length;
}

describe("splitText on the CMRC 2018 trial passages", () => {
  const configs = [
    { name: "Chinese-LLaMA-2, 384/64 (defaults)", tokenizer: () => chinese, chunkSize: 384, chunkOverlap: 64, fill: 0.75 },
    { name: "Chinese-LLaMA-2, 64/16", tokenizer: () => chinese, chunkSize: 64, chunkOverlap: 16, fill: 0.65 },
    { name: "stories260K, 200/32", tokenizer: () => stories, chunkSize: 200, chunkOverlap: 32, fill: 0.65 },
  ];

  for (const config of configs) {
    it(`keeps every promise on the whole trial set as one document: ${config.name}`, () => {
      const options = { tokenizer: config.tokenizer(), chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
      const spans = splitText(trialText, options);
      expectValidSpans(trialText, spans, options);
      // Greedy packing fills chunks; the text is far longer than one chunk.
      expect(spans.length).toBeGreaterThan(trialText.length / (config.chunkSize * 4));
      expect(meanTokens(spans)).toBeGreaterThan(config.fill * config.chunkSize);
      // Overlap is used where pieces are small enough to carry it.
      expect(overlappingPairs(spans)).toBeGreaterThan(spans.length / 10);
      // Chunks end at sentence or clause punctuation far more often than not.
      const punctuated = spans.filter((s) => /[。！？；…”」』）)，、：:;,.]$/.test(s.text)).length;
      expect(punctuated).toBeGreaterThan(0.9 * spans.length);
    }, 60_000);

    it(`keeps every promise passage by passage: ${config.name}`, () => {
      const options = { tokenizer: config.tokenizer(), chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
      let chunks = 0;
      for (const passage of passages) {
        const spans = splitText(passage, options);
        expectValidSpans(passage, spans, options);
        expect(spans.length).toBeGreaterThan(0);
        chunks += spans.length;
      }
      expect(chunks).toBeGreaterThan(passages.length);
    }, 120_000);
  }

  it("splits the whole trial set (about 130k characters) with Chinese-LLaMA-2 quickly", () => {
    const options = { tokenizer: chinese, chunkSize: 384, chunkOverlap: 64 };
    splitText(trialText, options); // warm-up
    const began = performance.now();
    const spans = splitText(trialText, options);
    const elapsed = performance.now() - began;
    expect(spans.length).toBeGreaterThan(100);
    // About 0.3 s on an idle core; the bound is generous for a busy machine, yet a quadratic slip would break it.
    expect(elapsed).toBeLessThan(3000);
  }, 60_000);
});

describe("splitText on hand-written texts", () => {
  const mixed = [
    "Alpaca-RAG answers questions about local files. It runs entirely offline! Does it need a GPU? No, a CPU is enough.",
    "这个工具在本地回答关于文档的问题。模型通过 llama.cpp 运行，不需要联网！圆周率约等于 3.14，版本号是 v2.5.1；它们都不应被切开。",
    "He said “keep the quotes together.” Then he left. 她说：“引号要跟着句号走。”然后离开了。",
    "Mixed lines follow:\nfirst line in English, with a comma\n第二行是中文，带有逗号、顿号和冒号：结束。",
  ].join("\n\n");

  it("cuts mixed English and Chinese text after sentence punctuation, never inside a decimal or version number", () => {
    const options = { tokenizer: chinese, chunkSize: 24, chunkOverlap: 6 };
    const spans = splitText(mixed, options);
    expectValidSpans(mixed, spans, options);
    expect(spans.length).toBeGreaterThan(5);
    for (const span of spans) {
      // No chunk boundary falls inside "3.14", "v2.5.1" or "llama.cpp".
      for (const word of ["3.14", "v2.5.1", "llama.cpp"]) {
        const at = mixed.indexOf(word);
        expect(span.start > at && span.start < at + word.length).toBe(false);
        expect(span.end > at && span.end < at + word.length).toBe(false);
      }
    }
    // Sentence ends carry their punctuation and closing quote; a clause's comma or semicolon stays with it.
    expect(spans.some((s) => s.text.endsWith("offline!"))).toBe(true);
    expect(spans.some((s) => s.text.endsWith("together.” Then he left."))).toBe(true);
    expect(spans.some((s) => s.text.endsWith("v2.5.1；"))).toBe(true);
    for (const span of spans) {
      expect(span.text).not.toMatch(/^[”"]/);
      expect(mixed[span.end] ?? "").not.toMatch(/[”"。，；.,!?]/);
      // Chunks end at punctuation or at a line's end, never mid-sentence.
      expect(/[.!?。！？；”]$/.test(span.text) || /^(\n|$)/.test(mixed.slice(span.end))).toBe(true);
    }
  });

  it("keeps a paragraph that fits whole, and overlaps with whole trailing sentences or clauses", () => {
    const options = { tokenizer: chinese, chunkSize: 40, chunkOverlap: 16 };
    const spans = splitText(mixed, options);
    expectValidSpans(mixed, spans, options);
    // Every chunk starts where a paragraph, line, sentence or clause starts.
    for (const span of spans) {
      const before = mixed.slice(0, span.start).trimEnd();
      expect(before === "" || /[\n。！？；.!?”，、：,:]$/.test(before)).toBe(true);
    }
    // The English paragraph fits in 40 tokens, so it is one piece and one chunk, never cut.
    const english = mixed.split("\n\n")[0];
    expect(chinese.tokenize(english).length).toBeLessThanOrEqual(40);
    expect(spans[0].text).toBe(english);
    // The Chinese paragraph does not fit: its second sentence ends one chunk and begins the next.
    const repeated = "模型通过 llama.cpp 运行，不需要联网！";
    const holders = spans.filter((s) => s.text.includes(repeated));
    expect(holders).toHaveLength(2);
    expect(holders[0].text.endsWith(repeated)).toBe(true);
    expect(holders[1].text.startsWith(repeated)).toBe(true);
  });

  it("falls back to characters for text without any punctuation or whitespace", () => {
    // Distinct CJK characters in a fixed order: no separators at all.
    const text = Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 37) % 5000))).join("");
    for (const [tokenizer, chunkSize, chunkOverlap] of [
      [chinese, 64, 16],
      [stories, 200, 32],
    ] as const) {
      const options = { tokenizer, chunkSize, chunkOverlap };
      const spans = splitText(text, options);
      expectValidSpans(text, spans, options);
      expect(spans.length).toBeGreaterThan(text.length / chunkSize);
      expect(meanTokens(spans)).toBeGreaterThan(0.6 * chunkSize);
      expect(overlappingPairs(spans)).toBe(spans.length - 1);
    }
  });

  it("never cuts a surrogate pair when it falls back to characters", () => {
    const text = "𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉".repeat(40);
    const options = { tokenizer: chinese, chunkSize: 32, chunkOverlap: 8 };
    const spans = splitText(text, options);
    expectValidSpans(text, spans, options);
    expect(spans.length).toBeGreaterThan(2);
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (const span of spans) expect(span.text).not.toMatch(lone);
  });

  it("cuts a very long single sentence at its clauses, keeping each comma with its clause", () => {
    const clauses = Array.from({ length: 60 }, (_, i) => `第${i + 1}个分句描述了一个细节`);
    const text = `${clauses.join("，")}。`;
    const options = { tokenizer: chinese, chunkSize: 64, chunkOverlap: 16 };
    expect(chinese.tokenize(text).length).toBeGreaterThan(64 * 5);
    const spans = splitText(text, options);
    expectValidSpans(text, spans, options);
    for (const span of spans.slice(0, -1)) expect(span.text.endsWith("，")).toBe(true);
    expect(spans.at(-1)!.text.endsWith("细节。")).toBe(true);
    for (const span of spans) expect(span.text).toMatch(/^第\d+个/);
    expect(overlappingPairs(spans)).toBe(spans.length - 1);
  });

  it("cuts long Latin text without punctuation between words", () => {
    const words = Array.from({ length: 400 }, (_, i) => ["local", "answers", "over", "documents", "quickly"][i % 5] + i);
    const text = words.join(" ");
    const options = { tokenizer: chinese, chunkSize: 48, chunkOverlap: 8 };
    const spans = splitText(text, options);
    expectValidSpans(text, spans, options);
    expect(spans.length).toBeGreaterThan(10);
    for (const span of spans) {
      expect(span.start === 0 || text[span.start - 1] === " ").toBe(true);
      expect(span.end === text.length || text[span.end] === " ").toBe(true);
    }
  });

  it("trims whitespace but keeps exact offsets, and returns nothing for blank text", () => {
    const text = "\n\n   第一段。\n\n\n  第二段，有逗号。   \n";
    const options = { tokenizer: chinese, chunkSize: 384, chunkOverlap: 64 };
    const spans = splitText(text, options);
    expect(spans.map((s) => s.text)).toEqual(["第一段。\n\n\n  第二段，有逗号。"]);
    expect(spans[0].start).toBe(text.indexOf("第一段"));
    expect(splitText(" \n\t\u3000", options)).toEqual([]);
    expect(splitText("", options)).toEqual([]);
  });

  it("rejects an overlap that is not smaller than the chunk, and a chunk smaller than one character", () => {
    expect(() => splitText("你好。", { tokenizer: chinese, chunkSize: 16, chunkOverlap: 16 })).toThrow(RangeError);
    expect(() => splitText("你好。", { tokenizer: chinese, chunkSize: 0, chunkOverlap: 0 })).toThrow(RangeError);
    // stories260K spells a Chinese character as three byte tokens after "▁".
    expect(() => splitText("测试文本".repeat(4), { tokenizer: stories, chunkSize: 2, chunkOverlap: 0 })).toThrow(
      /smaller than one character/,
    );
  });
});
