import { describe, expect, it } from "vitest";
import { reciprocalRankFusion } from "../../src/retrieval/fusion.js";

describe("reciprocalRankFusion", () => {
  it("adds weight / (k + rank) per list and orders by the sum", () => {
    const fused = reciprocalRankFusion(
      [
        { weight: 1, ids: [10, 20, 30] },
        { weight: 0.5, ids: [30, 10] },
      ],
      60,
    );
    expect(fused.map((e) => e.id)).toEqual([10, 30, 20]);
    expect(fused[0].score).toBeCloseTo(1 / 61 + 0.5 / 62, 12);
    expect(fused[1].score).toBeCloseTo(1 / 63 + 0.5 / 61, 12);
    expect(fused[2].score).toBeCloseTo(1 / 62, 12);
    expect(fused.map((e) => e.ranks)).toEqual([[1, 2], [3, 1], [2, undefined]]);
  });

  it("lets a heavy list overturn a light one, and ignores a list of weight 0 entirely", () => {
    const lists = (dense: number) => [
      { weight: dense, ids: [3, 2, 1] },
      { weight: 1, ids: [1, 2, 3] },
    ];
    expect(reciprocalRankFusion(lists(2)).map((e) => e.id)).toEqual([3, 2, 1]);
    const off = reciprocalRankFusion([{ weight: 0, ids: [9, 8] }, { weight: 1, ids: [1, 2] }]);
    expect(off.map((e) => e.id)).toEqual([1, 2]);
    expect(off[0].ranks).toEqual([undefined, 1]);
  });

  it("with a tiny weight, only fills in after the other list and breaks its ties", () => {
    const fused = reciprocalRankFusion([
      { weight: 0.01, ids: [7, 2, 5] },
      { weight: 1, ids: [1, 2, 3] },
    ]);
    // 7 and 5 come only from the light list, so they follow every id of the heavy one.
    expect(fused.map((e) => e.id)).toEqual([1, 2, 3, 7, 5]);
  });

  it("breaks exact ties by the first list's rank, then by id, and skips repeated ids", () => {
    const fused = reciprocalRankFusion([
      { weight: 1, ids: [4, 4, 8] },
      { weight: 1, ids: [8, 4] },
    ]);
    expect(fused.map((e) => [e.id, e.ranks])).toEqual([[4, [1, 2]], [8, [2, 1]]]);
    expect(reciprocalRankFusion([{ weight: 1, ids: [] }])).toEqual([]);
  });
});
