// The embedded store's lexical search: BM25 over the chunks' jieba terms, exactly as SQLite's FTS5 ranks them, leaving
// out terms nearly every chunk has (ranking.ts). FTS5's own bm25() was what made search slow at scale (p99 328 ms at
// 1M chunks): for every chunk any query term is in it decodes positions and looks up the chunk's size (~5 µs a chunk),
// and first reads each term's whole list again to count it. Here the same score is summed term at a time in typed
// arrays from FTS5's own posting lists and token counts (postings.ts), cached in memory, and the best `limit` taken
// with a heap: the numbers are FTS5's to the last bit (bm25.ts). Queries with a term FTS5 would cut into several tokens
// or fold are left to FTS5 itself. A search scoped to some knowledge bases scores with the whole index's statistics, as
// FTS5's bm25() does under a join, and keeps only the scope's chunks before taking the best `limit`.
import type { LexicalHit } from "../contract.js";
import { keptQueryTerms } from "../ranking.js";
import { matchExpression } from "../segment.js";
import { bm25Idf, bm25Term, isPlainTerm, readFtsTotals } from "./bm25.js";
import type { StoreDatabase } from "./database.js";
import { FtsPostings } from "./postings.js";

/** Terms in at least this many chunks have their counts cached (counting fewer costs microseconds). */
const commonTermCacheFloor = 1000;

interface Stats {
  version: string;
  /** FTS5's row count and mean tokens per row: what its bm25 divides by. */
  rows: number;
  averageTokens: number;
  termCounts: Map<string, number>;
  /** The latest scope's chunks (1 at their id), built once per scope and content version. */
  scope: { key: string; allowed: Uint8Array } | null;
}

/** How the latest search ran, for benchmarks and tests: summed here from posting lists, or by FTS5's bm25 and why. */
export interface LexicalPlan {
  path: "postings" | "fts5" | "empty";
  reason: string;
  /** Postings summed (postings path). */
  postings: number;
  /** Posting lists read from the packed side index by this search (the rest came from the cache or FTS5). */
  packedReads: number;
}

export class SqliteLexical {
  private statsAt: Stats | null = null;
  private readonly postings: FtsPostings;
  /** Scores by chunk id, zero between searches; `touched` lists the ids a search set, to clear them after. */
  private scores = new Float64Array(0);
  lastPlan: LexicalPlan | null = null;

  constructor(private readonly db: StoreDatabase) {
    this.postings = new FtsPostings(db);
  }

  /**
   * What the search knows of the store's content: FTS5's totals, the counts of common terms and the cached posting
   * lists, dropped together whenever the content may have changed: data_version moves on another connection's commit,
   * total_changes() on this connection's own writes (which leave data_version alone).
   */
  private stats(): Stats {
    const version = `${this.db.pragma("data_version", { simple: true })}:${this.db.prepare("SELECT total_changes()").pluck().get()}`;
    if (this.statsAt?.version !== version) {
      // FTS5's own row count (one row per chunk), read in O(1) where count(*) over chunks walks a million-row index.
      const { rows, tokens } = readFtsTotals(this.db, "chunks_fts");
      this.statsAt = { version, rows, averageTokens: rows > 0 ? tokens / rows : 0, termCounts: new Map(), scope: null };
      this.postings.invalidate();
    }
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
      let doc = cached.get(term) ?? this.postings.knownCount(term);
      if (doc === undefined) {
        doc = (lookup.get(term) as number | undefined) ?? 0;
        if (doc >= commonTermCacheFloor) cached.set(term, doc);
      }
      counts.set(term, doc);
    }
    return counts;
  }

  /** The query terms a search runs with (ranking.ts's rule), in query order. */
  private keptTerms(terms: readonly string[], stats: Stats): string[] {
    const counts = this.documentCounts(terms, stats.termCounts);
    return keptQueryTerms(terms.map((term) => ({ term, doc: counts.get(term) ?? 0 })), stats.rows);
  }

  /**
   * Which chunks a scoped search may return: those of documents with a file in one of `kbs`. A byte per chunk id (1 MB
   * at a million chunks) checked as each summed chunk is offered to the heap, so a small base still gets `limit` hits.
   */
  private scopeChunks(kbs: readonly string[], stats: Stats): Uint8Array {
    const key = JSON.stringify([...kbs].sort());
    if (stats.scope?.key === key) return stats.scope.allowed;
    const ids = this.db
      .prepare(
        `SELECT c.id FROM chunks c WHERE c.document_id IN
           (SELECT document_id FROM files WHERE kb IN (SELECT value FROM json_each(?)))`,
      )
      .pluck()
      .all(key) as number[];
    let top = 0;
    for (const id of ids) if (id > top) top = id;
    const allowed = new Uint8Array(ids.length === 0 ? 0 : top + 1);
    for (const id of ids) allowed[id] = 1;
    stats.scope = { key, allowed };
    return allowed;
  }

  /**
   * BM25 over the ORed terms, best first, as a positive score (higher is better); see the file's comment. `kbs`: only
   * chunks of documents with a file in these bases (null: every chunk, when the scope covers every base).
   */
  search(terms: readonly string[], limit: number, kbs: readonly string[] | null): LexicalHit[] {
    this.lastPlan = { path: "empty", reason: "no query term is in any chunk", postings: 0, packedReads: 0 };
    this.postings.readsFromPacked();
    if (terms.length === 0 || limit <= 0) return [];
    const stats = this.stats();
    const kept = this.keptTerms(terms, stats);
    if (kept.length === 0) return [];
    const odd = kept.find((t) => !isPlainTerm(t));
    if (odd !== undefined) return this.fts5(kept, limit, kbs, `"${odd}" is not one plain FTS5 token`);
    const lists = kept.map((t) => this.postings.list(t));
    if (lists.some((l) => l.saturated)) return this.fts5(kept, limit, kbs, "a chunk holds a term over 65535 times");
    return this.summed(lists, limit, stats, kbs === null ? null : this.scopeChunks(kbs, stats));
  }

  /**
   * FTS5's bm25() over every kept term: the reference the summed search must equal (tests and benchmarks compare the
   * two), and what answers queries the summed search leaves to FTS5.
   */
  exactSearch(terms: readonly string[], limit: number, kbs: readonly string[] | null = null): LexicalHit[] {
    this.lastPlan = { path: "empty", reason: "no query term is in any chunk", postings: 0, packedReads: 0 };
    if (terms.length === 0 || limit <= 0) return [];
    const kept = this.keptTerms(terms, this.stats());
    return kept.length === 0 ? [] : this.fts5(kept, limit, kbs, "exact search asked for");
  }

  /** FTS5's bm25() ranks; a scope is a join inside the ranking query (bm25() still uses the whole table's statistics). */
  private fts5(kept: readonly string[], limit: number, kbs: readonly string[] | null, reason: string): LexicalHit[] {
    this.lastPlan = { path: "fts5", reason, postings: 0, packedReads: 0 };
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

  /**
   * Term at a time, in query order (each chunk's sum is then added up in FTS5's order, so it is the same double), a
   * term given twice counted twice as FTS5 counts each phrase; then the best `limit` of the `allowed` chunks (null:
   * all) by a min-heap.
   */
  private summed(lists: ReturnType<FtsPostings["list"]>[], limit: number, stats: Stats, allowed: Uint8Array | null): LexicalHit[] {
    const lengths = this.postings.tokenCounts();
    if (this.scores.length < lengths.length) this.scores = new Float64Array(lengths.length);
    const scores = this.scores;
    const touched: number[] = [];
    let postings = 0;
    for (const { chunks, counts } of lists) {
      const idf = bm25Idf(stats.rows, chunks.length);
      postings += chunks.length;
      for (let i = 0; i < chunks.length; i++) {
        const id = chunks[i];
        // Every term's share is positive (IDF is at least 1e-6 and tf at least 1), so zero means untouched.
        if (scores[id] === 0) touched.push(id);
        scores[id] += bm25Term(idf, counts[i], lengths[id], stats.averageTokens);
      }
    }
    const top = new TopHits(limit);
    for (const id of touched) {
      if (allowed === null || allowed[id] === 1) top.offer(id, scores[id]);
      scores[id] = 0;
    }
    this.lastPlan = {
      path: "postings",
      reason: `${lists.length} terms${allowed === null ? "" : ", scoped"}`,
      postings,
      packedReads: this.postings.readsFromPacked(),
    };
    return top.sorted();
  }
}

/** The best `limit` hits seen: a min-heap on score (ties: the higher chunk id counts as worse), in parallel arrays. */
class TopHits {
  private readonly ids: number[] = [];
  private readonly scores: number[] = [];

  constructor(private readonly limit: number) {}

  /** Whether entry i ranks below entry j. */
  private worse(i: number, j: number): boolean {
    return this.scores[i] < this.scores[j] || (this.scores[i] === this.scores[j] && this.ids[i] > this.ids[j]);
  }

  private swap(i: number, j: number): void {
    [this.ids[i], this.ids[j]] = [this.ids[j], this.ids[i]];
    [this.scores[i], this.scores[j]] = [this.scores[j], this.scores[i]];
  }

  offer(chunkId: number, score: number): void {
    const { ids, scores } = this;
    if (ids.length < this.limit) {
      ids.push(chunkId);
      scores.push(score);
      for (let i = ids.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!this.worse(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    // Not better than the worst kept: most chunks stop here.
    if (score < scores[0] || (score === scores[0] && chunkId > ids[0])) return;
    ids[0] = chunkId;
    scores[0] = score;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < ids.length && this.worse(l, least)) least = l;
      if (r < ids.length && this.worse(r, least)) least = r;
      if (least === i) break;
      this.swap(i, least);
      i = least;
    }
  }

  /** Best first. */
  sorted(): LexicalHit[] {
    return this.ids.map((chunkId, i) => ({ chunkId, score: this.scores[i] })).sort((a, b) => b.score - a.score || a.chunkId - b.chunkId);
  }
}
