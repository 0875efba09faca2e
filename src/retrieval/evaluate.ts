// Retrieval quality on questions whose answering document is known: recall@1/5/10 and MRR of the first chunk from a
// gold document. Used to choose the fusion defaults and by the eval command.
import type { Embedder } from "../models/embedder.js";
import type { Reranker } from "../models/reranker.js";
import type { DocumentStore } from "../store/contract.js";
import type { FusionWeights } from "./fusion.js";
import { retrieveDetailed, type RetrievalMode } from "./hybrid.js";

export interface EvaluationQuestion {
  question: string;
  /** Inbox paths of the documents that answer it; a result counts when any of its paths is one of them. */
  goldPaths: string[];
}

export interface EvaluateRetrievalOptions {
  store: DocumentStore;
  /** null: lexical-only. */
  embedder: Embedder | null;
  questions: readonly EvaluationQuestion[];
  /** The knowledge bases searched. */
  kbs: readonly string[];
  /** Results looked at per question (at least 10 for recall@10). Default 10. */
  k?: number;
  /** Candidates per retriever. Default max(50, k). */
  candidates?: number;
  /** Fusion weights; default retrieve()'s. { dense: 1, lexical: 0 } measures dense alone. */
  weights?: FusionWeights | "auto";
  rrfK?: number;
  reranker?: Reranker | null;
  /** Called after each question. */
  onProgress?: (done: number, total: number) => void;
}

export interface RetrievalMetrics {
  /** Share of questions with a gold chunk at rank 1 / within 5 / within 10. */
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  /** Mean of 1 / rank of the first gold chunk (0 when none within k). */
  mrr: number;
  questions: number;
  mode: RetrievalMode;
  /** Mean milliseconds per question (embedding, search, fusion). */
  meanMs: number;
  /** Rank of the first gold chunk for each question, null when not within k. */
  ranks: Array<number | null>;
}

export async function evaluateRetrieval(options: EvaluateRetrievalOptions): Promise<RetrievalMetrics> {
  const k = options.k ?? 10;
  const ranks: Array<number | null> = [];
  let mode: RetrievalMode = "lexical";
  let totalMs = 0;
  for (const q of options.questions) {
    const result = await retrieveDetailed({
      store: options.store,
      embedder: options.embedder,
      query: q.question,
      kbs: options.kbs,
      k,
      candidates: options.candidates ?? Math.max(50, k),
      weights: options.weights,
      rrfK: options.rrfK,
      reranker: options.reranker,
    });
    mode = result.mode;
    totalMs += result.timings.totalMs;
    const gold = new Set(q.goldPaths);
    const at = result.chunks.findIndex((c) => c.paths.some((p) => gold.has(p)));
    ranks.push(at < 0 ? null : at + 1);
    options.onProgress?.(ranks.length, options.questions.length);
  }
  const n = Math.max(1, ranks.length);
  const within = (cut: number) => ranks.filter((r) => r !== null && r <= cut).length / n;
  return {
    recallAt1: within(1),
    recallAt5: within(5),
    recallAt10: within(10),
    mrr: ranks.reduce<number>((sum, r) => sum + (r === null ? 0 : 1 / r), 0) / n,
    questions: ranks.length,
    mode,
    meanMs: totalMs / n,
    ranks,
  };
}
