import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../../src/retrieval/hybrid.js";
import { mergeOverlapping, overlapLength } from "../../src/retrieval/merge.js";

const docText =
  "第一段：石桥村在河的北岸，村口有一座石桥。第二段：桥头立着一块碑，碑上刻着修桥人的名字。第三段：每年夏天，孩子们在桥下游泳。第四段：后来河道改了，桥便只剩下半截。";

/** A chunk of `docText` (or of another document) as retrieve() would return it. */
function chunk(id: number, index: number, start: number, end: number, extra: Partial<RetrievedChunk> = {}): RetrievedChunk {
  return {
    chunkId: id,
    chunkIds: [id],
    documentId: 1,
    source: "village.txt",
    kb: "default",
    paths: ["village.txt"],
    index,
    indexEnd: index,
    page: null,
    pageEnd: null,
    location: null,
    charStart: start,
    charEnd: end,
    section: null,
    text: docText.slice(start, end),
    score: 0.01,
    tokenCount: end - start,
    ...extra,
  };
}

describe("overlapLength", () => {
  it("finds the longest end of one text that starts the other, ignoring chance matches below the minimum", () => {
    expect(overlapLength("abcdef", "defgh")).toBe(3);
    expect(overlapLength("abcabc", "abcabcx")).toBe(6);
    expect(overlapLength("abc", "xyz")).toBe(0);
    expect(overlapLength("石桥。", "。碑", 2)).toBe(0);
    expect(overlapLength("", "abc")).toBe(0);
  });
});

describe("mergeOverlapping", () => {
  it("joins overlapping chunks of a document once, at the place of the best one, with spanning offsets", () => {
    const a = chunk(11, 0, 0, 30, { lexicalRank: 4, denseRank: 2, score: 0.02 });
    const b = chunk(12, 1, 20, 55, { lexicalRank: 1, score: 0.03 });
    const other: RetrievedChunk = { ...chunk(99, 0, 0, 10), documentId: 2, source: "other.txt", paths: ["other.txt"], text: "别的文件", score: 0.025 };
    const input = [b, other, a];
    const snapshot = structuredClone(input);
    const merged = mergeOverlapping(input);
    expect(input).toEqual(snapshot); // pure
    expect(merged).toHaveLength(2);
    expect(merged[1]).toBe(other);
    const m = merged[0];
    expect(m.text).toBe(docText.slice(0, 55));
    expect(m.chunkId).toBe(11);
    expect(m.chunkIds).toEqual([11, 12]);
    expect([m.index, m.indexEnd, m.charStart, m.charEnd]).toEqual([0, 1, 0, 55]);
    expect(m.score).toBe(0.03);
    expect([m.lexicalRank, m.denseRank]).toEqual([1, 2]);
    // The 10 shared characters' tokens are counted once.
    expect(m.tokenCount).toBe(55);
  });

  it("merges a run of three, and keeps a distant chunk of the same document apart", () => {
    const merged = mergeOverlapping([chunk(3, 2, 45, 70), chunk(1, 0, 0, 30), chunk(9, 5, 75, docText.length), chunk(2, 1, 25, 50)]);
    expect(merged.map((m) => m.chunkIds)).toEqual([[1, 2, 3], [9]]);
    expect(merged[0].text).toBe(docText.slice(0, 70));
    expect(merged[1].text).toBe(docText.slice(75));
  });

  it("joins neighbouring chunks without overlap directly when contiguous and on a new line across a gap", () => {
    expect(mergeOverlapping([chunk(1, 0, 0, 21), chunk(2, 1, 21, 40)])[0].text).toBe(docText.slice(0, 40));
    const gap = mergeOverlapping([chunk(2, 1, 24, 40), chunk(1, 0, 0, 21)]);
    expect(gap).toHaveLength(1);
    expect(gap[0].text).toBe(`${docText.slice(0, 21)}\n${docText.slice(24, 40)}`);
  });

  it("finds the overlap in the texts when offsets cannot tell (a page break), and takes min page and max pageEnd", () => {
    // Page 1 holds docText[0, 40), page 2 the rest; offsets are per page, so they cannot be compared across pages.
    const a = chunk(1, 0, 10, 50, { page: 1, pageEnd: 2, charStart: 10, charEnd: 10 });
    const b = chunk(2, 1, 38, 70, { page: 1, pageEnd: 2, charStart: 38, charEnd: 30 });
    const [m] = mergeOverlapping([a, b]);
    expect(m.text).toBe(docText.slice(10, 70));
    expect([m.page, m.pageEnd, m.charStart, m.charEnd]).toEqual([1, 2, 10, 30]);
    const c = chunk(3, 2, 65, 90, { page: 2, pageEnd: 3, charStart: 25, charEnd: 5 });
    const [n] = mergeOverlapping([c, a, b]);
    expect(n.text).toBe(docText.slice(10, 90));
    expect([n.page, n.pageEnd, n.charStart, n.charEnd, n.chunkIds]).toEqual([1, 3, 10, 5, [1, 2, 3]]);
  });

  it("absorbs a chunk whose text the other already holds, and never merges different documents", () => {
    const [m] = mergeOverlapping([chunk(1, 0, 0, 40), { ...chunk(2, 0, 5, 20), index: 7, indexEnd: 7 }]);
    expect(m.text).toBe(docText.slice(0, 40));
    expect(m.chunkIds).toEqual([1, 2]);
    const apart = mergeOverlapping([chunk(1, 0, 0, 30), { ...chunk(2, 1, 20, 50), documentId: 5 }]);
    expect(apart.map((r) => r.chunkIds)).toEqual([[1], [2]]);
    expect(mergeOverlapping([])).toEqual([]);
  });
});
