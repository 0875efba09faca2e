import { describe, expect, it } from "vitest";
import { probeText, provenDenseWeight, relativeThresholds, unprovenDenseWeight, weightForRelative } from "../../src/retrieval/calibrate.js";

describe("dense weight calibration", () => {
  it("maps the dense/lexical MRR ratio to a weight: fill-in below the bar, full RRF at parity, linear between", () => {
    expect(weightForRelative(null)).toBe(unprovenDenseWeight);
    expect(weightForRelative(0)).toBe(unprovenDenseWeight);
    expect(weightForRelative(relativeThresholds.unproven)).toBe(unprovenDenseWeight);
    expect(weightForRelative(relativeThresholds.proven)).toBe(provenDenseWeight);
    const mid = (relativeThresholds.unproven + relativeThresholds.proven) / 2;
    expect(weightForRelative(mid)).toBeCloseTo((unprovenDenseWeight + provenDenseWeight) / 2, 12);
    // A fill-in weight never outweighs one BM25 rank step at the top: w/61 < 1/61 − 1/62.
    expect(unprovenDenseWeight / 61).toBeLessThan(1 / 61 - 1 / 62);
  });

  it("cuts verbatim probes of the asked length, whitespace folded, from start to end as the seed grows", () => {
    const text = "一二三四五六七八九十\n\n甲乙丙丁";
    expect(probeText(text, 4, 0)).toBe("一二三四");
    expect(probeText(text, 4, 0.999)).toBe("甲乙丙丁");
    expect(probeText(text, 30, 0.5)).toBe("一二三四五六七八九十 甲乙丙丁");
    expect(probeText("𠀀𠀁𠀂𠀃", 2, 0.5)).toBe("𠀁𠀂"); // whole characters, never half a surrogate pair
  });
});
