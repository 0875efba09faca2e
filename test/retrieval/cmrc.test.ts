// Retrieval quality on a slice of the CMRC 2018 trial set (the first 40 passages and their questions): a weak embedder
// (stories260K) must not make hybrid retrieval worse than lexical alone. cmrc.measure.ts measures the whole set.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import type { Embedder } from "../../src/models/embedder.js";
import { calibrateDenseWeight, unprovenDenseWeight } from "../../src/retrieval/calibrate.js";
import { evaluateRetrieval, type EvaluationQuestion, type RetrievalMetrics } from "../../src/retrieval/evaluate.js";
import type { DocumentStore } from "../../src/store/contract.js";
import { openStore } from "../../src/store/open.js";
import { cmrcParagraphs, testSettings } from "../helpers.js";
import { ingestedStore, type IngestedStore } from "./fixtures.js";
import { bigramEmbedder } from "./bigramEmbedder.js";

const paragraphs = cmrcParagraphs().slice(0, 40);
const questions: EvaluationQuestion[] = paragraphs.flatMap((p) =>
  p.qas.filter((q) => q.question.trim()).map((q) => ({ question: q.question, goldPaths: [`${p.id}.txt`] })),
);

let dir: string;
let inbox: string;
let fixture: IngestedStore;
let embedder: Embedder;
let store: DocumentStore;

beforeAll(async () => {
  fixture = await ingestedStore(Object.fromEntries(paragraphs.map((p) => [`${p.id}.txt`, p.context])));
  expect(fixture.summary.added).toBe(40);
  ({ dir, inbox, embedder, store } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

function expectNoWorse(hybrid: RetrievalMetrics, lexical: RetrievalMetrics): void {
  expect(hybrid.recallAt5).toBeGreaterThanOrEqual(lexical.recallAt5);
  expect(hybrid.mrr).toBeGreaterThanOrEqual(lexical.mrr - 1e-12);
}

describe("retrieval on CMRC 2018 (40 passages)", () => {
  it("with stories260K, the default hybrid is no worse than lexical alone, and equal-weight RRF would be", async () => {
    expect(questions.length).toBeGreaterThan(100);
    const options = { store, embedder, questions, kbs: ["default"], k: 10, candidates: 50 };
    const lexical = await evaluateRetrieval({ ...options, weights: { dense: 0, lexical: 1 } });
    const dense = await evaluateRetrieval({ ...options, weights: { dense: 1, lexical: 0 } });
    const hybrid = await evaluateRetrieval(options);
    const equal = await evaluateRetrieval({ ...options, weights: { dense: 1, lexical: 1 } });
    expect([lexical.mode, dense.mode, hybrid.mode]).toEqual(["lexical", "dense", "hybrid"]);
    expect(lexical.recallAt5).toBeGreaterThan(0.9);
    expect(dense.mrr).toBeLessThan(0.2); // a story model knows nothing of Chinese
    expectNoWorse(hybrid, lexical);
    expect(equal.mrr).toBeLessThan(lexical.mrr - 0.2);
    const withoutEmbedder = await evaluateRetrieval({ ...options, embedder: null });
    expect(withoutEmbedder.mode).toBe("lexical");
    expect(withoutEmbedder.ranks).toEqual(lexical.ranks);
  });

  it("reports metrics that agree with the ranks it found", async () => {
    const m = await evaluateRetrieval({ kbs: ["default"], store, embedder: null, questions: questions.slice(0, 30), k: 10 });
    const n = m.ranks.length;
    expect(n).toBe(30);
    expect(m.recallAt1).toBeCloseTo(m.ranks.filter((r) => r === 1).length / n, 12);
    expect(m.recallAt5).toBeCloseTo(m.ranks.filter((r) => r !== null && r <= 5).length / n, 12);
    expect(m.recallAt10).toBeCloseTo(m.ranks.filter((r) => r !== null).length / n, 12);
    expect(m.mrr).toBeCloseTo(m.ranks.reduce<number>((s, r) => s + (r ? 1 / r : 0), 0) / n, 12);
    expect(m.recallAt1).toBeLessThanOrEqual(m.recallAt5);
    const none = await evaluateRetrieval({ kbs: ["default"], store, embedder: null, questions: [{ question: "完全无关的问题", goldPaths: ["nowhere.txt"] }] });
    expect([none.recallAt10, none.mrr, none.ranks]).toEqual([0, 0, [null]]);
  });

  it("stories260K cannot prove itself; a competent embedder still weaker than BM25 scores far higher but only fills in", async () => {
    const weak = await calibrateDenseWeight({ store, embedder });
    expect(weak.probes).toBeGreaterThanOrEqual(32);
    expect(weak.lexicalMrr).toBeGreaterThan(0.8);
    expect(weak.relative).toBeLessThan(0.2);
    expect(weak.denseWeight).toBe(unprovenDenseWeight);

    const bigram = bigramEmbedder();
    const settings = testSettings({ store: path.join(dir, "store-bigram"), inbox, model: "none" });
    await ingestFolder({ settings, embedder: bigram });
    const bigramStore = await openStore(settings.store);
    try {
      const competent = await calibrateDenseWeight({ store: bigramStore, embedder: bigram });
      expect(competent.relative).toBeGreaterThan(weak.relative! + 0.4);
      expect(competent.relative).toBeLessThan(0.9);
      expect(competent.denseWeight).toBe(unprovenDenseWeight);
      const options = { store: bigramStore, embedder: bigram, questions, kbs: ["default"], k: 10, candidates: 50 };
      expectNoWorse(await evaluateRetrieval(options), await evaluateRetrieval({ ...options, weights: { dense: 0, lexical: 1 } }));
    } finally {
      await bigramStore.close();
    }
  });
});
