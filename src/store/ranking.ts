// Search parameters every store implementation shares, so that two stores over the same corpus rank alike: which
// query terms a lexical search keeps, and the HNSW search breadth for a graph of a given size.

/**
 * Terms in more than this share of chunks are left out of lexical queries (see DocumentStore.lexicalSearch): their
 * BM25 IDF is at most ln 3 ≈ 1.1 against ~7–9 for the words that tell chunks apart. On CMRC 2018, 0.25 kept recall
 * and MRR (0.975) where 0.5 did, and 0.15 began to lose them.
 */
export const commonTermShare = 0.25;

/**
 * Below this many chunks every query term is kept: small stores are fast anyway, and there a word in a third of the
 * chunks can still be what tells them apart.
 */
export const keepEveryTermBelow = 2000;

/**
 * The query terms a lexical search runs with, from each term's chunk count and the store's chunk count: terms in no
 * chunk go; in a store of keepEveryTermBelow chunks or more, so do terms in over commonTermShare of them, except
 * that a query made only of such terms keeps its rarest one (the first of equals). Order is kept.
 */
export function keptQueryTerms(counted: ReadonlyArray<{ term: string; doc: number }>, totalChunks: number): string[] {
  const present = counted.filter((t) => t.doc > 0);
  if (present.length === 0) return [];
  let kept = totalChunks < keepEveryTermBelow ? present : present.filter((t) => t.doc <= totalChunks * commonTermShare);
  if (kept.length === 0) kept = [present.reduce((a, b) => (b.doc < a.doc ? b : a))];
  return kept.map((t) => t.term);
}

/**
 * Search breadth for a graph of `live` vectors: 64 up to 128k, then growing with the graph (500 at 1M, at most 1024).
 * Measured on clustered 384-dim data (bench/search-scale.ts): recall@10 at ef 64 was 0.96–1.0 at 10k and 100k but
 * 0.78 at 1M, where ef 256 gave 0.949 at a p99 of 2.8 ms.
 */
export function defaultEfSearch(live: number): number {
  return Math.min(1024, Math.max(64, Math.ceil(live / 2000)));
}
