// The LangChain JS side of the retrieval-quality benchmark, run in its own process: the ingest bench's LangChain
// pipeline (DirectoryLoader → RecursiveCharacterTextSplitter → LlamaCppEmbeddings → HNSWLib.fromDocuments), then
// similaritySearch(question, 10) for every question; a hit is a chunk whose source file is the gold file.
import path from "node:path";
import { LlamaCppEmbeddings } from "@langchain/community/embeddings/llama_cpp";
import { HNSWLib } from "@langchain/community/vectorstores/hnswlib";
import type { CmrcQuestion } from "./lib/cmrc-questions.js";
import { loadAndSplit } from "./langchain-pipeline.js";
import { serveChild } from "./lib/measure.js";
import { metricsFromRanks, type RankMetrics } from "./lib/rank-metrics.js";

export interface QualityLangchainOptions {
  dir: string;
  modelPath: string;
  threads: number;
  /** Splitter sizes in characters (see lib/char-budget.ts). */
  chunkSize: number;
  chunkOverlap: number;
  questions: CmrcQuestion[];
}

export interface QualityLangchainResult extends RankMetrics {
  chunks: number;
  indexSeconds: number;
  meanMs: number;
}

export async function runQualityLangchain(opts: QualityLangchainOptions): Promise<QualityLangchainResult> {
  const { chunks } = await loadAndSplit(opts);
  const embeddings = await LlamaCppEmbeddings.initialize({ modelPath: opts.modelPath, threads: opts.threads });
  try {
    let t = performance.now();
    const store = await HNSWLib.fromDocuments(chunks, embeddings);
    const indexSeconds = (performance.now() - t) / 1000;
    const ranks: Array<number | null> = [];
    t = performance.now();
    for (const q of opts.questions) {
      const hits = await store.similaritySearch(q.question, 10);
      const at = hits.findIndex((d) => path.basename(String(d.metadata.source)) === q.goldFile);
      ranks.push(at < 0 ? null : at + 1);
    }
    const meanMs = (performance.now() - t) / Math.max(1, opts.questions.length);
    return { ...metricsFromRanks(ranks), chunks: chunks.length, indexSeconds, meanMs };
  } finally {
    await embeddings._embeddingContext.dispose();
    await embeddings._model.dispose();
  }
}

serveChild(import.meta.url, runQualityLangchain);
