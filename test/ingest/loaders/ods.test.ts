// Tests of src/ingest/loaders/ods.ts on OpenDocument spreadsheets assembled at test time (and one written by
// LibreOffice itself): header-named rows, one section per table, row numbers through repeated rows, paragraphs and
// spaces as shown, comments left out, formulas never evaluated, and bad archives refused.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DocumentLoadError, loadDocument } from "../../../src/ingest/loaders/index.js";
import { tempDir } from "../../helpers.js";
import { encryptedOfficeFile, libreOfficeConvert, makeOds, makeXlsx } from "./sheetFixtures.js";

const cell = (text: string, attrs = 'office:value-type="string"') => `<table:table-cell ${attrs}><text:p>${text}</text:p></table:table-cell>`;
const row = (cells: string, attrs = "") => `<table:table-row ${attrs}>${cells}</table:table-row>`;

async function loadFailure(name: string, bytes: Buffer): Promise<DocumentLoadError> {
  const error = await loadDocument(name, bytes).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentLoadError);
  return error as DocumentLoadError;
}

describe("ods rows", () => {
  it("names each row's cells by the header, numbers rows through repeats, and makes each table a section", async () => {
    const bytes = await makeOds(
      '<table:table table:name="成绩单">' +
        '<table:table-column table:number-columns-repeated="3"/>' +
        row(cell("姓名") + cell("语文") + cell("评语")) +
        row('<table:table-cell table:number-columns-repeated="3"/>', 'table:number-rows-repeated="2"') +
        row(
          cell("王小明") +
            cell("92", 'office:value-type="float" office:value="92"') +
            '<table:table-cell office:value-type="string"><office:annotation><text:p>老师的批注</text:p></office:annotation><text:p>字迹<text:s text:c="2"/>工整</text:p><text:p>进步明显</text:p></table:table-cell>',
        ) +
        row('<table:table-cell table:number-columns-repeated="1024"/>', 'table:number-rows-repeated="1048570"') +
        "</table:table>" +
        '<table:table table:name="空表"><table:table-row><table:table-cell/></table:table-row></table:table>' +
        '<table:table table:name="汇总">' +
        row(cell("科目") + cell("平均分")) +
        row(cell("语文") + '<table:table-cell office:value-type="float" office:value="88.5"/>') +
        "</table:table>",
    );
    const doc = await loadDocument("成绩.ods", bytes);
    expect(doc.kind).toBe("ods");
    expect(doc.text).toBe("姓名: 王小明；语文: 92；评语: 字迹 工整 进步明显\n\n科目: 语文；平均分: 88.5");
    expect(doc.sections).toEqual([
      { offset: 0, title: "成绩单" },
      { offset: doc.text.indexOf("科目"), title: "汇总" },
    ]);
    expect(doc.locations).toEqual([
      { offset: 0, kind: "sheet", index: 4, name: "成绩单" },
      { offset: doc.text.indexOf("科目"), kind: "sheet", index: 2, name: "汇总" },
    ]);
  });

  it("shows a formula's cached result, or its formula text when nothing was cached, and never computes it", async () => {
    const bytes = await makeOds(
      '<table:table table:name="计算">' +
        row(cell("甲") + cell("乙") + cell("和") + cell("积")) +
        row(
          cell("2", 'office:value-type="float" office:value="2"') +
            cell("3", 'office:value-type="float" office:value="3"') +
            '<table:table-cell table:formula="of:=[.A2]+[.B2]" office:value-type="float" office:value="77"><text:p>77</text:p></table:table-cell>' +
            '<table:table-cell table:formula="of:=[.A2]*[.B2]"/>',
        ) +
        "</table:table>",
    );
    const doc = await loadDocument("计算.ods", bytes);
    expect(doc.text).toBe("甲: 2；乙: 3；和: 77；积: =[.A2]*[.B2]");
  });

  it("reads a spreadsheet LibreOffice wrote", async () => {
    const dir = tempDir();
    const xlsx = path.join(dir, "通讯录.xlsx");
    fs.writeFileSync(xlsx, await makeXlsx({ 通讯录: [["姓名", "部门", "分机"], ["陈静", "财务部", 8021], ["刘洋", "技术部", 8042]] }));
    const ods = libreOfficeConvert(xlsx, "ods", dir, path.join(dir, "profile"));
    const doc = await loadDocument(ods);
    expect(doc.text).toBe("姓名: 陈静；部门: 财务部；分机: 8021\n姓名: 刘洋；部门: 技术部；分机: 8042");
    expect(doc.sections).toEqual([{ offset: 0, title: "通讯录" }]);
    expect(doc.locations!.map((m) => m.index)).toEqual([2, 3]);
  }, 180_000);
});

describe("bad ods files", () => {
  it("refuses truncated, encrypted, content-less and cell-less files with their reasons", async () => {
    const good = await makeOds(`<table:table table:name="表">${row(cell("名称"))}${row(cell("值"))}</table:table>`);
    expect((await loadFailure("cut.ods", good.subarray(0, good.length - 40))).failure).toBe("corrupt");
    expect((await loadFailure("locked.ods", encryptedOfficeFile())).failure).toBe("encrypted");
    expect((await loadFailure("other.ods", await makeXlsx({ 表: [["名称"], ["值"]] }))).message).toMatch(/without content\.xml/);
    expect((await loadFailure("blank.ods", await makeOds('<table:table table:name="空"/>'))).failure).toBe("empty");
  });
});
