// `eval` on a slice of the CMRC 2018 trial set: a temporary store, retrieval recall and MRR, answer-in-context, and
// CMRC's character-level EM/F1 when a generator answers.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cmrcExactMatch, cmrcF1, cmrcSegments, evaluateDataset } from "../../src/qa/evaluate.js";
import { runCli } from "../cliProcess.js";
import { cmrcTrial, storiesModel, tempDir, testSettings } from "../helpers.js";

/** The first `n` articles of the trial set as a dataset file of its own. */
function slice(n: number): string {
  const data = JSON.parse(fs.readFileSync(cmrcTrial, "utf8")) as { version: string; data: unknown[] };
  const file = path.join(tempDir(), "slice.json");
  fs.writeFileSync(file, JSON.stringify({ version: data.version, data: data.data.slice(0, n) }));
  return file;
}

describe("CMRC 2018 metrics", () => {
  it("segments Chinese by character and other scripts by word, ignoring punctuation", () => {
    expect(cmrcSegments("1968年建成，Nanjing Bridge!")).toEqual(["1968", "年", "建", "成", "nanjing", "bridge"]);
  });

  it("scores exact match after removing punctuation and F1 by the longest common substring", () => {
    expect(cmrcExactMatch("踢爆。", ["踢爆"])).toBe(1);
    expect(cmrcExactMatch("踢", ["踢爆"])).toBe(0);
    expect(cmrcF1("在1968年建成", ["1968年"])).toBeCloseTo((2 * (2 / 5) * 1) / (2 / 5 + 1), 6);
    expect(cmrcF1("完全无关", ["1968年"])).toBe(0);
    expect(cmrcF1("1968年", ["别的", "1968年"])).toBe(1);
  });
});

describe("evaluateDataset", () => {
  it("measures lexical retrieval and extractive answers on a slice of the trial set", { timeout: 120_000 }, async () => {
    const settings = testSettings({ store: tempDir(), model: "none" });
    const report = await evaluateDataset({ settings: { ...settings, generator: { ...settings.generator, model: "none" } }, dataset: slice(30), limit: 60 });
    expect(report).toMatchObject({ passages: 30, questions: 60, mode: "extractive", generation: null });
    expect(report.retrieval.mode).toBe("lexical");
    expect(report.retrieval.recallAt1).toBeGreaterThan(0.8);
    expect(report.retrieval.recallAt5).toBeGreaterThanOrEqual(report.retrieval.recallAt1);
    expect(report.retrieval.recallAt10).toBeGreaterThanOrEqual(report.retrieval.recallAt5);
    expect(report.retrieval.mrr).toBeGreaterThanOrEqual(report.retrieval.recallAt1);
    expect(report.retrieval.mrr).toBeLessThanOrEqual(1);
    expect(report.answerInContext).toBeGreaterThan(0.8);
  });

  it("puts the passages in the knowledge base --kb names and asks that base", { timeout: 120_000 }, async () => {
    const settings = testSettings({ store: tempDir(), model: "none" });
    const report = await evaluateDataset({ settings: { ...settings, generator: { ...settings.generator, model: "none" } }, dataset: slice(10), limit: 20, kb: "试验-base" });
    expect(report).toMatchObject({ passages: 10, questions: 20, mode: "extractive" });
    expect(report.retrieval.recallAt1).toBeGreaterThan(0.7);
    expect(report.answerInContext).toBeGreaterThan(0.7);
  });

  it("adds EM and F1 when a generator answers (stories260K, hybrid with its embedder)", { timeout: 300_000 }, async () => {
    const settings = testSettings({ store: tempDir(), chunkSize: 120, chunkOverlap: 16 });
    const report = await evaluateDataset({
      settings: { ...settings, generator: { ...settings.generator, model: storiesModel, maxTokens: 16, temperature: 0 }, retrieval: { ...settings.retrieval, k: 2 } },
      dataset: slice(6),
      limit: 8,
    });
    expect(report.mode).toBe("generated");
    expect(report.retrieval.mode).toBe("hybrid");
    expect(report.generation).not.toBeNull();
    expect(report.generation!.model).toBe("stories260K.gguf");
    // A story model does not answer Chinese questions: the metrics are computed, and near zero.
    expect(report.generation!.exactMatch).toBe(0);
    expect(report.generation!.f1).toBeGreaterThanOrEqual(0);
    expect(report.generation!.f1).toBeLessThan(0.5);
  });

  it("prints a table or JSON from the CLI and names a bad dataset file", { timeout: 120_000 }, async () => {
    const file = slice(5);
    const table = await runCli(["eval", "--dataset", file, "--limit", "10", "--embedding-model", "none", "--model", "none", "--store", tempDir()]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\| retrieval \(lexical\) recall@1 \| \d+\.\d%/);
    expect(table.stdout).toMatch(/\| answer in context +\| \d+\.\d%/);
    const json = await runCli(["eval", "--dataset", file, "--limit", "10", "--json", "--embedding-model", "none", "--model", "none"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ passages: expect.any(Number), questions: 10, mode: "extractive" });
    const bad = path.join(tempDir(), "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ data: [{ paragraphs: [{ qas: [] }] }] }));
    const refused = await runCli(["eval", "--dataset", bad, "--embedding-model", "none"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--dataset .*bad\.json: not SQuAD\/CMRC format \(data\.0\.paragraphs\.0\.context/);
  });
});
