// E-books: chapters in spine order (not manifest order), each a section and a "chapter" location titled from the
// table of contents; a cover page without text is no chapter; DRM-encrypted chapters fail as encrypted.
import { strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../../src/ingest/chunk.js";
import { loadDocument } from "../../../src/ingest/loaders/index.js";
import { EstimatingTokenizer } from "../../../src/models/tokenizer.js";
import { makeEpub, rewriteZip } from "./formatFixtures.js";

const chapters = [
  { title: "第一章 山里的茶园", paragraphs: ["茶园在山腰上，每年清明前采第一批新茶。", "采茶的人天不亮就上山。"] },
  { title: "第二章 河边的磨坊", paragraphs: ["磨坊靠河水转动石磨，一天能磨三百斤麦子。"] },
  { title: "Chapter 3 The Lighthouse", paragraphs: ["The lighthouse keeper climbed one hundred and twelve steps every evening."] },
];

describe("EPUB", () => {
  it("reads chapters in spine order, each a section and a chapter location titled from the table of contents", async () => {
    const doc = await loadDocument("book.epub", makeEpub(chapters, { cover: true }));
    expect(doc.kind).toBe("epub");
    expect(doc.locations?.map((m) => [m.kind, m.index, m.name])).toEqual([
      ["chapter", 1, "第一章 山里的茶园"],
      ["chapter", 2, "第二章 河边的磨坊"],
      ["chapter", 3, "Chapter 3 The Lighthouse"],
    ]);
    expect(doc.sections.map((s) => s.title)).toEqual(chapters.map((c) => c.title));
    const positions = chapters.map((c) => doc.text.indexOf(c.paragraphs[0]));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("cuts chunks that never span two chapters and cite \"chapter N: title\"", async () => {
    const doc = await loadDocument("book.epub", makeEpub(chapters));
    const chunks = chunkDocument(doc, { tokenizer: new EstimatingTokenizer(), chunkSize: 400, chunkOverlap: 0 });
    expect(chunks.map((c) => c.location?.label)).toEqual(["chapter 1: 第一章 山里的茶园", "chapter 2: 第二章 河边的磨坊", "chapter 3: Chapter 3 The Lighthouse"]);
    expect(chunks[1].location).toEqual({ kind: "chapter", chapter: 2, title: "第二章 河边的磨坊", label: "chapter 2: 第二章 河边的磨坊" });
    expect(chunks[1].text).toContain("一天能磨三百斤麦子");
    expect(chunks[1].section).toBe("第二章 河边的磨坊");
  });

  it("fails as encrypted when its chapters are under DRM, and as corrupt without a container", async () => {
    const drm = await rewriteZip(makeEpub(chapters), (entries) => {
      entries["META-INF/encryption.xml"] = strToU8(
        `<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData><enc:CipherReference URI="OEBPS/text/ch1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>`,
      );
    });
    await expect(loadDocument("drm.epub", drm)).rejects.toThrow("encrypted (password protected): the e-book's chapters are DRM-encrypted");
    const noContainer = await rewriteZip(makeEpub(chapters), (entries) => delete entries["META-INF/container.xml"]);
    await expect(loadDocument("bare.epub", noContainer)).rejects.toThrow("corrupt or truncated file: not an EPUB (no META-INF/container.xml)");
  });
});
