// Randomised corpora and queries for the lexical search's property tests (lexical.test.ts, packedPostings.test.ts):
// Zipf-distributed words, Chinese and English, with words unicode61 cuts or folds mixed in, and the ranking check
// that compares a search with FTS5's exact one.
import fc from "fast-check";
import { expect } from "vitest";
import type { LexicalHit, NewDocument } from "../../../src/store/contract.js";

export const plainWords = [
  "桥梁", "长江", "大桥", "结构", "城市", "历史", "河流", "建成", "通车", "南京", "工程", "设计", "年代", "人口", "文化",
  "river", "bridge", "city", "steel", "tower", "2019", "k2", "一", "的", "在",
];
/** Words FTS5 cuts into several tokens or folds: the pruned search must count them as it does, or fall back. */
export const oddWords = ["café", "u.s.", "ｘｙ", "naïve", "c++", "e\u0301t\u00e9"];

/** A document of one chunk per word list, its lexical terms given directly (the index holds exactly these). */
export function document(sha: string, chunks: string[][]): NewDocument {
  return {
    sha256: sha,
    kind: "text",
    bytes: 1,
    pages: null,
    encoding: "UTF-8",
    text: chunks.map((w) => w.join(" ")).join("\n"),
    pageStarts: [],
    chunks: chunks.map((words, index) => ({
      index,
      text: words.join(" "),
      page: null,
      pageEnd: null,
      charStart: 0,
      charEnd: 1,
      section: null,
      tokenCount: words.length,
      terms: words.join(" "),
      vector: null,
    })),
  };
}

/** Words drawn by rank with weight 1/(rank+1), so a few are in many chunks and most in few. */
export function zipfWord(vocabulary: readonly string[]) {
  const weights = vocabulary.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  // Unbiased: fast-check's default bias towards the ends of a range would make nearly every word the first.
  return fc.noBias(fc.integer({ min: 0, max: 1_000_000 - 1 })).map((n) => {
    let x = (n / 1_000_000) * total;
    for (let i = 0; i < vocabulary.length; i++) {
      x -= weights[i];
      if (x < 0) return vocabulary[i];
    }
    return vocabulary[vocabulary.length - 1];
  });
}

/** Hits equal up to ties: the same scores in order, and the same chunks wherever a score is not shared. */
export function expectSameRanking(got: LexicalHit[], exact: LexicalHit[]): void {
  expect(got.map((h) => h.score.toFixed(9))).toEqual(exact.map((h) => h.score.toFixed(9)));
  const tied = (hits: LexicalHit[], i: number) => hits.some((h, j) => j !== i && Math.abs(h.score - hits[i].score) < 1e-9);
  got.forEach((h, i) => {
    if (!tied(exact, i)) expect(h.chunkId).toBe(exact[i].chunkId);
  });
  expect(new Set(got.filter((_, i) => !tied(exact, i)).map((h) => h.chunkId))).toEqual(
    new Set(exact.filter((_, i) => !tied(exact, i)).map((h) => h.chunkId)),
  );
}

/** A long tail of rarer words (two Han characters, or letters and digits) after the hand-picked ones. */
const tail = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? `w${i}x` : String.fromCharCode(0x4e00 + 97 * i, 0x5000 + 31 * i)));
export const corpus = fc.array(fc.array(zipfWord([...plainWords, ...oddWords, ...tail]), { minLength: 1, maxLength: 40 }), { minLength: 150, maxLength: 400 });
/** Like a question: a few frequent words and a few rarer ones, in any order. */
export const query = fc
  .tuple(fc.uniqueArray(fc.constantFrom(...plainWords), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.constantFrom(...oddWords, ...tail), { minLength: 0, maxLength: 3 }))
  .chain(([head, rest]) => fc.shuffledSubarray([...head, ...rest], { minLength: head.length + rest.length }));
