// Hostile folders through the real `alpaca-rag ingest`: broken, encrypted and textless PDFs, empty and binary files,
// five text encodings, a 50 MB single-line file, a 60-level tree, symbolic-link loops, unreadable entries and odd
// names. Every good file must be searchable, every bad one reported with its reason, memory bounded, exit status 2.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../src/ingest/chunk.js";
import { EstimatingTokenizer } from "../../src/models/tokenizer.js";
import { retrieveDetailed } from "../../src/retrieval/hybrid.js";
import { checkStore } from "../../src/store/check.js";
import { SqliteStore } from "../../src/store/sqlite/store.js";
import { drawPdf, hostileIngest, megabytes, seededRandom, stripedPng } from "./fixtures.js";

const isRoot = process.getuid?.() === 0;
const hugeBytes = 50 * 1024 * 1024;
/** The bound asserted on the ingest's peak memory with the 50 MB file in the folder. */
const peakRssLimit = 1.5 * 1024 ** 3;

const deepDir = Array.from({ length: 60 }, (_, i) => `level-${String(i).padStart(2, "0")}`).join("/");

const texts = {
  gbk: "翡翠湾在半岛的东边，湾里的渔民每天清晨出海。傍晚回港的时候，码头上挤满了买鱼的人。翡翠湾的灯塔已经有一百年的历史。",
  big5: "琥珀廳位於舊城的北邊，牆上掛著古老的地圖。每逢週末，琥珀廳會舉辦音樂會，鎮上的居民都會前來聆聽。",
  utf16le: "珊瑚礁保护区设立于二零零三年，区内禁止捕捞。潜水的游客可以看到上百种鱼类。",
  utf16be: "# 玛瑙山\n\n玛瑙山的石头在阳光下闪着红光。山脚下的村子以雕刻玛瑙为生。",
  utf8bom: "青铜鼎出土于河岸边的一座古墓，鼎上刻着四十个字，记录了一次祭祀。",
};

/** File → a word found only in it: search for the word, find the file. */
const distinctive: Record<string, string> = {
  "plain.txt": "quillfeather",
  "LOUD.TXT": "marblehorn",
  "notes.md": "saltmarrow",
  "report.pdf": "obsidianwharf",
  "gbk.txt": "翡翠湾",
  "big5.txt": "琥珀廳",
  "utf16le.txt": "珊瑚礁",
  "utf16be.md": "玛瑙山",
  "utf8-bom.txt": "青铜鼎",
  "my notes 笔记 📚.txt": "velvetlantern",
  [`${deepDir}/bottom.txt`]: "abyssalfern",
  "copy-one.txt": "twinharbour",
  "copy two.txt": "twinharbour",
  "huge.txt": "zanzibarquill",
  "folder.txt/inside.md": "cobaltmoth",
};

/** Bad entries and the reason the summary must give for each. */
const expectedFailures: Record<string, string> = {
  "truncated.pdf": "corrupt or truncated PDF",
  "junk.pdf": "corrupt or truncated PDF",
  "encrypted.pdf": "encrypted PDF (password protected)",
  // Read through OCR (ocr.engine "auto"): a drawing and a picture of stripes hold no text.
  "scanned.pdf": "no text layer (scanned or image-only PDF): OCR found no text on its pages either",
  "picture.png": "empty file: OCR found no text in the image",
  "empty.txt": "empty file",
  "blank.md": "empty file",
  "junk.txt": "not a text file: binary content",
  loop: "symbolic link loop (folder already visited)",
  "self.txt": "symbolic link loop",
  "gone.txt": "broken symbolic link",
};

/** One line, no newline anywhere, sentences of prose, and the distinctive word at the very end. */
function hugeSingleLine(): Buffer {
  const sentences = [
    "The granary ledger records barley, oats and rye for every parish in the valley. ",
    "Each autumn the miller weighed the sacks twice, once at the gate and once at the stone. ",
    "A wet summer halved the harvest, and the ledger notes the price of bread rising by a third. ",
  ];
  const tail = "The last entry of the ledger names the zanzibarquill seal.";
  const out = Buffer.alloc(hugeBytes);
  let at = 0;
  for (let i = 0; at < hugeBytes - tail.length - 200; i++) at += out.write(sentences[i % 3], at, "latin1");
  at += out.write(tail, at, "latin1");
  return out.subarray(0, at);
}

async function buildInbox(inbox: string): Promise<void> {
  const random = seededRandom(4242);
  const write = (name: string, content: string | Buffer) => {
    const p = path.join(inbox, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  };
  const prose = (word: string) => `The archive keeps a note about the ${word} and where it was found. Nobody else mentions the ${word}.`;
  write("plain.txt", prose("quillfeather"));
  write("LOUD.TXT", prose("marblehorn"));
  write("notes.md", `# Tide tables\n\n${prose("saltmarrow")}\n\n## Spring tides\n\nThe spring tides reach the harbour wall.`);
  const report = await drawPdf({}, (doc) => {
    doc.fontSize(12).text(`${prose("obsidianwharf")} `.repeat(6));
    doc.addPage().text("The second page lists the cargo of every ship.");
  });
  write("report.pdf", report);
  write("gbk.txt", iconv.encode(texts.gbk, "gbk"));
  write("big5.txt", iconv.encode(texts.big5, "big5"));
  write("utf16le.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(texts.utf16le, "utf16le")]));
  write("utf16be.md", Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(texts.utf16be, "utf16be")]));
  write("utf8-bom.txt", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(texts.utf8bom, "utf8")]));
  write("my notes 笔记 📚.txt", prose("velvetlantern"));
  write(`${deepDir}/bottom.txt`, prose("abyssalfern"));
  write("copy-one.txt", prose("twinharbour"));
  write("copy two.txt", prose("twinharbour"));
  write("huge.txt", hugeSingleLine());
  write("folder.txt/inside.md", prose("cobaltmoth"));
  write(".hidden.txt", prose("hiddenword"));

  write("truncated.pdf", report.subarray(0, Math.floor(report.length / 2)));
  write("junk.pdf", Buffer.from(Array.from({ length: 3000 }, () => Math.floor(random() * 256))));
  write("encrypted.pdf", await drawPdf({ userPassword: "s3cret", ownerPassword: "owner" }, (doc) => doc.text(prose("lockedword"))));
  write(
    "scanned.pdf",
    await drawPdf({}, (doc) => {
      doc.rect(40, 40, 300, 120).fill("#336699");
      doc.image(stripedPng(64, 48), 60, 200, { width: 256 });
    }),
  );
  write("empty.txt", "");
  write("blank.md", " \n\n\t\n   \n");
  write("junk.txt", Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256))));
  write("picture.png", stripedPng(8, 8));
  fs.symlinkSync(".", path.join(inbox, "loop"));
  fs.symlinkSync("self.txt", path.join(inbox, "self.txt"));
  fs.symlinkSync("nowhere.txt", path.join(inbox, "gone.txt"));
  // A FIFO would block a reader forever; it is not a regular file and must be passed over.
  execFileSync("mkfifo", [path.join(inbox, "pipe.txt")]);
  // chmod 000 stops everyone but root; as root the file is readable and must simply be ingested.
  write("locked.txt", prose("ironshutter"));
  fs.chmodSync(path.join(inbox, "locked.txt"), 0o000);
}

describe("the splitter on a 50 MB single line", () => {
  const tokenizer = new EstimatingTokenizer();
  const cases: Array<[name: string, make: () => string]> = [
    // No separator of any kind: the character-level fallback does all the work.
    ["letters without a space", () => {
      const b = Buffer.alloc(hugeBytes);
      for (let i = 0; i < b.length; i++) b[i] = 97 + ((i * 7 + (i >> 10) * 13) % 26);
      return b.toString("latin1");
    }],
    // Chinese with no punctuation: one token per character, no sentence or clause boundary.
    ["Chinese without punctuation", () => "望月桥建于清代光绪年间桥长三十米河水从桥下流过".repeat(Math.floor(hugeBytes / 3 / 24))],
  ];

  it.each(cases)("%s: every chunk within the budget, nothing lost, bounded time and memory", { timeout: 120_000 }, (name, make) => {
    const text = make();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const chunks = chunkDocument({ kind: "text", text, pageStarts: [], sections: [] }, { tokenizer, chunkSize: 384, chunkOverlap: 64 });
    const seconds = (performance.now() - started) / 1000;
    const peakAfter = process.resourceUsage().maxRSS * 1024;
    let covered = 0;
    for (const c of chunks) {
      expect(c.tokens.length).toBeLessThanOrEqual(384);
      expect(text.slice(c.start, c.end)).toBe(c.text);
      // Neighbours touch or overlap: no character of the line falls between two chunks.
      expect(c.start).toBeLessThanOrEqual(covered);
      covered = Math.max(covered, c.end);
    }
    expect(covered).toBe(text.length);
    console.log(`[reliability] splitter, ${name}: ${text.length} chars → ${chunks.length} chunks in ${seconds.toFixed(1)} s; worker RSS ${megabytes(rssBefore)} MB before, peak ${megabytes(peakAfter)} MB`);
    expect(seconds).toBeLessThan(60);
    expect(peakAfter).toBeLessThan(peakRssLimit);
  });
});

describe("a hostile folder through alpaca-rag ingest", () => {
  const run = hostileIngest("alpaca-rag-hostile", buildInbox);

  it("exits 2: some files failed, the rest went in", () => {
    expect(run.code).toBe(2);
    expect(run.summary.interrupted).toBe(false);
  });

  it("reports every bad entry with its reason, and passes over what is not a document", () => {
    const expected = { ...expectedFailures };
    if (!isRoot) expected["locked.txt"] = "cannot read (EACCES)";
    const failed = Object.fromEntries(run.summary.failed.map((f) => [f.path, f.reason]));
    expect(failed).toEqual(expected);
    // A FIFO is not a regular file: listed as skipped, never opened (opening it would hang the ingest).
    expect([...run.summary.skippedFiles].sort()).toEqual(["pipe.txt"]);
    // Scanned in name order: " " sorts before "-", so "copy two.txt" is stored first.
    expect(run.summary.duplicates).toEqual([{ path: "copy-one.txt", sameAs: "copy two.txt" }]);
  });

  it("ingests every good file, each findable by its own word", async () => {
    const good = Object.keys(distinctive).concat(isRoot ? ["locked.txt"] : []);
    expect(run.summary.added).toBe(good.length);
    const store = SqliteStore.open(run.storeDir);
    try {
      expect((await store.listFiles({ kbs: ["default"] })).map((f) => f.path).sort()).toEqual([...good].sort());
      const words = { ...distinctive, ...(isRoot ? { "locked.txt": "ironshutter" } : {}) };
      for (const [file, word] of Object.entries(words)) {
        const result = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: word, k: 3, candidates: 20 });
        expect(result.chunks.length, word).toBeGreaterThan(0);
        expect(result.chunks[0].paths, `${word} → ${file}`).toContain(file);
      }
      // Nothing of the hidden file, the encrypted PDF or the PDF's lost half leaked in.
      for (const word of ["hiddenword", "lockedword"]) expect((await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: word, k: 3, candidates: 20 })).chunks).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("decodes GBK, Big5, UTF-16 LE/BE and UTF-8 with BOM to exactly the original text", async () => {
    const store = SqliteStore.open(run.storeDir, { vectors: false });
    try {
      const textOf = (p: string) =>
        store.db.prepare("SELECT d.text, d.encoding FROM files f JOIN documents d ON d.id = f.document_id WHERE f.path = ?").get(p) as { text: string; encoding: string };
      expect(textOf("gbk.txt")).toEqual({ text: texts.gbk, encoding: "GB18030" });
      expect(textOf("big5.txt")).toEqual({ text: texts.big5, encoding: "Big5" });
      expect(textOf("utf16le.txt")).toEqual({ text: texts.utf16le, encoding: "UTF-16LE" });
      expect(textOf("utf16be.md")).toEqual({ text: texts.utf16be, encoding: "UTF-16BE" });
      expect(textOf("utf8-bom.txt")).toEqual({ text: texts.utf8bom, encoding: "UTF-8" });
    } finally {
      await store.close();
    }
  });

  it("chunks the 50 MB single line within the budget and loses none of it", async () => {
    const store = SqliteStore.open(run.storeDir, { vectors: false });
    try {
      const doc = store.db.prepare("SELECT d.id, d.text FROM files f JOIN documents d ON d.id = f.document_id WHERE f.path = 'huge.txt'").get() as { id: number; text: string };
      expect(doc.text.length).toBeGreaterThan(hugeBytes - 300);
      expect(doc.text).not.toContain("\n");
      const chunks = store.db.prepare("SELECT char_start, char_end, token_count FROM chunks WHERE document_id = ? ORDER BY idx").raw().all(doc.id) as Array<[number, number, number]>;
      let covered = 0;
      for (const [start, end, tokens] of chunks) {
        expect(tokens).toBeLessThanOrEqual(384);
        // Only whitespace may fall between neighbouring chunks (it is trimmed off their edges).
        if (start > covered) expect(doc.text.slice(covered, start).trim()).toBe("");
        covered = Math.max(covered, end);
      }
      expect(covered).toBe(doc.text.length);
      console.log(`[reliability] 50 MB single line: ${chunks.length} chunks, none over 384 tokens`);
    } finally {
      await store.close();
    }
  });

  it("keeps the ingest's peak memory bounded and leaves a store that passes check", async () => {
    expect(run.peakRss).not.toBeNull();
    console.log(`[reliability] hostile folder ingest: ${run.seconds.toFixed(1)} s, peak RSS ${megabytes(run.peakRss!)} MB (bound ${megabytes(peakRssLimit)} MB)`);
    expect(run.peakRss!).toBeLessThan(peakRssLimit);
    const report = await checkStore(run.storeDir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
