// Extractive answers (no generator): sentences chosen and ordered by how well they answer the question, the answer
// span pointing into a citation's text, and the figures on the whole CMRC 2018 trial set.
import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../../src/retrieval/hybrid.js";
import { extractiveAnswer, sentenceSpans } from "../../src/qa/extractive.js";
import { evaluateDataset } from "../../src/qa/evaluate.js";
import type { Source } from "../../src/qa/pack.js";
import { loadSettings } from "../../src/config/load.js";
import { cmrcTrial, projectRoot, tempDir } from "../helpers.js";

/** Sources as retrieval hands them over: only the text matters to the extractive answer. */
function sources(...texts: string[]): Source[] {
  return texts.map((text, i) => ({ n: i + 1, chunk: { text } as RetrievedChunk }));
}

describe("extractive answers", () => {
  it("splits sentences with their offsets", () => {
    const text = "  第一句话。第二句话！ Third one. Fourth?";
    const spans = sentenceSpans(text);
    expect(spans.map((s) => s.text)).toEqual(["第一句话。", "第二句话！", "Third one.", "Fourth?"]);
    for (const s of spans) expect(text.slice(s.start, s.start + s.text.length)).toBe(s.text);
  });

  it("does not end a sentence inside a title, an aside or a quotation, at an initial or a decimal point", () => {
    const text =
      "《你好！台北》是第六张专辑，长约3.5小时。他说：“我来了。你呢？”然后走了。这本书由笔名S.G. Tallentyre的作者写成。" +
      "（一个没有收尾的括号。后面还有很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多的字。最后一句。";
    const spans = sentenceSpans(text);
    expect(spans.map((s) => s.text)).toEqual([
      "《你好！台北》是第六张专辑，长约3.5小时。",
      "他说：“我来了。你呢？”然后走了。",
      "这本书由笔名S.G. Tallentyre的作者写成。",
      "（一个没有收尾的括号。",
      "后面还有很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多很多的字。",
      "最后一句。",
    ]);
    for (const s of spans) expect(text.slice(s.start, s.start + s.text.length)).toBe(s.text);
  });

  it("puts the sentence that answers first, even when another repeats the topic more, and marks it as the span", () => {
    const doc =
      "青石镇渡口是青石镇最古老的渡口，青石镇的居民每天在此往来。渡口旁的石桥建成于1887年，由当地商人出资修建。" +
      "青石镇渡口在夏季水位最高，青石镇的渔民常在渡口附近撒网。";
    const answer = extractiveAnswer({ question: "渡口旁的石桥是哪一年建成的？", sources: sources(doc) });
    expect(answer.text.startsWith("渡口旁的石桥建成于1887年")).toBe(true);
    expect(answer.cited).toEqual([1]);
    const span = answer.span!;
    expect(span.citation).toBe(1);
    expect(doc.slice(span.charStart, span.charEnd)).toBe("渡口旁的石桥建成于1887年，由当地商人出资修建。");
  });

  it("prefers the better-ranked source when two sentences match alike, and cites each sentence's own source", () => {
    const answer = extractiveAnswer({ question: "灯塔有多高？", sources: sources("北角灯塔高约二十七米，用花岗岩砌成。", "南湾灯塔高约十五米，漆成红白两色。") });
    expect(answer.text).toMatch(/^北角灯塔高约二十七米，用花岗岩砌成。\[1\] 南湾灯塔高约十五米，漆成红白两色。\[2\]$/);
    expect(answer.cited).toEqual([1, 2]);
  });

  it("answers English questions and gives nothing when no word of the question is there", () => {
    const en = extractiveAnswer({
      question: "When was the Gull Point lighthouse built?",
      sources: sources("The keeper lit the lamp every evening. The Gull Point lighthouse was built in 1871 on a rock at the mouth of the bay."),
    });
    expect(en.text).toMatch(/^The Gull Point lighthouse was built in 1871/);
    const none = extractiveAnswer({ question: "How do glaciers move?", sources: sources("青石镇渡口是青石镇最古老的渡口。") });
    expect(none).toEqual({ text: "", cited: [], span: null });
  });

  it("prefers the sentence holding a person or a place the question asks for, not one the question already names", () => {
    // 石桥 is tagged as a place name by jieba, and it is in the question: only 李文涛 answers 谁.
    const who = extractiveAnswer({
      question: "石桥的修缮方案是谁设计的？",
      sources: sources("石桥的修缮方案设计得十分精巧，修缮后的石桥至今完好。石桥的修缮方案由工程师李文涛设计。"),
    });
    expect(who.text).toMatch(/^石桥的修缮方案由工程师李文涛设计。\[1\]/);
    const where = extractiveAnswer({ question: "船队在哪里靠岸？", sources: sources("船队在第三天靠岸补给淡水。船队在泉州靠岸，卸下了全部货物。") });
    expect(where.text).toMatch(/^船队在泉州靠岸，卸下了全部货物。\[1\]/);
  });

  it("asked why, leads with the reason before the sentence that states the consequence, and marks it as the span", () => {
    const doc = "青石镇的老桥建于清代，是镇上最古老的桥。去年夏天的洪水冲垮了老桥的两个桥墩。因此老桥被拆除，原址新建了一座钢桥。";
    const answer = extractiveAnswer({ question: "青石镇的老桥为什么被拆除？", sources: sources(doc) });
    expect(answer.text).toBe("去年夏天的洪水冲垮了老桥的两个桥墩。[1] 因此老桥被拆除，原址新建了一座钢桥。[1]");
    const span = answer.span!;
    expect(doc.slice(span.charStart, span.charEnd)).toBe("去年夏天的洪水冲垮了老桥的两个桥墩。");
  });

  it("asked what something is, leads with the sentence that opens with it (its definition)", () => {
    const zh = sources("每到中秋，镇上的人都到望月桥上赏月，望月桥因此得名。望月桥是兰溪上的一座三孔石拱桥。");
    expect(extractiveAnswer({ question: "什么是望月桥？", sources: zh }).text).toMatch(/^望月桥是兰溪上的一座三孔石拱桥。\[1\]/);
    const en = sources("Visitors walk out to the Gull Point lighthouse at low tide. The Gull Point lighthouse is a stone tower at the mouth of the bay.");
    expect(extractiveAnswer({ question: "What is the Gull Point lighthouse?", sources: en }).text).toMatch(/^The Gull Point lighthouse is a stone tower/);
  });

  it("neutralises citation-like marks inside quoted sentences", () => {
    const answer = extractiveAnswer({ question: "石桥是哪一年建成的？", sources: sources("石桥建成于1887年[7]，见【12】。") });
    expect(answer.text).not.toMatch(/\[7\]|【12】/);
    expect(answer.text.endsWith("[1]")).toBe(true);
  });
});

describe("extractive answers on the CMRC 2018 trial set", () => {
  it("lead with the answer: figures of the whole trial set through eval", { timeout: 300_000 }, async () => {
    // The settings of the README's command (`eval --model none --embedding-model none`): every default, keywords only.
    const settings = loadSettings({
      cwd: projectRoot,
      env: {},
      configFile: undefined,
      overrides: { store: tempDir(), threads: 1, gpu: false, "embedding.model": "none", "generator.model": "none" },
    });
    const report = await evaluateDataset({ settings, dataset: cmrcTrial });
    expect(report.mode).toBe("extractive");
    expect(report.questions).toBeGreaterThan(990);
    const e = report.extractive!;
    // Measured 0.774 first sentence / 0.853 answer / 0.772 span / 1.98 sentences / 115 characters (before sentences
    // kept whole across titles, asides, quotations and initials: 0.762 / 0.843 / 0.760 / 1.99 / 113). The goal
    // of 0.90 for the answer is out of reach of two whole sentences chosen by surface evidence: the gold answer is in the
    // retrieved sources for 98.6 % of the questions but inside one sentence of them for 91.9 %, and a ranker trained on
    // half the questions over 29 such features (word, character, answer-kind, position, neighbour evidence) holds it in
    // its top two for 85 % of the other half.
    expect(e.firstSentenceContainsGold).toBeGreaterThanOrEqual(0.77);
    expect(e.answerContainsGold).toBeGreaterThanOrEqual(0.85);
    expect(e.spanContainsGold).toBeGreaterThanOrEqual(0.77);
    expect(e.meanSentences).toBeLessThanOrEqual(2);
    expect(e.meanChars).toBeLessThanOrEqual(120);
    expect(report.answerInContext).toBeGreaterThanOrEqual(0.98);
    // Retrieval is untouched by the sentence choice: recall as measured before (0.962 / 0.990 / 0.994).
    expect(report.retrieval.recallAt1).toBeGreaterThanOrEqual(0.96);
    expect(report.retrieval.recallAt5).toBeGreaterThanOrEqual(0.99);
  });
});
