// Tests of src/ingest/loaders/text.ts (and loadDocument's dispatch to it) on real files written to a temp folder:
// encodings decoded back exactly, whitespace normalised, Markdown headings as sections, junk and empty files refused.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocumentLoadError, loadDocument } from "../../../src/ingest/loaders/index.js";
import { loadTextDocument, normaliseText } from "../../../src/ingest/loaders/text.js";

const simplified =
  "城南的石桥建于1896年，桥长42米，是镇上最老的桥。\n" +
  "每到春天，河岸两边开满桃花，居民常在桥上散步、喝茶、聊天。\n\n" +
  "后来镇上修了新的公路（G318），石桥渐渐安静下来，只有早起的渔民还会从这里经过。";
const traditional =
  "城南的石橋建於1896年，橋長42米，是鎮上最老的橋。\n" +
  "每到春天，河岸兩邊開滿桃花，居民常在橋上散步、喝茶、聊天。\n\n" +
  "後來鎮上修了新的公路（G318），石橋漸漸安靜下來，只有早起的漁民還會從這裡經過。";

let dir: string;

async function fixture(name: string, bytes: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function loadFailure(path: string): Promise<DocumentLoadError> {
  const error = await loadDocument(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentLoadError);
  return error as DocumentLoadError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alpaca-rag-text-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("encodings", () => {
  const bom = {
    utf8: Buffer.from([0xef, 0xbb, 0xbf]),
    utf16le: Buffer.from([0xff, 0xfe]),
    utf16be: Buffer.from([0xfe, 0xff]),
  };
  const cases: { name: string; bytes: () => Buffer; text: string; encoding: string }[] = [
    { name: "UTF-8", bytes: () => Buffer.from(simplified, "utf8"), text: simplified, encoding: "UTF-8" },
    {
      name: "UTF-8 with BOM",
      bytes: () => Buffer.concat([bom.utf8, Buffer.from(simplified, "utf8")]),
      text: simplified,
      encoding: "UTF-8",
    },
    {
      name: "UTF-16LE with BOM",
      bytes: () => Buffer.concat([bom.utf16le, iconv.encode(simplified, "utf16le")]),
      text: simplified,
      encoding: "UTF-16LE",
    },
    {
      name: "UTF-16BE with BOM",
      bytes: () => Buffer.concat([bom.utf16be, iconv.encode(simplified, "utf16be")]),
      text: simplified,
      encoding: "UTF-16BE",
    },
    { name: "GB18030", bytes: () => iconv.encode(simplified, "gb18030"), text: simplified, encoding: "GB18030" },
    { name: "Big5", bytes: () => iconv.encode(traditional, "big5"), text: traditional, encoding: "Big5" },
  ];

  for (const c of cases) {
    it(`decodes ${c.name} back to the same characters`, async () => {
      const bytes = c.bytes();
      // The fixture itself must be faithful: no character lost to "?" on encoding.
      expect(iconv.decode(bytes, c.encoding)).toBe(c.text);
      const doc = await loadDocument(await fixture(`bridge-${c.name.replace(/\W+/g, "-")}.txt`, bytes));
      expect(doc.text).toBe(c.text);
      expect(doc.encoding).toBe(c.encoding);
      expect(doc.kind).toBe("text");
      expect(doc.pageStarts).toEqual([]);
      expect(doc.sections).toEqual([]);
    });
  }

  it("recognises UTF-16LE without a BOM from its zero bytes", () => {
    const text =
      "Opening hours: 9:00 to 17:00, every day except Monday.\n" + "开放时间：每天九点到十七点，周一闭馆。";
    const doc = loadTextDocument(iconv.encode(text, "utf16le"), "text");
    expect(doc.encoding).toBe("UTF-16LE");
    expect(doc.text).toBe(text);
  });

  it("reads very short files the way a Chinese user means them when chardet is unsure", () => {
    const cases = [
      { text: "你好，石桥", encoding: "GB18030" },
      { text: "你好，石橋", encoding: "Big5" },
      { text: "Grüße aus München", encoding: "windows-1252" },
    ];
    for (const c of cases) {
      const doc = loadTextDocument(iconv.encode(c.text, c.encoding), "text");
      expect(doc.text, c.encoding).toBe(c.text);
      expect(doc.encoding).toBe(c.encoding);
    }
  });

  it("strips the BOM so the text starts with the first real character", () => {
    const doc = loadTextDocument(Buffer.concat([bom.utf8, Buffer.from("桥", "utf8")]), "text");
    expect(doc.text).toBe("桥");
    expect(doc.text.charCodeAt(0)).not.toBe(0xfeff);
  });
});

describe("whitespace", () => {
  it("normalises CRLF and CR line endings to \\n", () => {
    const doc = loadTextDocument(Buffer.from("第一行\r\n第二行\r第三行\r\n"), "text");
    expect(doc.text).toBe("第一行\n第二行\n第三行");
  });

  it("keeps single newlines, strips trailing spaces and collapses runs of blank lines to one", () => {
    const raw = "\n\n  Title line  \nsecond line\t\n\n\n\n  \nnext paragraph\u3000\n\n\n";
    expect(normaliseText(raw)).toBe("  Title line\nsecond line\n\nnext paragraph");
  });
});

describe("markdown", () => {
  it("turns ATX headings into sections at the offset of their line and keeps the heading text", async () => {
    const markdown = [
      "# 石桥小记",
      "",
      "城南有一座石桥。",
      "",
      "## 历史 ##",
      "建于1896年。",
      "",
      "```sh",
      "# not a heading: a comment inside a code block",
      "```",
      "",
      "#not-a-heading either (no space)",
      "",
      "###### Deepest level",
      "最后一段。",
    ].join("\r\n");
    const doc = await loadDocument(await fixture("notes.MD", markdown));
    expect(doc.kind).toBe("markdown");
    expect(doc.text).toBe(markdown.replace(/\r\n/g, "\n"));
    expect(doc.sections.map((s) => s.title)).toEqual(["石桥小记", "历史", "Deepest level"]);
    expect(doc.sections.map((s) => s.offset)).toEqual([
      0,
      doc.text.indexOf("## 历史"),
      doc.text.indexOf("###### Deepest"),
    ]);
    for (const section of doc.sections) expect(doc.text.slice(section.offset)).toMatch(/^#+ /);
  });

  it("accepts the .markdown extension", async () => {
    const doc = await loadDocument(await fixture("guide.markdown", "## Only heading\n\nBody."));
    expect(doc.sections).toEqual([{ offset: 0, title: "Only heading" }]);
  });

  it("gives plain-text files no sections even when a line starts with #", async () => {
    const doc = await loadDocument(await fixture("plain.txt", "# just a line\nmore"));
    expect(doc.kind).toBe("text");
    expect(doc.sections).toEqual([]);
  });
});

describe("refused files", () => {
  it("rejects binary junk named .txt", async () => {
    // Bytes of every value, as in compressed or executable data: NULs and other control bytes throughout.
    const junk = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 151 + 7) % 256));
    const error = await loadFailure(await fixture("photo.txt", junk));
    expect(error.failure).toBe("binary");
    expect(error.message).toBe("not a text file: binary content");
    expect(error.filePath).toBe(join(dir, "photo.txt"));
  });

  it("rejects ASCII text riddled with NUL bytes", async () => {
    const error = await loadFailure(await fixture("dump.txt", Buffer.from("abc\0\0\0def\0\0ghi\0".repeat(50))));
    expect(error.message).toBe("not a text file: binary content");
  });

  it("rejects an empty file", async () => {
    const error = await loadFailure(await fixture("empty.txt", Buffer.alloc(0)));
    expect(error.message).toBe("empty file");
  });

  it("rejects a file of whitespace only, whatever its encoding", async () => {
    expect((await loadFailure(await fixture("blank.md", " \r\n\t\n\u3000\n"))).message).toBe("empty file");
    const utf16Blank = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode("  \n ", "utf16le")]);
    expect((await loadFailure(await fixture("blank16.txt", utf16Blank))).message).toBe("empty file");
  });

  it("rejects an unsupported extension and names the supported ones", async () => {
    const error = await loadFailure(await fixture("report.pages", "PK"));
    expect(error.message).toMatch(/^unsupported file type: \.pages \(supported: \.pdf, \.txt, \.md, \.markdown, \.docx, .*\.epub/);
  });
});
