// Hostile ZIP-of-XML files, each refused with its own reason and nothing written anywhere: zip bombs (honest and
// lying headers), too many entries, "../" names, external entities, billion laughs, password-protected Office files
// (OLE containers), encrypted ODF packages and truncated archives.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { Archive, defaultArchiveLimits } from "../../../src/ingest/loaders/archive.js";
import { loadDocument } from "../../../src/ingest/loaders/index.js";
import { lyingZipBomb, makeDocx, makeEpub, makeOdt, makePptx, rewriteZip } from "./formatFixtures.js";

const word = { sections: [{ heading: "标题", paragraphs: ["正常的一段话。"] }] };
const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>`;
const laughs =
  `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`).join("") +
  `]><lolz>&lol9;</lolz>`;

/** A CFB (OLE2) header as Office writes for a password-protected .docx/.pptx/.xlsx, then sectors of filler. */
function oleContainer(): Buffer {
  const header = Buffer.alloc(4096);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  header.write("EncryptionInfo", 1024, "utf16le");
  return header;
}

describe("archive bounds", () => {
  it("refuses an entry that declares more than the bound before inflating it", async () => {
    const bomb = Buffer.from(zipSync({ "word/document.xml": [new Uint8Array(defaultArchiveLimits.maxEntryBytes + 1024), { level: 9 }] }));
    expect(bomb.length).toBeLessThan(1024 * 1024); // a small file…
    await expect(loadDocument("bomb.docx", bomb)).rejects.toThrow(
      "too large to read safely: archive entry word/document.xml expands past 128 MiB (a zip bomb?)",
    );
  });

  it("stops an entry whose real size passes the size it declared (a lying header)", async () => {
    const bomb = lyingZipBomb("content.xml", 64 * 1024 * 1024, 1000);
    await expect(loadDocument("liar.odt", bomb)).rejects.toThrow(/^corrupt or truncated file: archive entry content\.xml is damaged \(.*too many bytes/);
  });

  it("bounds the bytes of all entries together and the number of entries", async () => {
    const chunk = new Uint8Array(40 * 1024 * 1024);
    const many = Buffer.from(zipSync(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`ppt/part${i}.xml`, [chunk, { level: 9 }]]))));
    const archive = await Archive.open(many);
    try {
      await expect(archive.readAll(() => true)).rejects.toThrow("too large to read safely: archive expands past 256 MiB (a zip bomb?)");
    } finally {
      archive.close();
    }
    const crowd = Buffer.from(zipSync(Object.fromEntries(Array.from({ length: defaultArchiveLimits.maxEntries + 1 }, (_, i) => [`f${i}`, new Uint8Array(0)]))));
    await expect(loadDocument("crowd.pptx", crowd)).rejects.toThrow(`too large to read safely: ${defaultArchiveLimits.maxEntries + 1} archive entries (limit 20000)`);
  });

  it("reads a file with a \"../\" entry without writing anything anywhere", async () => {
    const marker = `alpaca-rag-escape-${process.pid}.txt`;
    const escaping = await rewriteZip(await makeDocx(word), (entries) => {
      entries[`../../../../../../tmp/${marker}`] = strToU8("escaped");
      entries[`../${marker}`] = strToU8("escaped");
    });
    const doc = await loadDocument("escape.docx", escaping);
    expect(doc.text).toContain("正常的一段话。");
    for (const place of [path.join(os.tmpdir(), marker), path.resolve("..", marker), path.join("/tmp", marker)]) expect(fs.existsSync(place)).toBe(false);
  });
});

describe("XML entities", () => {
  const cases: Array<[string, () => Promise<Buffer>, string]> = [
    ["xxe.docx", async () => rewriteZip(await makeDocx(word), (e) => void (e["word/document.xml"] = strToU8(xxe))), "word/document.xml"],
    ["laughs.docx", async () => rewriteZip(await makeDocx(word), (e) => void (e["word/document.xml"] = strToU8(laughs))), "word/document.xml"],
    ["xxe.pptx", async () => rewriteZip(await makePptx([{ title: "t", lines: ["x"] }]), (e) => void (e["ppt/slides/slide1.xml"] = strToU8(xxe))), "ppt/slides/slide1.xml"],
    ["laughs.odt", async () => rewriteZip(makeOdt(word), (e) => void (e["content.xml"] = strToU8(laughs))), "content.xml"],
    ["xxe.epub", async () => rewriteZip(makeEpub([{ title: "一", paragraphs: ["正文"] }]), (e) => void (e["OEBPS/text/ch1.xhtml"] = strToU8(xxe))), "OEBPS/text/ch1.xhtml"],
  ];
  it.each(cases)("%s is refused as unsafe XML, naming the entry", async (name, make, entry) => {
    const error = await loadDocument(name, await make()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`unsafe XML: entity declarations are refused: ${entry}`);
    expect((error as Error).message).not.toContain("root:");
  });
});

describe("encrypted and broken files", () => {
  it("recognises password-protected Office files (OLE containers) as encrypted", async () => {
    for (const name of ["secret.docx", "secret.pptx"]) {
      await expect(loadDocument(name, oleContainer())).rejects.toThrow(
        "encrypted (password protected): an encrypted Office container, not a ZIP; remove the password and save again",
      );
    }
  });

  it("recognises an OpenDocument package saved with a password", async () => {
    const locked = await rewriteZip(makeOdt(word), (entries) => {
      entries["META-INF/manifest.xml"] = strToU8(
        `<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1"/></manifest:file-entry></manifest:manifest>`,
      );
    });
    await expect(loadDocument("locked.odt", locked)).rejects.toThrow("encrypted (password protected): the text document is saved with a password");
  });

  it("fails a truncated archive as corrupt", async () => {
    for (const [name, bytes] of [["cut.docx", await makeDocx(word)], ["cut.pptx", await makePptx([{ title: "t", lines: ["x"] }])], ["cut.epub", makeEpub([{ title: "一", paragraphs: ["正文"] }])]] as const) {
      await expect(loadDocument(name, bytes.subarray(0, Math.floor(bytes.length / 2)))).rejects.toThrow(/^corrupt or truncated file: not a complete ZIP archive/);
    }
  });
});
