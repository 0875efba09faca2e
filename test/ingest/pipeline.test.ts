import { getEventListeners } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { checkStore } from "../../src/store/check.js";
import { lexicalQuery } from "../../src/store/segment.js";
import type { StoredChunk } from "../../src/store/contract.js";
import { SqliteStore } from "../../src/store/sqlite/store.js";
import { cmrcParagraphs, samplePdf, samplePdfPages, sharedDir, tempDir, testSettings, writeFiles } from "../helpers.js";

const tinyRandom = path.join(sharedDir, "models", "llama-2-tiny-random.gguf");

async function allChunks(storeDir: string): Promise<StoredChunk[]> {
  const store = SqliteStore.open(storeDir, { vectors: false });
  try {
    const ids = store.db.prepare("SELECT id FROM chunks ORDER BY id").pluck().all() as number[];
    return await store.chunksByIds(ids, { kbs: ["default"] });
  } finally {
    await store.close();
  }
}

const squash = (s: string) => s.replace(/\s+/g, "");

describe("ingestFolder", () => {
  const passages = cmrcParagraphs().slice(20, 32);
  let inbox: string;
  let storeDir: string;

  beforeAll(() => {
    inbox = tempDir();
    storeDir = tempDir();
    const files: Record<string, string | Buffer> = {};
    passages.slice(0, 8).forEach((p, i) => (files[`passages/p${i}.txt`] = p.context));
    files["guide.md"] = "# 总览\n\n这是一段说明。\n\n## 细节\n\n第二部分的内容。";
    files["notes.key"] = "not ingested";
    files["broken.pdf"] = fs.readFileSync(samplePdf).subarray(0, 5000);
    files["empty.txt"] = "";
    writeFiles(inbox, files);
    fs.copyFileSync(samplePdf, path.join(inbox, "sample.pdf"));
  });

  it("indexes a folder, reports skipped and failed files with reasons, and leaves a consistent store", async () => {
    const summary = await ingestFolder({ settings: testSettings({ store: storeDir, inbox }) });
    expect(summary).toMatchObject({ added: 10, updated: 0, unchanged: 0, removed: 0, skipped: 1, skippedFiles: ["notes.key"], embedding: "stories260K.gguf" });
    expect(summary.failed).toEqual([
      { path: "broken.pdf", reason: "corrupt or truncated PDF" },
      { path: "empty.txt", reason: "empty file" },
    ]);
    expect(summary.chunks).toBeGreaterThan(30);
    expect(summary.embedded).toBe(summary.chunks);
    const report = await checkStore(storeDir);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, files: 10, chunks: summary.chunks, vectors: summary.chunks });
  });

  it("gives every chunk of a PDF passage the page the page map gives, and keeps sections", async () => {
    const map = JSON.parse(fs.readFileSync(samplePdfPages, "utf8")) as { passages: Array<{ id: string; page: number; pageEnd: number; context: string }> };
    const chunks = (await allChunks(storeDir)).filter((c) => c.paths.includes("sample.pdf"));
    expect(chunks.length).toBeGreaterThan(12);
    let checked = 0;
    for (const chunk of chunks) {
      const body = squash(chunk.text);
      const owner = map.passages.find((p) => squash(p.context).includes(body.slice(Math.max(0, body.length - 40))));
      if (!owner) continue; // a chunk that is only a heading
      expect(chunk.page, `chunk ${chunk.id} of ${owner.id}`).toBe(owner.page);
      expect(chunk.pageEnd).toBe(owner.pageEnd);
      expect(chunk.section).toMatch(/^第\d+节$/);
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(chunks.length - 2);
  });

  it("finds a passage by its words through the jieba-segmented FTS table", async () => {
    const store = SqliteStore.open(storeDir, { vectors: false });
    try {
      const question = passages[3].qas[0].question;
      const hits = await store.chunksByIds((await store.lexicalSearch(lexicalQuery(question), 3, { kbs: ["default"] })).map((h) => h.chunkId), { kbs: ["default"] });
      expect(hits.map((h) => h.paths[0])).toContain("passages/p3.txt");
    } finally {
      await store.close();
    }
  });

  it("re-runs over an unchanged folder without embedding anything", async () => {
    const summary = await ingestFolder({ settings: testSettings({ store: storeDir, inbox }) });
    expect(summary).toMatchObject({ added: 0, updated: 0, unchanged: 10, removed: 0, chunks: 0, embedded: 0 });
    expect(summary.embedding).toBe("stories260K.gguf");
  });

  it("follows adds, edits, deletes, renames and copies without duplicating or re-embedding what did not change", async () => {
    const before = await allChunks(storeDir);
    fs.writeFileSync(path.join(inbox, "passages/p0.txt"), passages[9].context); // edited
    fs.rmSync(path.join(inbox, "passages/p1.txt")); // deleted
    fs.renameSync(path.join(inbox, "passages/p2.txt"), path.join(inbox, "passages/p2-renamed.txt")); // renamed
    fs.copyFileSync(path.join(inbox, "passages/p3.txt"), path.join(inbox, "copy-of-p3.txt")); // same bytes, new name
    fs.writeFileSync(path.join(inbox, "passages/new.txt"), passages[10].context); // added
    const summary = await ingestFolder({ settings: testSettings({ store: storeDir, inbox }) });
    expect(summary).toMatchObject({ added: 3, updated: 1, unchanged: 7, removed: 2 });
    expect(summary.duplicates).toEqual([{ path: "copy-of-p3.txt", sameAs: "passages/p3.txt" }]);
    const after = await allChunks(storeDir);
    const p2Before = before.filter((c) => c.paths.includes("passages/p2.txt"));
    const p2After = after.filter((c) => c.paths.includes("passages/p2-renamed.txt"));
    // The rename kept the same chunks (same ids): nothing was embedded again for it.
    expect(p2After.map((c) => c.id)).toEqual(p2Before.map((c) => c.id));
    expect(summary.embedded).toBe(after.filter((c) => c.paths.includes("passages/p0.txt") || c.paths.includes("passages/new.txt")).length);
    expect(after.some((c) => c.paths.includes("passages/p1.txt"))).toBe(false);
    const p3 = after.filter((c) => c.paths.includes("passages/p3.txt"));
    expect(p3.length).toBeGreaterThan(0);
    expect(p3.every((c) => c.paths.includes("copy-of-p3.txt"))).toBe(true);
    // No chunk text twice for one document.
    const keys = after.map((c) => `${c.documentId}:${c.index}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(squash(after.filter((c) => c.paths.includes("passages/p0.txt")).map((c) => c.text).join(""))).toContain(squash(passages[9].context).slice(0, 50));
    expect((await checkStore(storeDir)).problems).toEqual([]);
  });

  it("refuses a store built with another embedding model and rebuilds it with --reembed", async () => {
    const other = testSettings({ store: storeDir, inbox, model: tinyRandom });
    await expect(ingestFolder({ settings: other })).rejects.toThrow(/built with embedding model stories260K\.gguf .*--reembed/);
    expect(await checkStore(storeDir)).toMatchObject({ ok: true, embedding: "stories260K.gguf (64)" });
    const summary = await ingestFolder({ settings: other, reembed: true });
    expect(summary).toMatchObject({ added: 11, unchanged: 0, embedding: "llama-2-tiny-random.gguf" });
    expect(await checkStore(storeDir)).toMatchObject({ ok: true, files: 11, embedding: "llama-2-tiny-random.gguf (8)" });
  });

  it("indexes lexically when embedding.model is none", async () => {
    const lexicalStore = tempDir();
    const summary = await ingestFolder({ settings: testSettings({ store: lexicalStore, inbox, model: "none" }) });
    expect(summary).toMatchObject({ added: 11, embedded: 0, embedding: null });
    expect(summary.chunks).toBeGreaterThan(10);
    expect(await checkStore(lexicalStore)).toMatchObject({ ok: true, vectors: 0, embedding: "none (lexical-only)" });
  });

  it("fails clearly on a missing inbox or a missing model file, leaving the store as it was", async () => {
    await expect(ingestFolder({ settings: testSettings({ store: tempDir(), inbox: path.join(inbox, "nope") }) })).rejects.toThrow(/inbox folder .*nope does not exist/);
    await expect(ingestFolder({ settings: testSettings({ store: storeDir, inbox, model: "/no/such/model.gguf" }) })).rejects.toThrow(
      /embedding\.model: no model file at \/no\/such\/model\.gguf/,
    );
    expect(await checkStore(storeDir)).toMatchObject({ ok: true, files: 11 });
  });

  it("leaves nothing on a stop signal that outlives it (a server's shutdown signal serves every ingest it starts)", async () => {
    const shutdown = new AbortController();
    const settings = testSettings({ store: tempDir(), inbox, model: "none" });
    for (let i = 0; i < 3; i++) await ingestFolder({ settings, signal: shutdown.signal });
    expect(getEventListeners(shutdown.signal, "abort")).toEqual([]);
  });
});
