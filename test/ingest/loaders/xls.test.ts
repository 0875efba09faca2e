// Tests of src/ingest/loaders/xls.ts: a legacy .xls written by LibreOffice at test time is converted back by the
// loader and read as rows with headers; without LibreOffice on PATH the file fails with a reason that says how to
// install it; an .xlsx saved under .xls is read directly.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DocumentLoadError, loadDocument } from "../../../src/ingest/loaders/index.js";
import { libreOfficeInstallHint } from "../../../src/ingest/loaders/libreoffice.js";
import { tempDir } from "../../helpers.js";
import { libreOfficeConvert, makeXlsx } from "./sheetFixtures.js";

describe("xls", () => {
  it("converts a legacy workbook through LibreOffice, keeping cached formula values", async () => {
    const dir = tempDir();
    const xlsx = path.join(dir, "报销.xlsx");
    fs.writeFileSync(xlsx, await makeXlsx({ 报销单: [["事项", "金额", "合计"], ["差旅", 300, { formula: "B2*2", result: 600 }]] }));
    const xls = libreOfficeConvert(xlsx, "xls", dir, path.join(dir, "profile"));
    expect(fs.readFileSync(xls).subarray(0, 4)).toEqual(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]));
    const doc = await loadDocument(xls);
    expect(doc.kind).toBe("xls");
    expect(doc.text).toBe("事项: 差旅；金额: 300；合计: 600");
    expect(doc.sections).toEqual([{ offset: 0, title: "报销单" }]);
    expect(doc.locations).toEqual([{ offset: 0, kind: "sheet", index: 2, name: "报销单" }]);
  }, 240_000);

  it("says how to install LibreOffice when it is missing", async () => {
    const missing = path.join(tempDir(), "no-soffice-here");
    const bytes = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...Buffer.alloc(504)]);
    const error = await loadDocument("旧表.xls", bytes, { soffice: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocumentLoadError);
    expect((error as DocumentLoadError).message).toBe(`needs LibreOffice to convert this format: ${libreOfficeInstallHint}`);
  });

  it("reads an .xlsx saved under .xls without converting it", async () => {
    const doc = await loadDocument("改名.xls", await makeXlsx({ 表: [["名称", "数量"], ["铅笔", 12]] }), { soffice: path.join(tempDir(), "no-soffice-here") });
    expect(doc.text).toBe("名称: 铅笔；数量: 12");
    expect(doc.kind).toBe("xls");
  });
});
