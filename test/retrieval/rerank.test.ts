// The reranker: node-llama-cpp's ranking context on real GGUFs (stories260K has no classification head, so it must be
// refused clearly; a tiny Qwen3 cross-encoder written at test time has one, and scores through llama.cpp's rank head,
// also when `rerank.model` is set for `alpaca-rag search`), and retrieve()'s reordering, checked for meaning with a
// phrase scorer, since the random-weight model's scores say nothing about relevance.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { runCli } from "../cliProcess.js";
import { llamaRuntime } from "../../src/models/llama.js";
import { loadReranker, RerankerUnsupportedError, type Reranker } from "../../src/models/reranker.js";
import { ModelMissingError } from "../../src/models/resolve.js";
import { retrieveDetailed } from "../../src/retrieval/hybrid.js";
import type { DocumentStore } from "../../src/store/contract.js";
import { openStore } from "../../src/store/open.js";
import { storiesModel, tempDir, testSettings, writeFiles } from "../helpers.js";
import { writeSyntheticReranker } from "../models/syntheticReranker.js";

describe("loadReranker", () => {
  it("node-llama-cpp itself cannot rank with stories260K", async () => {
    const llama = await llamaRuntime({ gpu: false });
    const model = await llama.loadModel({ modelPath: storiesModel });
    try {
      expect(model.fileInsights.supportsRanking).toBe(false);
      await expect(model.createRankingContext({ threads: 1, contextSize: 256 })).rejects.toThrow(/not supported for this model/);
    } finally {
      await model.dispose();
    }
  });

  it("refuses a model without a classification head, naming the setting and the file", async () => {
    const attempt = loadReranker({ model: storiesModel, modelsDir: tempDir(), gpu: false, threads: 1 });
    await expect(attempt).rejects.toThrow(RerankerUnsupportedError);
    await expect(loadReranker({ model: storiesModel, modelsDir: tempDir(), gpu: false, threads: 1 })).rejects.toThrow(
      /^rerank\.model stories260K\.gguf is not a reranking model/,
    );
  });

  it("says which file is missing", async () => {
    const missing = path.join(tempDir(), "reranker.gguf");
    await expect(loadReranker({ model: missing, modelsDir: tempDir(), gpu: false, threads: 1 })).rejects.toThrow(ModelMissingError);
    await expect(loadReranker({ model: missing, modelsDir: tempDir(), gpu: false, threads: 1 })).rejects.toThrow(`rerank.model: no model file at ${missing}`);
  });
});

/** Scores by how many of the marked phrase's characters a passage holds: a stand-in for a reranking model. */
function phraseScorer(phrase: string): Reranker & { calls: Array<{ query: string; passages: readonly string[] }> } {
  const calls: Array<{ query: string; passages: readonly string[] }> = [];
  return {
    name: "phrase-scorer",
    calls,
    async score(query, passages) {
      calls.push({ query, passages });
      return passages.map((p) => [...phrase].filter((c) => p.includes(c)).length / phrase.length);
    },
    async dispose() {},
  };
}

describe("retrieve with a reranker", () => {
  let store: DocumentStore;
  beforeAll(async () => {
    const dir = tempDir();
    const inbox = path.join(dir, "inbox");
    writeFiles(inbox, {
      "a.txt": "码头的吊车每天装卸两百个集装箱，码头工人三班倒。",
      "b.txt": "码头旁边的小饭馆只卖鱼汤面，老板说鱼是凌晨从码头买的。",
      "c.md": "# 码头往事\n\n码头在一九五八年扩建过一次，当时的工人用的是木制滑轮，后来换成了电动吊车。新码头又往东延伸了三百米。",
    });
    // Small chunks (one estimated token per character), so the Markdown section spans several.
    const settings = testSettings({ store: path.join(dir, "store"), inbox, model: "none", chunkSize: 24, chunkOverlap: 4 });
    await ingestFolder({ settings });
    store = await openStore(settings.store);
  });
  afterAll(() => store?.close());

  it("reorders all fused candidates before cutting to k, keeping the fused score beside the rerank score", async () => {
    const plain = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: "码头", k: 10, candidates: 10 });
    const fishAt = plain.chunks.findIndex((c) => c.source === "b.txt");
    expect(fishAt).toBeGreaterThan(0);
    const reranker = phraseScorer("鱼汤面");
    const result = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: "码头", k: 1, candidates: 10, reranker });
    expect(result.chunks).toHaveLength(1);
    expect(result.chunks[0].source).toBe("b.txt");
    expect(result.chunks[0].rerankScore).toBe(1);
    expect(result.chunks[0].score).toBe(plain.chunks[fishAt].score);
    expect(result.timings.rerankMs).toBeGreaterThan(0);
    // The reranker saw every candidate, headed by its section where the chunk does not already start with it.
    expect(reranker.calls).toHaveLength(1);
    expect(reranker.calls[0].query).toBe("码头");
    const candidates = plain.chunks;
    expect(reranker.calls[0].passages).toHaveLength(candidates.length);
    const sectionChunks = candidates.filter((c) => c.section === "码头往事");
    expect(sectionChunks.length).toBeGreaterThan(1);
    for (const c of sectionChunks)
      expect(reranker.calls[0].passages).toContain(c.text.startsWith("# 码头往事") ? c.text : `码头往事\n${c.text}`);
  });

  it("keeps the fused order among equal rerank scores", async () => {
    const plain = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: "码头工人", k: 3, candidates: 10 });
    const flat = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: "码头工人", k: 3, candidates: 10, reranker: phraseScorer("无关") });
    expect(flat.chunks.map((c) => c.chunkId)).toEqual(plain.chunks.map((c) => c.chunkId));
    expect(flat.chunks.every((c) => c.rerankScore === 0)).toBe(true);
  });
});

describe("a reranking GGUF through llama.cpp (synthetic Qwen3 cross-encoder)", () => {
  let rerankerPath: string;
  let reranker: Reranker;
  const query = "码头在哪里？";
  const passages = [
    "码头的吊车每天装卸两百个集装箱。",
    "The ferry leaves the pier at dawn.",
    "鱼汤面",
    // About 1,300 tokens for stories260K's tokenizer: more than the model's 512-token context.
    "老码头的故事很长。".repeat(50),
  ];

  beforeAll(async () => {
    rerankerPath = writeSyntheticReranker(path.join(tempDir(), "synthetic-reranker.gguf"));
    reranker = await loadReranker({ model: rerankerPath, modelsDir: tempDir(), gpu: false, threads: 1 });
  });
  afterAll(async () => {
    await reranker?.dispose();
  });

  it("scores every passage, long ones by their best window: probabilities that depend on the query and the passage alone", async () => {
    expect(reranker.name).toBe("synthetic-reranker.gguf");
    const scores = await reranker.score(query, passages);
    expect(scores).toHaveLength(passages.length);
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
    }
    expect(new Set(scores.map((s) => s.toFixed(6))).size).toBe(passages.length);
    expect(await reranker.score(query, passages)).toEqual(scores);
    // A passage's score does not depend on the others scored with it.
    expect((await reranker.score(query, [passages[1]]))[0]).toBeCloseTo(scores[1], 6);
    expect(await reranker.score("渡轮几点开？", passages)).not.toEqual(scores);
    expect(await reranker.score(query, [])).toEqual([]);
  });

  it("reorders `alpaca-rag search` by its scores when rerank.model is set", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const inbox = path.join(dir, "inbox");
    writeFiles(inbox, {
      "crane.txt": "码头的吊车每天装卸两百个集装箱。",
      "noodles.txt": "码头旁边的小饭馆只卖鱼汤面。",
      "history.txt": "码头在一九五八年扩建过一次。",
      "ferry.txt": "渡轮每天清晨从码头出发。",
    });
    const common = ["--store", path.join(dir, "store"), "--threads", "1", "--gpu", "false", "--models-dir", tempDir()];
    const ingest = await runCli(["ingest", inbox, "--embedding-model", "none", "--json", ...common]);
    expect(ingest.code, ingest.stderr).toBe(0);

    type Hit = { source: string; score: number; text: string };
    type Search = { results: Hit[]; timings: { rerankMs: number } };
    const plainRun = await runCli(["search", "码头", "--json", "-k", "4", ...common]);
    expect(plainRun.code, plainRun.stderr).toBe(0);
    const plain = JSON.parse(plainRun.stdout) as Search;
    const rerankedRun = await runCli(["search", "码头", "--json", "-k", "4", ...common], { ALPACA_RAG_RERANK_MODEL: rerankerPath });
    expect(rerankedRun.code, rerankedRun.stderr).toBe(0);
    const reranked = JSON.parse(rerankedRun.stdout) as Search;

    expect(plain.timings.rerankMs).toBe(0);
    expect(reranked.timings.rerankMs).toBeGreaterThan(0);
    expect(reranked.results.map((r) => r.source).sort()).toEqual(plain.results.map((r) => r.source).sort());
    // Each result carries the model's own score for it, highest first.
    const expected = await reranker.score("码头", reranked.results.map((r) => r.text));
    reranked.results.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i], 5));
    const scores = reranked.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});
