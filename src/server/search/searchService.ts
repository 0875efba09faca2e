// Ranked chunks for a query with the engine's retrieval settings (hybrid, reranker, merged neighbours); no generation.
import type { QaEngine } from "../../qa/engine.js";
import { retrieveDetailed, type RetrievalMode, type RetrievalTimings } from "../../retrieval/hybrid.js";

export interface SearchHit {
  /** 1-based. */
  rank: number;
  documentId: number;
  /** The path to cite, relative to the inbox. */
  source: string;
  /** Every file with this content. */
  paths: string[];
  page: number | null;
  pageEnd: number | null;
  section: string | null;
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

export class SearchService {
  constructor(private readonly engine: QaEngine) {}

  async search(query: string, k?: number): Promise<SearchResult> {
    const { settings } = this.engine;
    const result = await retrieveDetailed({
      store: this.engine.store,
      embedder: this.engine.embedder,
      query: query.trim(),
      k: k ?? settings.retrieval.k,
      candidates: Math.max(settings.retrieval.candidates, settings.rerank.model ? settings.rerank.candidates : 0),
      weights: settings.retrieval.denseWeight === undefined ? "auto" : { dense: settings.retrieval.denseWeight, lexical: settings.retrieval.lexicalWeight },
      reranker: this.engine.reranker,
      mergeNeighbours: true,
    });
    return {
      query,
      mode: result.mode,
      results: result.chunks.map((c, i) => ({
        rank: i + 1,
        documentId: c.documentId,
        source: c.source,
        paths: c.paths,
        page: c.page,
        pageEnd: c.pageEnd,
        section: c.section,
        score: c.rerankScore ?? c.score,
        chunkIds: c.chunkIds,
        charStart: c.charStart,
        charEnd: c.charEnd,
        text: c.text,
      })),
      timings: result.timings,
    };
  }
}
