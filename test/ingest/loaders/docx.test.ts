// Word documents (.docx through mammoth, .odt through its content.xml), generated in the test: headings as sections,
// table rows as lines, footnotes at the end, and chunks citing their section.
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../../src/ingest/chunk.js";
import { footnotesTitle } from "../../../src/ingest/loaders/docx.js";
import { loadDocument } from "../../../src/ingest/loaders/index.js";
import type { LoadedDocument } from "../../../src/ingest/types.js";
import { EstimatingTokenizer } from "../../../src/models/tokenizer.js";
import { makeDocx, makeOdt, type WordSpec } from "./formatFixtures.js";

const spec: WordSpec = {
  sections: [
    {
      heading: "第一章 望月桥",
      paragraphs: ["望月桥建于一八八八年，是县里最古老的石拱桥。", "桥身长三十二米，用本地的青石砌成。"],
      table: [
        ["名称", "建成年份", "长度"],
        ["望月桥", "1888", "32 米"],
        ["听雨桥", "1921", "18 米"],
      ],
    },
    { heading: "第二章 修缮", paragraphs: ["二零零二年，县里出资重修了桥面和栏杆。", "The 2002 repairs replaced the railings."] },
  ],
  footnote: "资料来自一九三五年的县志。",
};

const sectionOf = (doc: LoadedDocument, needle: string) => {
  const at = doc.text.indexOf(needle);
  expect(at, needle).toBeGreaterThanOrEqual(0);
  return doc.sections.filter((s) => s.offset <= at).at(-1)?.title;
};

describe.each([
  ["report.docx", "docx", () => makeDocx(spec)],
  ["report.odt", "odt", async () => makeOdt(spec)],
] as const)("%s", (name, kind, make) => {
  it("keeps paragraphs, headings as sections, table rows as lines and the footnote under its own section", async () => {
    const doc = await loadDocument(name, await make());
    expect(doc.kind).toBe(kind);
    expect(doc.sections.map((s) => s.title)).toEqual(["第一章 望月桥", "第二章 修缮", footnotesTitle]);
    for (const s of doc.sections) expect(doc.text.startsWith(s.title, s.offset)).toBe(true);
    expect(doc.text).toContain("望月桥建于一八八八年，是县里最古老的石拱桥。");
    expect(doc.text).toContain("The 2002 repairs replaced the railings.");
    // Each row reads as one line, cells in order.
    expect(doc.text).toContain("名称 | 建成年份 | 长度\n望月桥 | 1888 | 32 米\n听雨桥 | 1921 | 18 米");
    expect(sectionOf(doc, "听雨桥 | 1921")).toBe("第一章 望月桥");
    expect(sectionOf(doc, "重修了桥面")).toBe("第二章 修缮");
    expect(sectionOf(doc, "资料来自一九三五年的县志。")).toBe(footnotesTitle);
    // Word has no reliable page numbers: the location is the section.
    expect(doc.pageStarts).toEqual([]);
  });

  it("cuts chunks that cite their section", async () => {
    const doc = await loadDocument(name, await make());
    const chunks = chunkDocument(doc, { tokenizer: new EstimatingTokenizer(), chunkSize: 40, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.location).toEqual({ kind: "section", section: c.section, label: `§ ${c.section}` });
      expect(c.page).toBeNull();
    }
    const repair = chunks.find((c) => c.text.includes("重修了桥面"));
    expect(repair?.location?.label).toBe("§ 第二章 修缮");
  });
});

describe("Word failures", () => {
  it("names a ZIP that is not a Word document, and an empty one", async () => {
    const notWord = await makeOdt(spec); // a ZIP, but with content.xml instead of word/document.xml
    await expect(loadDocument("fake.docx", notWord)).rejects.toThrow("corrupt or truncated file: not a Word document (no word/document.xml)");
    await expect(loadDocument("empty.docx", Buffer.alloc(0))).rejects.toThrow("empty file");
    await expect(loadDocument("blank.docx", await makeDocx({ sections: [] }))).rejects.toThrow("empty file: no text in the document");
  });
});
