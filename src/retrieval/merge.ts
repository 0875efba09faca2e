// Merges retrieved chunks that continue each other (same document, neighbouring chunk index or overlapping text
// ranges) into one result, so a passage split across chunks is shown once and its shared overlap is not repeated.
import { mergeLocations } from "../store/location.js";
import type { RetrievedChunk } from "./retrievedChunk.js";

/** A position in a document: (page, offset within that page); text files have no page. */
type Position = readonly [number, number];

const startOf = (c: RetrievedChunk): Position => [c.page ?? 0, c.charStart];
const endOf = (c: RetrievedChunk): Position => [c.pageEnd ?? c.page ?? 0, c.charEnd];
const before = (a: Position, b: Position) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Two chunks of one document touch: neighbouring indexes, or character ranges that overlap. */
function continues(a: RetrievedChunk, b: RetrievedChunk): boolean {
  if (a.documentId !== b.documentId) return false;
  if (b.index - a.indexEnd <= 1 && a.index - b.indexEnd <= 1) return true;
  return before(startOf(a), endOf(b)) && before(startOf(b), endOf(a));
}

/**
 * Length of the longest suffix of `a` that is a prefix of `b` (KMP failure function over b + separator + a's tail).
 * A suffix shorter than `minimum` counts as none: two chunks may end and begin with the same character by chance.
 */
export function overlapLength(a: string, b: string, minimum = 1): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 0;
  const s = `${b.slice(0, n)}\u0000${a.slice(a.length - n)}`;
  const fail = new Int32Array(s.length);
  for (let i = 1; i < s.length; i++) {
    let j = fail[i - 1];
    while (j > 0 && s[i] !== s[j]) j = fail[j - 1];
    if (s[i] === s[j]) j += 1;
    fail[i] = j;
  }
  const found = fail[s.length - 1];
  return found >= minimum ? found : 0;
}

/** Characters of `b`'s start already in `a`'s end, trusting the recorded offsets when the texts agree. */
function sharedLength(a: RetrievedChunk, b: RetrievedChunk): number {
  const samePage = (a.pageEnd ?? a.page) === b.page;
  if (samePage) {
    const expected = a.charEnd - b.charStart;
    if (expected <= 0) return 0;
    if (expected <= b.text.length && a.text.endsWith(b.text.slice(0, expected))) return expected;
  }
  // Offsets that disagree with the texts (or span a page break): find the overlap in the texts themselves.
  return overlapLength(a.text, b.text, 8);
}

function joinTexts(a: RetrievedChunk, b: RetrievedChunk): string {
  if (a.text.includes(b.text)) return a.text;
  const shared = sharedLength(a, b);
  if (shared > 0) return a.text + b.text.slice(shared);
  // No overlap: contiguous text joins directly, a gap (or an unknown one across pages) becomes a line break.
  const contiguous = (a.pageEnd ?? a.page) === b.page && a.charEnd === b.charStart;
  return contiguous ? a.text + b.text : `${a.text}\n${b.text}`;
}

/** `a` starts no later than `b` and the two continue each other. */
function combine(a: RetrievedChunk, b: RetrievedChunk): RetrievedChunk {
  const text = joinTexts(a, b);
  const last = before(endOf(a), endOf(b)) ? b : a;
  const pages = [a.page, b.page].filter((p): p is number => p !== null);
  const pageEnds = [a.pageEnd, b.pageEnd].filter((p): p is number => p !== null);
  const merged: RetrievedChunk = {
    ...a,
    chunkIds: [...a.chunkIds, ...b.chunkIds.filter((id) => !a.chunkIds.includes(id))],
    index: Math.min(a.index, b.index),
    indexEnd: Math.max(a.indexEnd, b.indexEnd),
    page: pages.length ? Math.min(...pages) : null,
    pageEnd: pageEnds.length ? Math.max(...pageEnds) : null,
    location: mergeLocations(a.location, b.location),
    charEnd: last.charEnd,
    text,
    score: Math.max(a.score, b.score),
    // The overlap's tokens are counted once, estimated in proportion to the characters kept.
    tokenCount: Math.round(((a.tokenCount + b.tokenCount) * text.length) / Math.max(1, a.text.length + b.text.length)),
  };
  setBest(merged, "rerankScore", a.rerankScore, b.rerankScore, Math.max);
  setBest(merged, "denseRank", a.denseRank, b.denseRank, Math.min);
  setBest(merged, "lexicalRank", a.lexicalRank, b.lexicalRank, Math.min);
  return merged;
}

/** Sets an optional field to the better of two values, or leaves it out when neither has one. */
function setBest(
  target: RetrievedChunk,
  key: "rerankScore" | "denseRank" | "lexicalRank",
  x: number | undefined,
  y: number | undefined,
  pick: (x: number, y: number) => number,
): void {
  const value = x === undefined ? y : y === undefined ? x : pick(x, y);
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/**
 * Merges chunks of the same document that neighbour or overlap into one result each: text joined without repeating
 * the shared part, page = min, pageEnd = max, charStart/charEnd spanning, score = max, ranks = best, chunkIds = all.
 * A merged result takes the place of its best-placed member; everything else keeps its order. Pure: inputs are not changed.
 */
export function mergeOverlapping(results: readonly RetrievedChunk[]): RetrievedChunk[] {
  const byDocument = new Map<number, Array<{ chunk: RetrievedChunk; place: number }>>();
  results.forEach((chunk, place) => {
    const list = byDocument.get(chunk.documentId) ?? [];
    list.push({ chunk, place });
    byDocument.set(chunk.documentId, list);
  });
  const out: Array<{ chunk: RetrievedChunk; place: number }> = [];
  for (const list of byDocument.values()) {
    // In text order, each chunk either continues the run so far or starts a new one.
    list.sort((x, y) => (before(startOf(x.chunk), startOf(y.chunk)) ? -1 : before(startOf(y.chunk), startOf(x.chunk)) ? 1 : x.chunk.index - y.chunk.index));
    let run = { ...list[0] };
    for (const next of list.slice(1)) {
      if (continues(run.chunk, next.chunk)) run = { chunk: combine(run.chunk, next.chunk), place: Math.min(run.place, next.place) };
      else {
        out.push(run);
        run = { ...next };
      }
    }
    out.push(run);
  }
  return out.sort((x, y) => x.place - y.place).map((r) => r.chunk);
}
