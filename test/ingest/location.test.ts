// Location labels and ranges: from marks (slides, sheet rows, chapters), pages and sections, and two neighbouring
// results joined into one.
import { describe, expect, it } from "vitest";
import { chunkLocation } from "../../src/ingest/location.js";
import { locationLabel, mergeLocations, pageLocation, sectionLocation } from "../../src/store/location.js";
import type { LocationMark } from "../../src/ingest/types.js";

const rows: LocationMark[] = [
  { offset: 0, kind: "sheet", index: 2, name: "价格表" },
  { offset: 10, kind: "sheet", index: 3, name: "价格表" },
  { offset: 20, kind: "sheet", index: 12, name: "价格表" },
  { offset: 30, kind: "sheet", index: 2, name: "库存" },
];

describe("locations", () => {
  it("labels every kind as a reader expects", () => {
    expect(pageLocation(3).label).toBe("p. 3");
    expect(pageLocation(3, 4).label).toBe("pp. 3–4");
    expect(locationLabel({ kind: "slide", slide: 4 })).toBe("slide 4");
    expect(locationLabel({ kind: "slide", slide: 4, slideEnd: 5 })).toBe("slides 4–5");
    expect(locationLabel({ kind: "sheet", sheet: "价格表", rowStart: 12, rowEnd: 18 })).toBe("sheet 价格表, rows 12–18");
    expect(locationLabel({ kind: "sheet", sheet: "价格表", rowStart: 12, rowEnd: 12 })).toBe("sheet 价格表, row 12");
    expect(locationLabel({ kind: "chapter", chapter: 2, title: "标题" })).toBe("chapter 2: 标题");
    expect(sectionLocation("安装").label).toBe("§ 安装");
  });

  it("spans the marks under a chunk's first and last characters when they are one sheet, else keeps the first", () => {
    expect(chunkLocation(rows, 12, 25, null, null, null)).toEqual({ kind: "sheet", sheet: "价格表", rowStart: 3, rowEnd: 12, label: "sheet 价格表, rows 3–12" });
    expect(chunkLocation(rows, 25, 35, null, null, null)).toEqual({ kind: "sheet", sheet: "价格表", rowStart: 12, rowEnd: 12, label: "sheet 价格表, row 12" });
    expect(chunkLocation(undefined, 0, 5, 2, 3, "第一节")?.label).toBe("pp. 2–3");
    expect(chunkLocation([], 0, 5, null, null, "第一节")?.label).toBe("§ 第一节");
    expect(chunkLocation(undefined, 0, 5, null, null, null)).toBeNull();
  });

  it("joins neighbouring results into ranges of one kind", () => {
    const slide = (n: number) => ({ kind: "slide" as const, slide: n, slideEnd: n, label: `slide ${n}` });
    expect(mergeLocations(slide(2), slide(3))).toEqual({ kind: "slide", slide: 2, slideEnd: 3, label: "slides 2–3" });
    expect(mergeLocations(pageLocation(4), pageLocation(2, 3))).toEqual(pageLocation(2, 4));
    expect(mergeLocations(sectionLocation("甲"), sectionLocation("乙"))).toEqual(sectionLocation("甲"));
    expect(mergeLocations(null, slide(1))).toEqual(slide(1));
  });
});
