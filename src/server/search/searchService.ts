// The search feature for the HTTP API: ranked chunks with the engine's retrieval settings; no generation.
import type { QaEngine } from "../../qa/engine.js";
import { searchChunks, type SearchResult } from "../../qa/search.js";

export type { SearchHit, SearchResult } from "../../qa/search.js";

export class SearchService {
  constructor(private readonly engine: QaEngine) {}

  search(query: string, k?: number): Promise<SearchResult> {
    return searchChunks(this.engine, query, k);
  }
}
