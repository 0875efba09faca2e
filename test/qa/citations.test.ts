// Citation checking: only the numbers of the sources we gave the model survive in an answer, the rest are removed and
// reported; the streaming filter never shows a mark it later removes; document text cannot carry a citation mark.
import { describe, expect, it } from "vitest";
import { citationStreamFilter } from "../../src/qa/answer.js";
import { checkCitations } from "../../src/qa/citations.js";
import { neutraliseCitationMarks } from "../../src/qa/pack.js";

describe("checkCitations", () => {
  it("keeps [n] for the sources 1..n and marks them cited in order of first use", () => {
    const check = checkCitations("桥建于1923年[2]，全长百米[1]。再次提到[2]。", 3);
    expect(check.text).toBe("桥建于1923年[2]，全长百米[1]。再次提到[2]。");
    expect(check.cited).toEqual([2, 1]);
    expect(check.removed).toEqual([]);
  });

  it("removes unknown numbers ([0], [99], 【7】, [2, 99] → [2]) and reports them", () => {
    const check = checkCitations("First [0] claim. Second [99] claim. 第三【7】。 Fourth [2, 99] claim [3].", 3);
    expect(check.text).toBe("First claim. Second claim. 第三。 Fourth [2] claim [3].");
    expect(check.removed).toEqual([0, 99, 7, 99]);
    expect(check.cited).toEqual([2, 3]);
    expect(check.text).not.toMatch(/99|\[0\]|7/);
  });

  it("reads full-width brackets and lists and writes every kept mark as [n]", () => {
    const check = checkCitations("甲［1］，乙【2】，丙[1，3]，丁[3、4]。", 3);
    expect(check.text).toBe("甲[1]，乙[2]，丙[1][3]，丁[3]。");
    expect(check.cited).toEqual([1, 2, 3]);
    expect(check.removed).toEqual([4]);
  });

  it("removes every mark when there are no sources, and leaves other brackets alone", () => {
    expect(checkCitations("Nothing [1] here.", 0)).toEqual({ text: "Nothing here.", cited: [], removed: [1] });
    const plain = "An array a[i], a note [see above], 12345 in [12345] and 〔3〕.";
    expect(checkCitations(plain, 5)).toEqual({ text: plain, cited: [], removed: [] });
  });
});

/** Pushes `pieces` through a filter for `sources` sources and returns what it emitted, piece by piece. */
function stream(pieces: readonly string[], sources: number): string[] {
  const out: string[] = [];
  const filter = citationStreamFilter(sources, (t) => out.push(t));
  for (const p of pieces) filter.push(p);
  filter.end();
  return out;
}

describe("citationStreamFilter", () => {
  it("holds back a mark split across pieces until it closes, then removes it if unknown", () => {
    const out = stream(["The bridge opened in 1923 [9", "9]. It is long [1", "]."], 2);
    expect(out.join("")).toBe("The bridge opened in 1923. It is long [1].");
    expect(out.join("")).toBe(checkCitations("The bridge opened in 1923 [99]. It is long [1].", 2).text);
    // Nothing of "[9" was shown before the mark was known to be unknown.
    for (const piece of out) expect(piece).not.toMatch(/[\[【［]\s*9/);
  });

  it("never shows a removed mark, however the answer is cut into pieces", () => {
    const answers = [
      "望月桥建于1923年[1]，见[99]和【7】以及[2, 99]。",
      "Cited [1][2], forged [0] and [12] and [1, 3].",
      "结尾未闭合的括号 [3",
      "The bridge opened in 1923 [99]. It is long [1] , wide  [7] and old [2]\t[0] !",
    ];
    for (const answer of answers) {
      const expected = checkCitations(answer, 2).text;
      const cuts: string[][] = [[...answer]];
      for (let i = 1; i < answer.length; i++) cuts.push([answer.slice(0, i), answer.slice(i)]);
      for (let i = 1; i + 3 < answer.length; i++) cuts.push([answer.slice(0, i), answer.slice(i, i + 3), answer.slice(i + 3)]);
      for (const pieces of cuts) {
        const out = stream(pieces, 2);
        const shown = out.join("");
        expect(shown, JSON.stringify(pieces)).toBe(expected);
        // Every prefix a reader has seen is a prefix of the checked answer.
        let seen = "";
        for (const piece of out) {
          seen += piece;
          expect(expected.startsWith(seen), JSON.stringify(pieces)).toBe(true);
        }
      }
    }
  });

  it("lets a long bracket that is no citation through without holding the stream", () => {
    const out = stream(["Values [1, 2, 3, 4, 5, 6, 7, 8, 9, 10", " and more"], 20);
    expect(out[0].length).toBeGreaterThan(0);
    expect(out.join("")).toBe("Values [1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and more");
  });
});

describe("neutraliseCitationMarks", () => {
  it("rewrites every mark checkCitations would read as a citation", () => {
    expect(neutraliseCitationMarks("见[7]与【8】及［9］，另见[ 10 ]。")).toBe("见〔7〕与〔8〕及〔9〕，另见〔10〕。");
    expect(neutraliseCitationMarks("lists [2, 99] and [1，3、5]")).toBe("lists 〔2, 99〕 and 〔1，3、5〕");
    expect(neutraliseCitationMarks("[1] other.pdf p.3")).toBe("〔1〕 other.pdf p.3");
    const forged = "cite [99], 【7】, [2, 99] and [1]";
    expect(checkCitations(neutraliseCitationMarks(forged), 5)).toEqual({ text: neutraliseCitationMarks(forged), cited: [], removed: [] });
  });

  it("leaves other brackets and text alone", () => {
    const plain = "a[i] + b[j], [note], [12345], 〔3〕, (4) and 2024年";
    expect(neutraliseCitationMarks(plain)).toBe(plain);
  });
});
