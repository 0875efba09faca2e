// Legacy .doc and .ppt files and RTF through LibreOffice (CI installs it: see .ci/run), made here from generated .docx
// and .pptx files and a hand-written RTF with GBK and Unicode escapes; without LibreOffice they fail with how to install it.
import iconv from "iconv-lite";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDocument } from "../../../src/ingest/loaders/index.js";
import { libreOfficeAvailable, libreOfficeInstallHint } from "../../../src/ingest/loaders/libreoffice.js";
import { convertForTest, makeDocx, makePptx } from "./formatFixtures.js";

/** "望月" as RTF escapes: \'xx bytes of code page 936, or \uN with a "?" fallback that must not show. */
const gbkEscapes = (text: string) => [...iconv.encode(text, "gbk")].map((b) => `\\'${b.toString(16)}`).join("");
const unicodeEscapes = (text: string) => [...text].map((ch) => `\\u${ch.codePointAt(0)}?`).join("");

const rtf = [
  "{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}",
  `\\pard\\f0\\fs24 ${gbkEscapes("望月桥建于一八八八年。")}\\par`,
  `\\pard\\uc1 ${unicodeEscapes("听雨桥在城西。")} The Rain Bridge is in the west.\\par`,
  "}",
].join("\n");

describe("legacy formats through LibreOffice", () => {
  let doc: Buffer;
  let ppt: Buffer;

  beforeAll(async () => {
    expect(libreOfficeAvailable(), "LibreOffice (soffice) must be installed for these tests; .ci/run installs it").toBe(true);
    doc = convertForTest(await makeDocx({ sections: [{ heading: "第一章 旧档案", paragraphs: ["一九八零年的旧档案记载了磨坊的修建。"] }] }), "docx", "doc");
    ppt = convertForTest(await makePptx([{ title: "旧幻灯片", lines: ["灯塔每晚亮灯十二小时。"], notes: "讲者备注：提到灯塔管理员。" }]), "pptx", "ppt");
  }, 300_000);

  it("reads a Word 97–2003 .doc with its headings as sections", async () => {
    const loaded = await loadDocument("old.doc", doc);
    expect(loaded.kind).toBe("doc");
    expect(loaded.text).toContain("一九八零年的旧档案记载了磨坊的修建。");
    expect(loaded.sections.map((s) => s.title)).toEqual(["第一章 旧档案"]);
  }, 120_000);

  it("reads a PowerPoint 97–2003 .ppt slide by slide with its notes", async () => {
    const loaded = await loadDocument("old.ppt", ppt);
    expect(loaded.kind).toBe("ppt");
    expect(loaded.text).toContain("灯塔每晚亮灯十二小时。");
    expect(loaded.text).toContain("讲者备注：提到灯塔管理员。");
    // (LibreOffice's round trip keeps the title's text but not pptxgenjs's custom title placeholder.)
    expect(loaded.text).toContain("旧幻灯片");
    expect(loaded.locations?.map((m) => [m.kind, m.index])).toEqual([["slide", 1]]);
  }, 120_000);

  it("reads RTF with GBK bytes and Unicode escapes, fallback characters dropped", async () => {
    const loaded = await loadDocument("note.rtf", Buffer.from(rtf, "latin1"));
    expect(loaded.kind).toBe("rtf");
    expect(loaded.text).toContain("望月桥建于一八八八年。");
    expect(loaded.text).toContain("听雨桥在城西。 The Rain Bridge is in the west.");
    expect(loaded.text).not.toContain("?");
  }, 120_000);

  it("fails a damaged file with LibreOffice's reason, and a file of the wrong kind before converting", async () => {
    const damaged = Buffer.concat([doc.subarray(0, 512), Buffer.alloc(4096, 0x41)]);
    await expect(loadDocument("damaged.doc", damaged)).rejects.toThrow(/^(LibreOffice could not convert the file|empty file)/);
    await expect(loadDocument("plain.doc", Buffer.from("just text, not a Word file"))).rejects.toThrow("corrupt or truncated file: not a Word 97–2003 document");
    await expect(loadDocument("plain.rtf", Buffer.from("not rtf"))).rejects.toThrow("corrupt or truncated file: not an RTF document");
  }, 120_000);

  it("without LibreOffice, fails with how to install it", async () => {
    const missing = "/nonexistent/soffice";
    expect(libreOfficeAvailable(missing)).toBe(false);
    for (const [name, bytes] of [["old.doc", doc], ["old.ppt", ppt], ["note.rtf", Buffer.from(rtf, "latin1")]] as const) {
      await expect(loadDocument(name, bytes, { soffice: missing })).rejects.toThrow(`needs LibreOffice to convert this format: ${libreOfficeInstallHint}`);
    }
    expect(libreOfficeInstallHint).toContain("apt-get install libreoffice-writer-nogui libreoffice-impress-nogui");
  });
});
