// The embedded store's lexical search: BM25 from SQLite's FTS5 over the chunks' jieba terms, leaving out terms
// nearly every chunk has (ranking.ts), with a cache of common terms' counts that follows every write.
import type { LexicalHit } from "../contract.js";
import { keptQueryTerms } from "../ranking.js";
import { matchExpression } from "../segment.js";
import type { StoreDatabase } from "./database.js";

/** Terms in at least this many chunks have their counts cached (counting fewer costs microseconds). */
const commonTermCacheFloor = 1000;

export class SqliteLexical {
  private statsAt: { version: string; chunks: number; termCounts: Map<string, number> } | null = null;

  constructor(private readonly db: StoreDatabase) {}

  /**
   * What the search knows of the store's content: its chunk count and the counts of common terms, dropped together
   * whenever the content may have changed: data_version moves on another connection's commit, total_changes() on this
   * connection's own writes (which leave data_version alone).
   */
  private stats(): { chunks: number; termCounts: Map<string, number> } {
    const version = `${this.db.pragma("data_version", { simple: true })}:${this.db.prepare("SELECT total_changes()").pluck().get()}`;
    if (this.statsAt?.version !== version)
      this.statsAt = { version, chunks: this.db.prepare("SELECT count(*) FROM chunks").pluck().get() as number, termCounts: new Map() };
    return this.statsAt;
  }

  /**
   * How many chunks hold each term. FTS5 counts a term by reading its whole posting list (~20 ms for a word in most
   * of a million chunks, and nearly every question has one), so counts of common terms are kept in `cached`; rare
   * terms are cheap to count and not kept, which bounds the cache by the index's size.
   */
  private documentCounts(terms: readonly string[], cached: Map<string, number>): Map<string, number> {
    const lookup = this.db.prepare("SELECT doc FROM chunks_vocab WHERE term = ?").pluck();
    const counts = new Map<string, number>();
    for (const term of terms) {
      let doc = cached.get(term);
      if (doc === undefined) {
        doc = (lookup.get(term) as number | undefined) ?? 0;
        if (doc >= commonTermCacheFloor) cached.set(term, doc);
      }
      counts.set(term, doc);
    }
    return counts;
  }

  /**
   * BM25 over the FTS5 table for the ORed terms, best first (SQLite's bm25 is lower-better; returned as a positive
   * score, higher is better). Leaving out terms in over a quarter of the chunks matters: scoring every chunk they
   * match made a search over 100k chunks ~7× slower, for words that weigh little in BM25.
   */
  /** `kbs`: only chunks of documents with a file in these bases (null: every chunk, when the scope covers all). */
  search(terms: readonly string[], limit: number, kbs: readonly string[] | null): LexicalHit[] {
    if (terms.length === 0 || limit <= 0) return [];
    const { chunks: total, termCounts } = this.stats();
    const documentCounts = this.documentCounts(terms, termCounts);
    const kept = keptQueryTerms(terms.map((term) => ({ term, doc: documentCounts.get(term) ?? 0 })), total);
    if (kept.length === 0) return [];
    // The scope is a join inside the ranking query (not a filter of its top hits), so a small base gets `limit` hits.
    const rows = (
      kbs === null
        ? this.db
            .prepare("SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?")
            .raw()
            .all(matchExpression(kept), limit)
        : this.db
            .prepare(
              `SELECT chunks_fts.rowid, bm25(chunks_fts) AS rank FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
               WHERE chunks_fts MATCH ? AND EXISTS (SELECT 1 FROM files f WHERE f.document_id = c.document_id
                 AND f.kb IN (SELECT value FROM json_each(?)))
               ORDER BY rank LIMIT ?`,
            )
            .raw()
            .all(matchExpression(kept), JSON.stringify(kbs), limit)
    ) as Array<[number, number]>;
    return rows.map(([chunkId, rank]) => ({ chunkId, score: -rank }));
  }
}
