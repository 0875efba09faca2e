// Extractive answers (no generator): sentences chosen and ordered by how well they answer the question, the answer
// span pointing into a citation's text, and the figures on the whole CMRC 2018 trial set.
import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../../src/retrieval/hybrid.js";
import { extractiveAnswer, sentenceSpans } from "../../src/qa/extractive.js";
import { evaluateDataset } from "../../src/qa/evaluate.js";
import type { Source } from "../../src/qa/pack.js";
import { cmrcTrial, tempDir, testSettings } from "../helpers.js";

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

  it("neutralises citation-like marks inside quoted sentences", () => {
    const answer = extractiveAnswer({ question: "石桥是哪一年建成的？", sources: sources("石桥建成于1887年[7]，见【12】。") });
    expect(answer.text).not.toMatch(/\[7\]|【12】/);
    expect(answer.text.endsWith("[1]")).toBe(true);
  });
});

describe("extractive answers on the CMRC 2018 trial set", () => {
  it("lead with the answer: figures of the whole trial set through eval", { timeout: 300_000 }, async () => {
    const settings = testSettings({ store: tempDir(), model: "none" });
    const report = await evaluateDataset({ settings: { ...settings, generator: { ...settings.generator, model: "none" } }, dataset: cmrcTrial });
    expect(report.mode).toBe("extractive");
    expect(report.questions).toBeGreaterThan(990);
    const e = report.extractive!;
    // Measured 0.739 / 0.816 / 1.99 sentences / 110 characters (the sentences chosen by word overlap alone: 0.421 /
    // 0.719 / 1.99 / 113); the bounds leave room for retrieval changes, not for the old ranking.
    expect(e.firstSentenceContainsGold).toBeGreaterThanOrEqual(0.72);
    expect(e.answerContainsGold).toBeGreaterThanOrEqual(0.8);
    expect(e.spanContainsGold).toBeGreaterThanOrEqual(0.72);
    expect(e.meanSentences).toBeLessThanOrEqual(2);
    expect(e.meanChars).toBeLessThanOrEqual(120);
    expect(report.retrieval.recallAt5).toBeGreaterThanOrEqual(0.98);
  });
});
