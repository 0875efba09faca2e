// Tests of src/ingest/loaders/csv.ts: CSV and TSV files written at test time in UTF-8, GBK (as Chinese Excel saves
// them) and UTF-16, with quoted fields holding commas, quotes and line breaks; rows named by their headers, one
// section named after the file, row numbers as a spreadsheet shows them; empty and binary files refused.
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { DocumentLoadError, loadDocument } from "../../../src/ingest/loaders/index.js";

const table = '商品,产地,价格\n"龙井茶","浙江,杭州",128\n\n"普洱茶","云南 ""西双版纳""\n勐海",96\n';

async function loadFailure(name: string, bytes: Buffer): Promise<DocumentLoadError> {
  const error = await loadDocument(name, bytes).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentLoadError);
  return error as DocumentLoadError;
}

describe("csv", () => {
  it("writes each record as 列名: 值 pairs, with quoted commas, quotes and line breaks intact", async () => {
    const doc = await loadDocument("/data/茶叶价格.csv", Buffer.from(table, "utf8"));
    expect(doc.kind).toBe("csv");
    expect(doc.encoding).toBe("UTF-8");
    expect(doc.text).toBe('商品: 龙井茶；产地: 浙江,杭州；价格: 128\n商品: 普洱茶；产地: 云南 "西双版纳" 勐海；价格: 96');
    expect(doc.sections).toEqual([{ offset: 0, title: "茶叶价格" }]);
    // Row 3 is the blank line: a spreadsheet opening the file shows the second tea on row 4.
    expect(doc.locations).toEqual([
      { offset: 0, kind: "sheet", index: 2, name: "茶叶价格" },
      { offset: doc.text.indexOf("商品: 普洱茶"), kind: "sheet", index: 4, name: "茶叶价格" },
    ]);
  });

  it("decodes GBK from Chinese Excel and UTF-16 with a BOM, like the text loader", async () => {
    const gbk = await loadDocument("gbk.csv", iconv.encode(table, "gbk"));
    expect(gbk.encoding).toBe("GB18030");
    expect(gbk.text).toContain("产地: 浙江,杭州");
    const utf16 = await loadDocument("u16.csv", Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(table, "utf16le")]));
    expect(utf16.encoding).toBe("UTF-16LE");
    expect(utf16.text).toBe(gbk.text);
  });

  it("names columns by letter when the first record is data, and tolerates ragged rows", async () => {
    const doc = await loadDocument("nums.csv", Buffer.from("2021,2022\n15,18,备注\n", "utf8"));
    expect(doc.text).toBe("A: 2021；B: 2022\nA: 15；B: 18；C: 备注");
  });

  it("refuses empty, blank, binary and unclosed-quote files with their reasons", async () => {
    expect((await loadFailure("e.csv", Buffer.alloc(0))).failure).toBe("empty");
    expect((await loadFailure("blank.csv", Buffer.from(",,\n,,\n"))).failure).toBe("empty");
    expect((await loadFailure("bin.csv", Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7) % 256)))).failure).toBe("binary");
    const error = await loadFailure("bad.csv", Buffer.from('名称,说明\n甲,"没有结束的引号\n乙,丙\n'));
    expect(error.failure).toBe("corrupt");
    expect(error.message).toMatch(/not valid CSV/);
  });
});

describe("tsv", () => {
  it("splits on tabs and keeps quotes as written", async () => {
    const doc = await loadDocument("/x/城市.tsv", Buffer.from('城市\t别称\n成都\t"蓉城"\n', "utf8"));
    expect(doc.kind).toBe("tsv");
    expect(doc.text).toBe('城市: 成都；别称: "蓉城"');
    expect(doc.sections).toEqual([{ offset: 0, title: "城市" }]);
  });
});
