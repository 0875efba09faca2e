// The embedded store's lexical search: BM25 over the chunks' jieba terms, exactly as SQLite's FTS5 ranks them, leaving
// out terms nearly every chunk has (ranking.ts). Long posting lists are what made it slow at scale (p99 328 ms at 1M
// chunks): FTS5 scores every chunk any query term is in, and bm25() reads each term's whole list again to count it.
// So the search prunes, MaxScore-style: the rare terms go to FTS5, whose bm25 gives each chunk their exact share; the
// common terms' share is added here (bm25.ts) to just the chunks that can still reach the top, and only when a bound
// proves no other chunk can is that answer returned; otherwise the search is FTS5's own over every term.
import type { LexicalHit } from "../contract.js";
import { keptQueryTerms } from "../ranking.js";
import { matchExpression } from "../segment.js";
import { bm25Idf, bm25Term, countTerms, docsizeTokens, isPlainTerm, maxTermFactor, readFtsTotals } from "./bm25.js";
import type { StoreDatabase } from "./database.js";

/** Terms in at least this many chunks have their counts cached (counting fewer costs microseconds). */
const commonTermCacheFloor = 1000;

/**
 * A term is scored here rather than by FTS5 when it is in at least this many chunks and this share of them: below
 * that its posting list costs FTS5 little, and each term moved here loosens the bound (its IDF × 2.2) that decides
 * whether the pruned answer is provably the exact one.
 */
export const pruneFloor = { chunks: 2000, share: 0.004 };

/** Tries at pruning, each with one common term fewer, before FTS5 searches every term. */
const pruneAttempts = 3;

/** Candidates rescored per SQLite read. */
const rescoreBatch = 32;

/** Slack on score comparisons, far above the summation-order differences between FTS5's sums and ours. */
const epsilon = 1e-9;

interface Stats {
  version: string;
  /** FTS5's row count and token total: what its bm25 divides by. */
  rows: number;
  averageTokens: number;
  termCounts: Map<string, number>;
}

/** How a search ran, for benchmarks and tests: pruned (answer proven exact) or FTS5 over every term, and why. */
export interface LexicalPlan {
  path: "pruned" | "exact" | "empty";
  reason: string;
  /** Chunks whose common-term share was computed (pruned path). */
  rescored: number;
}

export class SqliteLexical {
  private statsAt: Stats | null = null;
  /** The plan of the latest search. */
  lastPlan: LexicalPlan | null = null;

  /** `prune`: where common terms begin (pruneFloor unless given; tests lower it to prune in small stores). */
  constructor(
    private readonly db: StoreDatabase,
    private readonly prune: { chunks: number; share: number } = pruneFloor,
  ) {}

  /**
   * What the search knows of the store's content: FTS5's totals and the counts of common terms, dropped together
   * whenever the content may have changed: data_version moves on another connection's commit, total_changes() on this
   * connection's own writes (which leave data_version alone).
   */
  private stats(): Stats {
    const version = `${this.db.pragma("data_version", { simple: true })}:${this.db.prepare("SELECT total_changes()").pluck().get()}`;
    if (this.statsAt?.version !== version) {
      // FTS5's own row count (one row per chunk) read in O(1), where count(*) over chunks walks a million-row index.
      const { rows, tokens } = readFtsTotals(this.db, "chunks_fts");
      this.statsAt = { version, rows, averageTokens: rows > 0 ? tokens / rows : 0, termCounts: new Map() };
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
      let doc = cached.get(term);
      if (doc === undefined) {
        doc = (lookup.get(term) as number | undefined) ?? 0;
        if (doc >= commonTermCacheFloor) cached.set(term, doc);
      }
      counts.set(term, doc);
    }
    return counts;
  }

  /** The query terms a search runs with (ranking.ts's rule), with their chunk counts. */
  private keptTerms(terms: readonly string[], stats: Stats): Array<{ term: string; doc: number }> {
    const counts = this.documentCounts(terms, stats.termCounts);
    const kept = keptQueryTerms(terms.map((term) => ({ term, doc: counts.get(term) ?? 0 })), stats.rows);
    return kept.map((term) => ({ term, doc: counts.get(term)! }));
  }

  /** BM25 over the ORed terms, best first, as a positive score (higher is better); see the file's comment. */
  search(terms: readonly string[], limit: number): LexicalHit[] {
    this.lastPlan = { path: "empty", reason: "no query term is in any chunk", rescored: 0 };
    if (terms.length === 0 || limit <= 0) return [];
    const stats = this.stats();
    const kept = this.keptTerms(terms, stats);
    if (kept.length === 0) return [];
    const floor = Math.max(this.prune.chunks, stats.rows * this.prune.share);
    // Most common first; the rarest of them is handed back to FTS5 after each try that cannot prove its answer.
    const common = kept.filter((t) => t.doc >= floor && isPlainTerm(t.term)).sort((a, b) => b.doc - a.doc);
    if (common.length === kept.length) common.pop();
    let reason = "no common term to prune";
    for (let attempt = 0; attempt < pruneAttempts && common.length > 0; attempt++) {
      const outcome = this.pruned(kept.filter((t) => !common.includes(t)), common, limit, stats);
      if (typeof outcome !== "string") return outcome;
      reason = outcome;
      if (outcome.startsWith("chunk ")) break;
      common.pop();
    }
    return this.exactKept(kept, limit, reason);
  }

  /**
   * FTS5's BM25 for every term, no pruning: the reference the pruned search must equal (tests and benchmarks compare
   * the two), and its fallback.
   */
  exactSearch(terms: readonly string[], limit: number): LexicalHit[] {
    this.lastPlan = { path: "empty", reason: "no query term is in any chunk", rescored: 0 };
    if (terms.length === 0 || limit <= 0) return [];
    const kept = this.keptTerms(terms, this.stats());
    return kept.length === 0 ? [] : this.exactKept(kept, limit, "exact search asked for");
  }

  private exactKept(kept: ReadonlyArray<{ term: string }>, limit: number, reason: string): LexicalHit[] {
    this.lastPlan = { path: "exact", reason, rescored: 0 };
    const rows = this.db
      .prepare("SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?")
      .raw()
      .all(matchExpression(kept.map((t) => t.term)), limit) as Array<[number, number]>;
    return rows.map(([chunkId, rank]) => ({ chunkId, score: -rank }));
  }

  /**
   * The rare terms' exact share from FTS5, best first; every chunk whose share plus the most the common terms could
   * add (`bound`) still reaches the limit-th best share is rescored with the common terms' exact share. Chunks not
   * rescored cannot beat the limit-th rescored score; chunks with no rare term score under `bound`, so the answer is
   * exact when the limit-th score is above it. Otherwise (and when a row's tokens are not cut as FTS5 cut them) it
   * says why it could not prove its answer.
   */
  private pruned(
    rare: ReadonlyArray<{ term: string }>,
    common: ReadonlyArray<{ term: string; doc: number }>,
    limit: number,
    stats: Stats,
  ): LexicalHit[] | string {
    const idf = common.map((t) => bm25Idf(stats.rows, t.doc));
    const bound = idf.reduce((sum, x) => sum + x * maxTermFactor, 0);
    const candidates: Array<{ chunkId: number; share: number }> = [];
    let kth = Infinity;
    const ranked = this.db
      .prepare("SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank")
      .raw()
      .iterate(matchExpression(rare.map((t) => t.term))) as IterableIterator<[number, number]>;
    for (const [chunkId, rank] of ranked) {
      const share = -rank;
      if (candidates.length >= limit && share + bound < kth - epsilon) break;
      candidates.push({ chunkId, share });
      if (candidates.length === limit) kth = share;
    }
    if (candidates.length < limit) return `rare terms match only ${candidates.length} chunks`;

    // Each distinct common term has a slot of tf; a term given twice counts twice, as FTS5 counts each phrase.
    const wanted = new Map<string, number>();
    for (const t of common) if (!wanted.has(t.term)) wanted.set(t.term, wanted.size);
    const slot = common.map((t) => wanted.get(t.term)!);
    const tf = new Float64Array(wanted.size);
    const read = this.db
      .prepare("SELECT c.id, c.c0, d.sz FROM json_each(?) j JOIN chunks_fts_content c ON c.id = j.value JOIN chunks_fts_docsize d ON d.id = j.value")
      .raw();

    // Candidates in order of their rare share, a batch at a time: each batch raises the limit-th full score (`floorScore`),
    // and a candidate whose share plus `bound` cannot reach it ends the search, as no later one can either.
    let top: LexicalHit[] = [];
    let floorScore = -Infinity;
    let rescored = 0;
    for (let at = 0; at < candidates.length; ) {
      let end = Math.min(candidates.length, at + rescoreBatch);
      while (end > at && top.length >= limit && candidates[end - 1].share + bound < floorScore - epsilon) end -= 1;
      if (end === at) break;
      const batch = candidates.slice(at, end);
      at = end;
      const rows = read.all(JSON.stringify(batch.map((c) => c.chunkId))) as Array<[number, string, Buffer]>;
      if (rows.length !== batch.length) return "chunk records missing from FTS5";
      const share = new Map(batch.map((c) => [c.chunkId, c.share]));
      for (const [chunkId, text, sz] of rows) {
        const tokens = docsizeTokens(sz);
        if (countTerms(text, tokens, wanted, tf) !== tokens) return `chunk ${chunkId}'s tokens are not cut as FTS5 cut them`;
        let score = share.get(chunkId)!;
        for (let i = 0; i < common.length; i++) if (tf[slot[i]] > 0) score += bm25Term(idf[i], tf[slot[i]], tokens, stats.averageTokens);
        top.push({ chunkId, score });
      }
      rescored += rows.length;
      top.sort((a, b) => b.score - a.score || a.chunkId - b.chunkId);
      top = top.slice(0, limit);
      if (top.length >= limit) floorScore = top[limit - 1].score;
    }
    if (floorScore <= bound + epsilon) return "a chunk with only common terms could reach the top";
    this.lastPlan = { path: "pruned", reason: `${common.length} common of ${common.length + rare.length} terms`, rescored };
    return top;
  }
}
