// The search feature for the HTTP API: ranked chunks with the engine's retrieval settings; no generation. Each
// search's store time goes to the metrics.
import type { QaEngine } from "../../qa/engine.js";
import { searchChunks, type SearchResult } from "../../qa/search.js";
import type { ServerMetrics } from "../metrics/metricsService.js";

export type { SearchHit, SearchResult } from "../../qa/search.js";

export class SearchService {
  constructor(
    private readonly engine: QaEngine,
    private readonly metrics?: ServerMetrics,
  ) {}

  /** The names of the store's knowledge bases now. */
  async kbNames(): Promise<string[]> {
    return this.engine.store.kbNames();
  }

  /** `kbs`: already checked against the caller's key. */
  async search(query: string, kbs: readonly string[], k?: number): Promise<SearchResult> {
    const result = await searchChunks(this.engine, query, kbs, k);
    this.metrics?.storeQueried(result.timings, { lexical: result.mode !== "dense", dense: result.mode !== "lexical" });
    return result;
  }
}
