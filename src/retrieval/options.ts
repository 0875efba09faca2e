// The retrieval settings every question path shares (k, candidates, fusion weights, reranker), read from Settings in
// one place, so the CLI, the server, `ask`, eval and the LangChain retriever cannot drift apart.
import type { Settings } from "../config/schema.js";
import type { Embedder } from "../models/embedder.js";
import type { Reranker } from "../models/reranker.js";
import type { DocumentStore } from "../store/contract.js";
import type { RetrieveOptions } from "./hybrid.js";

/** What retrieval needs of an opened engine; a QaEngine (qa/engine.ts) is one. */
export interface RetrievalEngine {
  readonly settings: Settings;
  readonly store: DocumentStore;
  /** null: lexical-only store. */
  readonly embedder: Embedder | null;
  readonly reranker: Reranker | null;
}

/** Retrieval options from the settings, for one query over the bases `kbs`; `k` defaults to `retrieval.k`. */
export function retrievalOptionsFor(engine: RetrievalEngine, query: string, kbs: readonly string[], k?: number): RetrieveOptions {
  const { settings } = engine;
  return {
    store: engine.store,
    embedder: engine.embedder,
    query,
    kbs,
    k: k ?? settings.retrieval.k,
    // The reranker reorders all its candidates, so fusion must hand it at least that many.
    candidates: Math.max(settings.retrieval.candidates, engine.reranker ? settings.rerank.candidates : 0),
    weights: settings.retrieval.denseWeight === undefined ? "auto" : { dense: settings.retrieval.denseWeight, lexical: settings.retrieval.lexicalWeight },
    reranker: engine.reranker,
    mergeNeighbours: true,
  };
}
