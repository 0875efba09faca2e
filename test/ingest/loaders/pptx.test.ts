// Slide decks (.pptx made by pptxgenjs, .odp as its content.xml): one location per slide, titles as names, speaker
// notes with their slide, tables as rows, and chunks citing "slide N" or "slides N–M".
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../../src/ingest/chunk.js";
import { loadDocument } from "../../../src/ingest/loaders/index.js";
import { notesLabel } from "../../../src/ingest/loaders/pptx.js";
import type { LoadedDocument } from "../../../src/ingest/types.js";
import { EstimatingTokenizer } from "../../../src/models/tokenizer.js";
import { makeOdp, makePptx, type SlideSpec } from "./formatFixtures.js";

const slides: SlideSpec[] = [
  { title: "年度报告", lines: ["二零二三年茶园收成概览"], notes: "开场时先感谢各位茶农。" },
  { title: "价格表", lines: ["今年的收购价格如下"], table: [["品种", "价格"], ["龙井", "每斤八百元"], ["碧螺春", "每斤六百元"]] },
  { lines: ["这一页没有标题，只有一句话：雨水比去年多两成。"] },
  { title: "Next steps", lines: ["Plant two hundred new tea bushes on the east slope."], notes: "Mention the irrigation budget." },
];

/** The slide whose mark covers the first occurrence of `needle`. */
function slideOf(doc: LoadedDocument, needle: string): number | undefined {
  const at = doc.text.indexOf(needle);
  expect(at, needle).toBeGreaterThanOrEqual(0);
  return doc.locations?.filter((m) => m.offset <= at).at(-1)?.index;
}

describe.each([
  ["deck.pptx", "pptx", () => makePptx(slides)],
  ["deck.odp", "odp", async () => makeOdp(slides)],
] as const)("%s", (name, kind, make) => {
  it("marks each slide with its number and title, and keeps speaker notes with their slide", async () => {
    const doc = await loadDocument(name, await make());
    expect(doc.kind).toBe(kind);
    expect(doc.locations?.map((m) => [m.kind, m.index, m.name])).toEqual([
      ["slide", 1, "年度报告"],
      ["slide", 2, "价格表"],
      ["slide", 3, undefined],
      ["slide", 4, "Next steps"],
    ]);
    expect(slideOf(doc, "二零二三年茶园收成概览")).toBe(1);
    expect(slideOf(doc, `${notesLabel}开场时先感谢各位茶农。`)).toBe(1);
    expect(slideOf(doc, "雨水比去年多两成")).toBe(3);
    expect(slideOf(doc, "Plant two hundred new tea bushes")).toBe(4);
    expect(slideOf(doc, "Mention the irrigation budget.")).toBe(4);
    expect(doc.text.indexOf("Mention the irrigation")).toBeGreaterThan(doc.text.indexOf("Plant two hundred"));
  });

  it("cuts chunks that never span two slides, each citing its slide", async () => {
    const doc = await loadDocument(name, await make());
    for (const size of [16, 400]) {
      const chunks = chunkDocument(doc, { tokenizer: new EstimatingTokenizer(), chunkSize: size, chunkOverlap: 0 });
      const rain = chunks.find((c) => c.text.includes("雨水比去年多两成"));
      expect(rain?.location).toEqual({ kind: "slide", slide: 3, slideEnd: 3, label: "slide 3" });
      for (const c of chunks) expect(c.location?.slide).toBe(c.location?.slideEnd);
    }
    const whole = chunkDocument(doc, { tokenizer: new EstimatingTokenizer(), chunkSize: 400, chunkOverlap: 0 });
    expect(whole.map((c) => c.location?.label)).toEqual(["slide 1", "slide 2", "slide 3", "slide 4"]);
  });
});

describe("pptx tables", () => {
  it("reads a slide's table one row per line", async () => {
    const doc = await loadDocument("deck.pptx", await makePptx(slides));
    expect(doc.text).toContain("品种 | 价格\n龙井 | 每斤八百元\n碧螺春 | 每斤六百元");
    expect(slideOf(doc, "碧螺春 | 每斤六百元")).toBe(2);
  });
});
