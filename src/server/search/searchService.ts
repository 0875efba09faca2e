// The search feature for the HTTP API: ranked chunks with the engine's retrieval settings; no generation.
import type { QaEngine } from "../../qa/engine.js";
import { searchChunks, type SearchResult } from "../../qa/search.js";

export type { SearchHit, SearchResult } from "../../qa/search.js";

export class SearchService {
  constructor(private readonly engine: QaEngine) {}

  /** The names of the store's knowledge bases now. */
  async kbNames(): Promise<string[]> {
    return (await this.engine.store.listKbs()).map((k) => k.name);
  }

  /** `kbs`: already checked against the caller's key. */
  search(query: string, kbs: readonly string[], k?: number): Promise<SearchResult> {
    return searchChunks(this.engine, query, kbs, k);
  }
}
