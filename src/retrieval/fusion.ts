// Weighted reciprocal rank fusion: several ranked lists of chunk ids become one, each list contributing
// weight / (rrfK + rank) for every id it holds. Ranks, not raw scores, are fused: BM25 and cosine are not comparable.

/** How much each retriever counts in the fused ranking. A weight of 0 switches that retriever off. */
export interface FusionWeights {
  dense: number;
  lexical: number;
}

/** The RRF constant of Cormack et al. (2009): damps the head of each list so one retriever cannot dominate. */
export const defaultRrfK = 60;

export interface RankedList {
  weight: number;
  /** Ids best first; rank 1 is ids[0]. Duplicates after the first occurrence are ignored. */
  ids: readonly number[];
}

export interface FusedEntry {
  id: number;
  score: number;
  /** 1-based rank in each input list that held the id, in the order of the lists (undefined: absent). */
  ranks: Array<number | undefined>;
}

/**
 * Fuses ranked lists: score(id) = Σ weight / (rrfK + rank). Sorted by score, ties broken by the best rank in the
 * earlier list, then by id, so the order is deterministic.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], rrfK: number = defaultRrfK): FusedEntry[] {
  const entries = new Map<number, FusedEntry>();
  lists.forEach((list, listIndex) => {
    if (list.weight <= 0) return;
    let rank = 0;
    const seen = new Set<number>();
    for (const id of list.ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      rank += 1;
      let entry = entries.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: lists.map(() => undefined) };
        entries.set(id, entry);
      }
      entry.score += list.weight / (rrfK + rank);
      entry.ranks[listIndex] = rank;
    }
  });
  const tieBreak = (e: FusedEntry) => e.ranks.map((r) => r ?? Number.POSITIVE_INFINITY);
  return [...entries.values()].sort((a, b) => {
    if (b.score !== a.score) return b.score - a.score;
    const ra = tieBreak(a);
    const rb = tieBreak(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a.id - b.id;
  });
}
