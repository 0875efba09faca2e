// Tests of src/ingest/loaders/xlsx.ts (with sheetRows.ts and sheetArchive.ts) on workbooks written at test time:
// rows named by their column headers, one section per sheet, one location mark per row numbered as Excel numbers it,
// formulas never evaluated, and every bad archive (truncated, encrypted, bombs, entity tricks) refused with its reason.
// The last block ingests workbooks, CSV and ODS files into a real store and finds a row by searching.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ingestFolder } from "../../../src/ingest/pipeline.js";
import { DocumentLoadError, loadDocument } from "../../../src/ingest/loaders/index.js";
import { maxInflatedBytes } from "../../../src/ingest/loaders/sheetArchive.js";
import { lexicalQuery } from "../../../src/store/segment.js";
import { openStore } from "../../../src/store/open.js";
import { tempDir, testSettings } from "../../helpers.js";
import { encryptedOfficeFile, makeOds, makeXlsx, rawZip, repeatedEntry, textEntry, withEntries, writeLargeXlsx } from "./sheetFixtures.js";

async function loadFailure(name: string, bytes: Buffer): Promise<DocumentLoadError> {
  const error = await loadDocument(name, bytes).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentLoadError);
  return error as DocumentLoadError;
}

/** The line of `text` that location mark `i` starts. */
function lineAt(text: string, offset: number): string {
  const end = text.indexOf("\n", offset);
  return text.slice(offset, end < 0 ? undefined : end);
}

describe("rows with their headers", () => {
  it("writes each row as 列名: 值 pairs, one section per sheet, one mark per row with Excel's row number", async () => {
    const bytes = await makeXlsx(
      {
        价格表: [
          ["2024年水果价格表"],
          ["名称", "单价（元）", "上架日期", "备注"],
          ["苹果", 3.5, new Date(Date.UTC(2024, 0, 5)), "山东烟台"],
          [],
          ["香蕉", 0.1 + 0.2, null, "进口\n海南转运"],
        ],
        库存: [
          ["仓库", "数量"],
          ["北仓", 120],
        ],
      },
      (wb) => {
        wb.getWorksheet("价格表")!.getColumn(3).numFmt = "yyyy-mm-dd";
      },
    );
    const doc = await loadDocument("水果.xlsx", bytes);
    expect(doc.kind).toBe("xlsx");
    expect(doc.text.split("\n")).toEqual([
      "2024年水果价格表",
      "名称: 苹果；单价（元）: 3.5；上架日期: 2024-01-05；备注: 山东烟台",
      "名称: 香蕉；单价（元）: 0.3；备注: 进口 海南转运",
      "",
      "仓库: 北仓；数量: 120",
    ]);
    expect(doc.sections).toEqual([
      { offset: 0, title: "价格表" },
      { offset: doc.text.indexOf("仓库: 北仓"), title: "库存" },
    ]);
    expect(doc.locations!.map((m) => [m.kind, m.name, m.index, lineAt(doc.text, m.offset).slice(0, 8)])).toEqual([
      ["sheet", "价格表", 1, "2024年水果价"],
      ["sheet", "价格表", 3, "名称: 苹果；单"],
      ["sheet", "价格表", 5, "名称: 香蕉；单"],
      ["sheet", "库存", 2, "仓库: 北仓；数"],
    ]);
  });

  it("names columns by letter when the first row is data, and keeps that row", async () => {
    const doc = await loadDocument("数.xlsx", await makeXlsx({ 数据: [[2019, 2020, "合计"], [7, 9, 16]] }));
    expect(doc.text).toBe("A: 2019；B: 2020；C: 合计\nA: 7；B: 9；C: 16");
    expect(doc.locations!.map((m) => m.index)).toEqual([1, 2]);
  });

  it("treats a first row of long passages as content, not headers", async () => {
    const passage = "这是一段很长的说明文字，".repeat(8);
    const doc = await loadDocument("长.xlsx", await makeXlsx({ 说明: [[passage, "甲"], ["第二行", "乙"]] }));
    expect(doc.text.split("\n")[0]).toBe(`A: ${passage}；B: 甲`);
  });

  it("reads shared strings, inline rich text, booleans, percentages and error values as Excel shows them", async () => {
    const bytes = await makeXlsx(
      {
        表一: [
          ["项目", "完成", "比例", "说明", "检查"],
          ["甲", true, 0.25, { richText: [{ text: "加粗" }, { text: "的说明" }] }, { error: "#DIV/0!" }],
        ],
      },
      (wb) => {
        wb.getWorksheet("表一")!.getCell("C2").numFmt = "0%";
      },
    );
    const doc = await loadDocument("t.xlsx", bytes);
    expect(doc.text).toBe("项目: 甲；完成: TRUE；比例: 25%；说明: 加粗的说明；检查: #DIV/0!");
  });
});

describe("formulas are never evaluated", () => {
  it("shows the cached result, or the formula text when nothing was cached", async () => {
    const bytes = await makeXlsx({
      账目: [
        ["收入", "支出", "结余", "核对"],
        [100, 40, { formula: "A2-B2", result: 77 }, { formula: "SUM(A2:B2)", date1904: false } as never],
        [5, 1, { formula: 'WEBSERVICE("http://127.0.0.1:9/steal")', result: "已缓存" }, { formula: "CALL(\"kernel32\",\"WinExec\",\"JC\",\"calc\",0)" } as never],
      ],
    });
    const doc = await loadDocument("账目.xlsx", bytes);
    const lines = doc.text.split("\n");
    // 77 is what the file cached (deliberately not 100 - 40): the loader shows it instead of computing 60.
    expect(lines[0]).toBe("收入: 100；支出: 40；结余: 77；核对: =SUM(A2:B2)");
    expect(lines[1]).toBe('收入: 5；支出: 1；结余: 已缓存；核对: =CALL("kernel32","WinExec","JC","calc",0)');
    expect(doc.text).not.toMatch(/\b60\b|\b140\b/);
  });
});

describe("a 100k-row sheet", () => {
  it("streams every row with its mark and number", async () => {
    const file = path.join(tempDir(), "明细.xlsx");
    const rows = 100_000;
    await writeLargeXlsx(file, rows, (i) => [`订单${i}`, i * 3, `客户${i % 977}`], ["订单号", "金额", "客户"]);
    const doc = await loadDocument(file);
    expect(doc.locations).toHaveLength(rows);
    expect(doc.locations![0]).toEqual({ offset: 0, kind: "sheet", index: 2, name: "明细" });
    const last = doc.locations![rows - 1];
    expect(last.index).toBe(rows + 1);
    expect(doc.text.slice(last.offset)).toBe(`订单号: 订单${rows - 1}；金额: ${(rows - 1) * 3}；客户: 客户${(rows - 1) % 977}`);
  }, 120_000);
});

describe("stopping", () => {
  it("stops reading rows when the load is aborted, with the abort as the reason", async () => {
    const bytes = await makeXlsx({ 表: [["名称"], ...Array.from({ length: 50 }, (_, i) => [`第${i}行`])] });
    const error = await loadDocument("stop.xlsx", bytes, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("AbortError");
    expect(error).not.toBeInstanceOf(DocumentLoadError);
  });
});

describe("bad workbooks", () => {
  it("refuses a truncated workbook as corrupt", async () => {
    const bytes = await makeXlsx({ 表: [["名称"], ["值"]] });
    const error = await loadFailure("cut.xlsx", bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(error.failure).toBe("corrupt");
    expect(error.message).toMatch(/^corrupt or truncated file/);
    expect(error.filePath).toBe("cut.xlsx");
  });

  it("refuses a password-protected workbook (an OLE file with an EncryptedPackage) as encrypted", async () => {
    const error = await loadFailure("密码.xlsx", encryptedOfficeFile());
    expect(error.failure).toBe("encrypted");
    expect(error.message).toBe("encrypted (password protected): a password-protected .xlsx file");
  });

  it("refuses junk and an archive that is not a workbook as corrupt, and a workbook without cells as empty", async () => {
    expect((await loadFailure("junk.xlsx", Buffer.from("名称,价格\n苹果,3\n"))).failure).toBe("corrupt");
    expect((await loadFailure("plain.xlsx", rawZip([textEntry("readme.txt", "你好")]))).message).toMatch(/without \[Content_Types\]\.xml/);
    expect((await loadFailure("blank.xlsx", await makeXlsx({ 空表: [] }))).failure).toBe("empty");
  });

  it("refuses a zip bomb by its declared size before inflating it", async () => {
    const big = maxInflatedBytes + 2 ** 20;
    const bomb = rawZip([textEntry("[Content_Types].xml", "<Types/>"), repeatedEntry("xl/workbook.xml", big)]);
    expect(bomb.length).toBeLessThan(2 * 2 ** 20);
    const before = process.memoryUsage().rss;
    const error = await loadFailure("bomb.xlsx", bomb);
    expect(error.failure).toBe("too-large");
    expect(error.message).toMatch(/inflates to more than 512 MiB/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  }, 60_000);

  it("stops an entry that inflates past the size it declares", async () => {
    const liar = rawZip([textEntry("[Content_Types].xml", "<Types/>"), repeatedEntry("xl/workbook.xml", 64 * 2 ** 20, 0x20, 1000)]);
    const error = await loadFailure("liar.xlsx", liar);
    expect(error.failure).toBe("too-large");
    expect(error.message).toMatch(/xl\/workbook\.xml inflates beyond its declared size/);
  });

  it("never expands entities: billion laughs and external entities fail as corrupt without their expansion", async () => {
    const secret = path.join(tempDir(), "secret.txt");
    fs.writeFileSync(secret, "不该出现的秘密");
    const base = await makeXlsx({ 表: [["名称"], ["占位"]] });
    const laughs = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`)].join("");
    const bomb = await withEntries(base, {
      "xl/sharedStrings.xml": `<?xml version="1.0"?><!DOCTYPE sst [${laughs}]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si><si><t>占位</t></si></sst>`,
    });
    const started = performance.now();
    const laughError = await loadFailure("laughs.xlsx", bomb);
    expect(laughError.failure).toBe("corrupt");
    expect(laughError.message).toMatch(/xl\/sharedStrings\.xml: .*undefined entity/i);
    expect(performance.now() - started).toBeLessThan(5_000);

    const xxe = await withEntries(base, {
      "xl/sharedStrings.xml": `<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file://${secret}">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si><si><t>占位</t></si></sst>`,
    });
    const xxeError = await loadFailure("xxe.xlsx", xxe);
    expect(xxeError.failure).toBe("corrupt");
    expect(xxeError.message).not.toContain("不该出现的秘密");
  });
});

describe("ingest and search", () => {
  it("ingests .xlsx, .csv and .ods files and finds a row by its words, with the sheet as its section", async () => {
    const root = tempDir();
    const inbox = path.join(root, "inbox");
    fs.mkdirSync(inbox);
    fs.writeFileSync(
      path.join(inbox, "设备台账.xlsx"),
      await makeXlsx({
        台账: [
          ["设备名称", "存放地点", "负责人"],
          ["离心机", "三号楼二层东侧实验室", "周明远"],
          ["显微镜", "一号楼地下储藏室", "林晓"],
        ],
      }),
    );
    fs.writeFileSync(path.join(inbox, "值班表.csv"), "日期,值班人,电话\n2024-03-01,郑海波,13800000001\n2024-03-02,韩雪,13800000002\n");
    fs.writeFileSync(
      path.join(inbox, "图书.ods"),
      await makeOds(
        '<table:table table:name="馆藏"><table:table-row><table:table-cell office:value-type="string"><text:p>书名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>架位</text:p></table:table-cell></table:table-row>' +
          '<table:table-row><table:table-cell office:value-type="string"><text:p>天工开物</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>子部第七架</text:p></table:table-cell></table:table-row></table:table>',
      ),
    );
    const storeDir = path.join(root, "store");
    const summary = await ingestFolder({ settings: testSettings({ store: storeDir, inbox }) });
    expect(summary.failed).toEqual([]);
    expect(summary.added).toBe(3);
    const store = await openStore(storeDir, { vectors: false });
    try {
      const find = async (query: string) => (await store.chunksByIds((await store.lexicalSearch(lexicalQuery(query), 3, { kbs: ["default"] })).map((h) => h.chunkId), { kbs: ["default"] }));
      const [machine] = await find("离心机放在哪个实验室？");
      expect(machine.paths).toEqual(["设备台账.xlsx"]);
      expect(machine.section).toBe("台账");
      expect(machine.text).toContain("设备名称: 离心机；存放地点: 三号楼二层东侧实验室；负责人: 周明远");
      const [duty] = await find("韩雪哪天值班");
      expect(duty.paths).toEqual(["值班表.csv"]);
      expect(duty.section).toBe("值班表");
      expect(duty.text).toContain("日期: 2024-03-02；值班人: 韩雪；电话: 13800000002");
      const [book] = await find("天工开物在哪个架位");
      expect(book.paths).toEqual(["图书.ods"]);
      expect(book.text).toContain("书名: 天工开物；架位: 子部第七架");
    } finally {
      await store.close();
    }
  }, 120_000);
});
