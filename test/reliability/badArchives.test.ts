// Hostile Office, OpenDocument, EPUB and HTML files through the real `alpaca-rag ingest`: zip bombs, a lying size,
// XXE and billion laughs, a password-protected .docx, a truncated deck, an encrypted .odt and 50 MB of nested tags.
// Each fails with its reason, the good files (one with a "../" entry) are searchable, memory stays bounded, and a
// file that turns bad keeps its last good version.
import fs from "node:fs";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import type { IngestSummary } from "../../src/ingest/pipeline.js";
import { retrieveDetailed } from "../../src/retrieval/hybrid.js";
import { checkStore } from "../../src/store/check.js";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../cliProcess.js";
import { writeFiles } from "../helpers.js";
import { lyingZipBomb, makeDocx, makeEpub, makeOdt, makePptx, rewriteZip } from "../ingest/loaders/formatFixtures.js";
import { cliFlags, hostileIngest, megabytes } from "./fixtures.js";

const peakRssLimit = 1.5 * 1024 ** 3;
const nestedBytes = 50 * 1024 * 1024;

const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>`;
const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>`;

/** File → a word found only in it. */
const distinctive: Record<string, string> = {
  "good.docx": "翡翠湾灯塔",
  "escape.docx": "琥珀磨坊",
  "good.pptx": "珊瑚礁保护区",
  "good.epub": "玛瑙山石刻",
  "good.html": "青铜鼎铭文",
};

const expectedFailures: Record<string, string> = {
  "bomb.docx": "too large to read safely: archive entry word/document.xml expands past 128 MiB (a zip bomb?)",
  "xxe.docx": "unsafe XML: entity declarations are refused: word/document.xml",
  "laughs.pptx": "unsafe XML: entity declarations are refused: ppt/slides/slide1.xml",
  "secret.docx": "encrypted (password protected): an encrypted Office container, not a ZIP; remove the password and save again",
  "locked.odt": "encrypted (password protected): the text document is saved with a password",
};

async function buildInbox(inbox: string): Promise<void> {
  const sentence = (word: string) => `${word}是这份文件里独有的词，只在这里出现一次。`;
  const docx = (word: string) => makeDocx({ sections: [{ heading: "说明", paragraphs: [sentence(word)] }] });
  const files: Record<string, Buffer> = {
    "good.docx": await docx(distinctive["good.docx"]),
    "escape.docx": await rewriteZip(await docx(distinctive["escape.docx"]), (e) => void (e["../../../../tmp/alpaca-rag-escaped.txt"] = strToU8("escaped"))),
    "good.pptx": await makePptx([{ title: "保护区", lines: [sentence(distinctive["good.pptx"])] }]),
    "good.epub": makeEpub([{ title: "第一章", paragraphs: [sentence(distinctive["good.epub"])] }]),
    "good.html": Buffer.from(`<html><head><meta charset="utf-8"></head><body><article><p>${sentence(distinctive["good.html"])}</p></article></body></html>`),
    "bomb.docx": Buffer.from(zipSync({ "word/document.xml": [new Uint8Array(129 * 1024 * 1024), { level: 9 }] })),
    "liar.odt": lyingZipBomb("content.xml", 64 * 1024 * 1024, 1000),
    "xxe.docx": await rewriteZip(await docx("xxe"), (e) => void (e["word/document.xml"] = strToU8(xxe))),
    "laughs.pptx": await rewriteZip(await makePptx([{ title: "t", lines: ["x"] }]), (e) => void (e["ppt/slides/slide1.xml"] = strToU8(laughs))),
    "secret.docx": Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(4088)]),
    "cut.pptx": (await makePptx([{ title: "t", lines: ["被截断的幻灯片"] }])).subarray(0, 3000),
    "locked.odt": await rewriteZip(makeOdt({ sections: [{ heading: "h", paragraphs: ["p"] }] }), (e) => {
      e["META-INF/manifest.xml"] = strToU8('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:encryption-data/></manifest:manifest>');
    }),
  };
  writeFiles(inbox, files);
  // 50 MB of tags opened and never closed, written in pieces.
  const fd = fs.openSync(path.join(inbox, "nested.html"), "w");
  const piece = Buffer.from("<div><span><b>".repeat(64 * 1024));
  for (let written = 0; written < nestedBytes; written += piece.length) fs.writeSync(fd, piece);
  fs.closeSync(fd);
}

describe("hostile archives and pages through alpaca-rag ingest", () => {
  const run = hostileIngest("alpaca-rag-archives", buildInbox);

  it("fails each bad file with its reason, exit 2, in bounded time and memory", () => {
    expect(run.code).toBe(2);
    const failed = Object.fromEntries(run.summary.failed.map((f) => [f.path, f.reason]));
    expect(failed).toMatchObject(expectedFailures);
    expect(failed["liar.odt"]).toMatch(/^corrupt or truncated file: archive entry content\.xml is damaged/);
    expect(failed["cut.pptx"]).toMatch(/^corrupt or truncated file: not a complete ZIP archive/);
    expect(failed["nested.html"]).toMatch(/^too large to read safely: HTML nested \d+ levels deep \(limit 5000\)$/);
    expect(Object.keys(failed).sort()).toEqual([...Object.keys(expectedFailures), "liar.odt", "cut.pptx", "nested.html"].sort());
    console.log(`[reliability] hostile archives: ${run.summary.failed.length} failed, ${run.summary.added} added in ${run.seconds.toFixed(1)} s; peak RSS ${megabytes(run.peakRss ?? 0)} MB`);
    expect(run.peakRss).not.toBeNull();
    expect(run.peakRss!).toBeLessThan(peakRssLimit);
    expect(fs.existsSync("/tmp/alpaca-rag-escaped.txt")).toBe(false);
  });

  it("ingests every good file, each findable by its own word", async () => {
    expect(run.summary.added).toBe(Object.keys(distinctive).length);
    const store = await openStore(run.storeDir);
    try {
      for (const [file, word] of Object.entries(distinctive)) {
        const result = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: word, k: 3, candidates: 20 });
        expect(result.chunks[0]?.paths, `${word} → ${file}`).toContain(file);
      }
    } finally {
      await store.close();
    }
    expect((await checkStore(run.storeDir)).problems).toEqual([]);
  });

  it("keeps the last good version of a file that turns into a zip bomb", async () => {
    fs.copyFileSync(path.join(run.inbox, "bomb.docx"), path.join(run.inbox, "good.docx"));
    const again = await runCli(["ingest", run.inbox, ...cliFlags(run.storeDir, "none"), "--json"]);
    expect(again.code).toBe(2);
    const result = JSON.parse(again.stdout) as IngestSummary;
    expect(result.failed.find((f) => f.path === "good.docx")?.reason).toBe(expectedFailures["bomb.docx"]);
    const store = await openStore(run.storeDir);
    try {
      const found = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: distinctive["good.docx"], k: 3, candidates: 20 });
      expect(found.chunks[0]?.paths).toContain("good.docx");
    } finally {
      await store.close();
    }
  }, 120_000);
});
