// Ranked chunks for a query with the engine's retrieval settings (hybrid, reranker, merged neighbours), no generation:
// what `alpaca-rag search` prints and `POST /v1/search` returns.
import type { SourceLocation } from "../ingest/types.js";
import type { RetrieveOptions, RetrievalMode, RetrievalTimings } from "../retrieval/hybrid.js";
import { retrieveDetailed } from "../retrieval/hybrid.js";
import { retrievalOptionsFor } from "../retrieval/options.js";
import type { QaEngine } from "./engine.js";

export interface SearchHit {
  /** 1-based. */
  rank: number;
  documentId: number;
  /** The path to cite, relative to its base's inbox folder. */
  source: string;
  /** The knowledge base of `source`. */
  kb: string;
  /** Every file with this content. */
  paths: string[];
  page: number | null;
  pageEnd: number | null;
  section: string | null;
  /** Where the passage is, ready to show (`label`: "p. 3", "slide 4", "§ 安装" …); null when nothing says. */
  location: SourceLocation | null;
  /** The reranker's relevance when one ran, else the fused score; higher is better. */
  score: number;
  chunkIds: number[];
  charStart: number;
  charEnd: number;
  text: string;
}

export interface SearchResult {
  query: string;
  mode: RetrievalMode;
  results: SearchHit[];
  timings: RetrievalTimings;
}

/** The retrieval options every question path uses, from the engine's settings (k left to the caller). */
export function retrievalOptions(engine: QaEngine, query: string, kbs: readonly string[], k?: number): RetrieveOptions {
  return retrievalOptionsFor(engine, query, kbs, k);
}

/** The best chunks for `query` in the bases `kbs` (required: never every base by default). */
export async function searchChunks(engine: QaEngine, query: string, kbs: readonly string[], k?: number): Promise<SearchResult> {
  const result = await retrieveDetailed(retrievalOptions(engine, query.trim(), kbs, k));
  return {
    query,
    mode: result.mode,
    results: result.chunks.map((c, i) => ({
      rank: i + 1,
      documentId: c.documentId,
      source: c.source,
      kb: c.kb,
      paths: c.paths,
      page: c.page,
      pageEnd: c.pageEnd,
      section: c.section,
      location: c.location,
      score: c.rerankScore ?? c.score,
      chunkIds: c.chunkIds,
      charStart: c.charStart,
      charEnd: c.charEnd,
      text: c.text,
    })),
    timings: result.timings,
  };
}
