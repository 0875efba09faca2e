// Follow-up detection and the condensed retrieval query: referring or short questions take the previous query along,
// standalone ones do not, and a long chain of follow-ups stays bounded.
import { describe, expect, it } from "vitest";
import { condenseQuery, isFollowUp } from "../../src/qa/condense.js";

describe("isFollowUp", () => {
  it("takes questions that point back or are very short as follow-ups", () => {
    for (const q of ["它有多长？", "那座桥是谁修的？", "这座桥为什么叫这个名字？", "他后来去了哪里？", "她是谁？", "谁设计的？", "长度呢？", "桥面宽多少呢？"])
      expect(isFollowUp(q), q).toBe(true);
    for (const q of ["What about the roof?", "And the basil?", "it was built when?", "How long is it?", "When did they open the library?", "How long?", "“它呢”"])
      expect(isFollowUp(q), q).toBe(true);
  });

  it("leaves standalone questions alone", () => {
    for (const q of ["望月桥是哪一年建成的？", "阳台上的迷迭香冬天怎么过冬？", "How should rosemary be kept in winter?", "Why do herbs rot in wet compost?", "When was the Northvale seed library founded?"])
      expect(isFollowUp(q), q).toBe(false);
    expect(isFollowUp("   ")).toBe(false);
  });

  it("honours the short-question threshold", () => {
    expect(isFollowUp("望月桥有多长？")).toBe(false);
    expect(isFollowUp("望月桥有多长？", 6)).toBe(true);
  });
});

describe("condenseQuery", () => {
  it("returns the question alone at the start of a conversation or when it stands on its own", () => {
    expect(condenseQuery({ question: " 它有多长？ " })).toBe("它有多长？");
    expect(condenseQuery({ question: "How should rosemary be kept in winter?", previous: "望月桥是哪一年建成的？" })).toBe("How should rosemary be kept in winter?");
  });

  it("puts the previous query before a follow-up, one per line", () => {
    expect(condenseQuery({ question: "它有多长？", previous: "望月桥是哪一年建成的？" })).toBe("望月桥是哪一年建成的？\n它有多长？");
    expect(condenseQuery({ question: "What about basil?", previous: "How should rosemary be kept in winter?" })).toBe(
      "How should rosemary be kept in winter?\nWhat about basil?",
    );
  });

  it("chains follow-ups and drops the oldest questions past maxChars, never the new one", () => {
    let query = "望月桥是哪一年建成的？";
    for (const q of ["它有多长？", "谁设计的？", "那栏板呢？"]) query = condenseQuery({ question: q, previous: query });
    expect(query).toBe("望月桥是哪一年建成的？\n它有多长？\n谁设计的？\n那栏板呢？");
    expect(condenseQuery({ question: "桥面呢？", previous: query, maxChars: 12 })).toBe("那栏板呢？\n桥面呢？");
    const long = "x".repeat(50);
    expect(condenseQuery({ question: `it ${long}`, previous: "first question", maxChars: 10 })).toBe(`it ${long}`);
  });
});
