// Retrieval quality from the rank of each question's first gold result: recall@1/5/10 and MRR (the same definitions
// as src/retrieval/evaluate.ts, so both pipelines are scored alike).

export interface RankMetrics {
  questions: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  /** Mean of 1/rank of the first gold result, 0 when none within 10. */
  mrr: number;
}

/** `ranks`: 1-based rank of the first gold result per question, null when it was not within the results. */
export function metricsFromRanks(ranks: ReadonlyArray<number | null>): RankMetrics {
  const n = Math.max(1, ranks.length);
  const within = (cut: number) => ranks.filter((r) => r !== null && r <= cut).length / n;
  return {
    questions: ranks.length,
    recallAt1: within(1),
    recallAt5: within(5),
    recallAt10: within(10),
    mrr: ranks.reduce<number>((sum, r) => sum + (r === null ? 0 : 1 / r), 0) / n,
  };
}
