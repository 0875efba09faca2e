// The search-scale benchmark's reader, run in its own process on a store made by scale-build.ts: memory the opened
// store takes, latency of dense, lexical and fused retrieval and of retrieval plus window packing, and HNSW recall@10
// against exact search over the same vectors, for several ef (search breadth) values.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { packWindow } from "../src/qa/pack.js";
import { loadPromptTemplates } from "../src/qa/prompts.js";
import { retrieveDetailed } from "../src/retrieval/hybrid.js";
import { lexicalQuery } from "../src/store/segment.js";
import { blobToVector } from "../src/store/sqlite/documents.js";
import { SqliteLexical } from "../src/store/sqlite/lexical.js";
import { SqliteStore } from "../src/store/sqlite/store.js";
import { FixedQueryEmbedder } from "./lib/fixed-embedder.js";
import { serveChild } from "./lib/measure.js";
import { countPromptTokensWith, countTextTokensWith } from "./lib/prompt-tokens.js";
import { summarize, type LatencySummary } from "./lib/stats.js";
import { SyntheticCorpus, type SyntheticQuery } from "./lib/synthetic-corpus.js";
import { syntheticIdentity } from "./lib/synthetic-store.js";

export interface ScaleSearchOptions {
  storeDir: string;
  seed: number;
  dimension: number;
  clusters: number;
  /** Timed questions per dense measurement (after a few warm-up ones). */
  queries: number;
  /** Timed questions for lexical, fused and packing measurements, which cost far more per question. */
  textQueries: number;
  /** Questions whose exact top 10 is computed by brute force, for recall. */
  recallQueries: number;
  /** ef values to sweep; the store's default (64) is always included. */
  efValues: number[];
  /** Chinese-LLaMA-2 vocabulary GGUF (vocab-only load) for packing. */
  vocabModelPath: string;
  /** Sources retrieved for packing and fused retrieval (retrieval.k). */
  k: number;
  /** Candidates per retriever (retrieval.candidates). */
  candidates: number;
  /** Generator window and answer reserve for packing. */
  contextSize: number;
  reserveTokens: number;
}

export interface EfPoint {
  ef: number;
  recallAt10: number;
  latency: LatencySummary;
}

export interface ScaleSearchResult {
  chunks: number;
  openSeconds: number;
  /** RSS growth from opening the store and its first searches, in bytes. */
  rssDeltaBytes: number;
  /** Dense search, k = 10, at the store's default ef. */
  dense: LatencySummary;
  defaultEf: number;
  efSweep: EfPoint[];
  /** Segmenting the question and the store's lexical search (BM25 summed from FTS5's posting lists), `candidates` results. */
  lexical: LatencySummary;
  /** The same questions through FTS5's bm25() over every kept term: the lexical search before it summed postings itself. */
  lexicalExact: LatencySummary;
  /** Share of questions whose top 5 lexical hits are the same chunks, in order, from both. */
  lexicalSameTop5: number;
  /** The segmenting alone (jieba + script folding): the rest of `lexical` is SQLite's. */
  segment: LatencySummary;
  /** retrieveDetailed: dense + lexical + SQLite join + RRF, k results (precomputed question vectors). */
  fused: LatencySummary;
  /** retrieveDetailed as the answer path calls it (neighbours merged) followed by packWindow, per question. */
  retrieveAndPack: LatencySummary;
  pack: LatencySummary;
  /** Mean sources packed and prompt tokens. */
  packedSources: number;
  promptTokens: number;
}

const warmUp = 20;

async function timeEach<T>(items: readonly T[], fn: (item: T) => unknown): Promise<LatencySummary> {
  for (const item of items.slice(0, warmUp)) await fn(item);
  const samples: number[] = [];
  for (const item of items) {
    const t = performance.now();
    await fn(item);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

/** Exact top 10 by dot product (the vectors are unit length, so this is cosine) over every stored vector. */
async function exactTop10(store: SqliteStore, dimension: number, queries: readonly SyntheticQuery[]): Promise<number[][]> {
  const count = await store.count("chunks");
  const ids = new Int32Array(count);
  const all = new Float32Array(count * dimension);
  let n = 0;
  for (const row of store.db.prepare("SELECT id, vector FROM chunks WHERE vector IS NOT NULL").raw().iterate()) {
    const [id, blob] = row as [number, Buffer];
    ids[n] = id;
    all.set(blobToVector(blob), n * dimension);
    n += 1;
  }
  return queries.map((q) => {
    const best: Array<{ id: number; score: number }> = [];
    let floor = -Infinity;
    for (let i = 0; i < n; i++) {
      const base = i * dimension;
      let score = 0;
      for (let j = 0; j < dimension; j++) score += all[base + j] * q.vector[j];
      if (best.length < 10 || score > floor) {
        best.push({ id: ids[i], score });
        best.sort((a, b) => b.score - a.score);
        if (best.length > 10) best.pop();
        floor = best[best.length - 1].score;
      }
    }
    return best.map((b) => b.id);
  });
}

export async function measureScaleSearch(opts: ScaleSearchOptions): Promise<ScaleSearchResult> {
  const corpus = new SyntheticCorpus({ seed: opts.seed, dimension: opts.dimension, clusters: opts.clusters });
  const questions = corpus.queries(Math.max(opts.queries, opts.recallQueries) + warmUp, opts.seed + 2);
  const timed = questions.slice(0, opts.queries + warmUp);
  const timedText = questions.slice(0, opts.textQueries + warmUp);
  const embedder = new FixedQueryEmbedder(syntheticIdentity(opts.seed, opts.dimension), new Map(questions.map((q) => [q.text, q.vector])));
  lexicalQuery(questions[0].text); // loads jieba's dictionary and OpenCC before memory is measured

  const rssBefore = process.memoryUsage.rss();
  let t = performance.now();
  const store = SqliteStore.open(opts.storeDir);
  const openSeconds = (performance.now() - t) / 1000;
  try {
    const vectors = store.vectorIndex;
    if (!vectors) throw new Error(`${opts.storeDir} has no vector index`);
    for (const q of timed.slice(0, warmUp)) vectors.search(q.vector, 10);
    const rssDeltaBytes = process.memoryUsage.rss() - rssBefore;
    const chunks = vectors.size;
    const storeDefaultEf = vectors.searchEf; // what a search without an explicit ef uses at this size

    const dense = await timeEach(timed, (q) => vectors.search(q.vector, 10));
    const recallSet = questions.slice(0, opts.recallQueries);
    const exact = await exactTop10(store, opts.dimension, recallSet);
    const efSweep: EfPoint[] = [];
    for (const ef of [...new Set([...opts.efValues, storeDefaultEf])].sort((a, b) => a - b)) {
      let found = 0;
      recallSet.forEach((q, i) => {
        const truth = new Set(exact[i]);
        for (const hit of vectors.search(q.vector, 10, ef)) if (truth.has(hit.chunkId)) found += 1;
      });
      const latency = await timeEach(timed, (q) => vectors.search(q.vector, 10, ef));
      efSweep.push({ ef, recallAt10: found / (10 * recallSet.length), latency });
    }

    const segment = await timeEach(timedText, (q) => lexicalQuery(q.text));
    const lexical = await timeEach(timedText, (q) => {
      return store.lexicalSearch(lexicalQuery(q.text), opts.candidates, { kbs: ["default"] });
    });
    const exactLexical = new SqliteLexical(store.db);
    const lexicalExact = await timeEach(timedText, (q) => exactLexical.exactSearch(lexicalQuery(q.text), opts.candidates));
    let sameTop5 = 0;
    for (const q of timedText) {
      const top5 = (hits: Array<{ chunkId: number }>) => hits.slice(0, 5).map((h) => h.chunkId).join(",");
      if (top5(await store.lexicalSearch(lexicalQuery(q.text), opts.candidates, { kbs: ["default"] })) === top5(exactLexical.exactSearch(lexicalQuery(q.text), opts.candidates))) sameTop5 += 1;
    }
    const weights = { dense: 1, lexical: 1 }; // both retrievers run whatever their weights; fixed so no calibration is timed
    const fused = await timeEach(timedText, (q) =>
      retrieveDetailed({ kbs: ["default"], store, embedder, query: q.text, k: opts.k, candidates: opts.candidates, weights }),
    );

    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
    const vocab = await llama.loadModel({ modelPath: opts.vocabModelPath, vocabOnly: true });
    try {
      const templates = loadPromptTemplates();
      const countPromptTokens = countPromptTokensWith(vocab);
      const countTextTokens = countTextTokensWith(vocab);
      const packSamples: number[] = [];
      let sources = 0;
      let promptTokens = 0;
      const retrieveAndPack = await timeEach(timedText, async (q) => {
        const retrieved = await retrieveDetailed({ kbs: ["default"], store, embedder, query: q.text, k: opts.k, candidates: opts.candidates, weights, mergeNeighbours: true });
        const start = performance.now();
        const packed = packWindow({
          question: q.text,
          chunks: retrieved.chunks,
          templates,
          system: templates.system,
          promptFormat: "llama2-chat",
          contextSize: opts.contextSize,
          countPromptTokens,
          countTextTokens,
          reserveTokens: opts.reserveTokens,
        });
        packSamples.push(performance.now() - start);
        sources += packed.sources.length;
        promptTokens += packed.promptTokens;
      });
      const packed = packSamples.slice(warmUp);
      return {
        chunks,
        openSeconds,
        rssDeltaBytes,
        dense,
        defaultEf: storeDefaultEf,
        efSweep,
        lexical,
        lexicalExact,
        lexicalSameTop5: sameTop5 / timedText.length,
        segment,
        fused,
        retrieveAndPack,
        pack: summarize(packed),
        packedSources: sources / packSamples.length,
        promptTokens: promptTokens / packSamples.length,
      };
    } finally {
      await vocab.dispose();
    }
  } finally {
    await store.close();
  }
}

serveChild(import.meta.url, measureScaleSearch);
