import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkStore } from "../../src/store/check.js";
import { StoreLockedError } from "../../src/store/lock.js";
import { lexicalQuery, segmentForIndex } from "../../src/store/segment.js";
import { DocumentStore, EmbedderMismatchError, vectorFileName, type NewDocument } from "../../src/store/store.js";
import { tempDir } from "../helpers.js";

const identity = { name: "test.gguf", fingerprint: "f1", dimension: 4 };

function unit(values: number[]): Float32Array {
  const n = Math.hypot(...values);
  return Float32Array.from(values.map((v) => v / n));
}

function doc(sha: string, texts: string[], vectors: number[][] | null): NewDocument {
  return {
    sha256: sha,
    kind: "text",
    bytes: texts.join("").length,
    pages: null,
    encoding: "UTF-8",
    text: texts.join("\n\n"),
    pageStarts: [],
    chunks: texts.map((t, i) => ({
      index: i,
      text: t,
      page: null,
      pageEnd: null,
      charStart: 0,
      charEnd: t.length,
      section: null,
      tokenCount: t.length,
      terms: segmentForIndex(t),
      vector: vectors ? unit(vectors[i]) : null,
    })),
  };
}

const file = (p: string) => ({ path: p, size: 10, mtimeMs: 1 });

describe("DocumentStore", () => {
  it("stores documents, finds them lexically and by vector, and replaces and removes them completely", () => {
    const dir = tempDir();
    const store = DocumentStore.open(dir, { write: true });
    store.bindEmbedding(identity);
    const a = store.commitFile(file("a.txt"), { document: doc("sha-a", ["南京长江大桥建成通车", "桥梁的结构"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    store.commitFile(file("b.txt"), { document: doc("sha-b", ["The river bridge opened"], [[0, 0, 1, 0]]) });
    expect(store.count("chunks")).toBe(3);
    const hits = store.lexicalSearch(lexicalQuery("长江大桥"), 5);
    expect(hits.map((h) => h.chunkId)).toEqual([a.chunkIds[0]]);
    expect(store.vectors!.search(unit([0.9, 0.1, 0, 0]), 1)[0].chunkId).toBe(a.chunkIds[0]);

    // Changed content: old chunks, terms and vectors go, new ones come.
    const a2 = store.commitFile(file("a.txt"), { document: doc("sha-a2", ["完全不同的内容"], [[0, 0, 0, 1]]) });
    expect(store.count("documents")).toBe(2);
    expect(store.lexicalSearch(lexicalQuery("长江大桥"), 5)).toEqual([]);
    expect(store.vectors!.search(unit([1, 0, 0, 0]), 3).map((h) => h.chunkId)).not.toContain(a.chunkIds[0]);
    expect(store.vectors!.size).toBe(2);

    expect(store.removeFiles(["a.txt"])).toBe(1);
    expect(store.chunksByIds(a2.chunkIds)).toEqual([]);
    expect(store.vectors!.size).toBe(1);
    store.close();
    expect(checkStore(dir)).toMatchObject({ ok: true, documents: 1, files: 1, chunks: 1, vectors: 1 });
  });

  it("keeps one copy of identical content under two paths, searchable under both, until both are gone", () => {
    const dir = tempDir();
    const store = DocumentStore.open(dir, { write: true });
    store.bindEmbedding(null);
    const first = store.commitFile(file("x/one.txt"), { document: doc("same", ["共享的内容"], null) });
    store.commitFile(file("two.txt"), { documentId: first.documentId });
    expect(store.count("documents")).toBe(1);
    expect(store.chunksByIds(first.chunkIds)[0].paths).toEqual(["two.txt", "x/one.txt"]);
    store.removeFiles(["two.txt"]);
    expect(store.chunksByIds(first.chunkIds)[0].paths).toEqual(["x/one.txt"]);
    store.removeFiles(["x/one.txt"]);
    expect(store.count("documents")).toBe(0);
    expect(store.count("chunks")).toBe(0);
    store.close();
    expect(checkStore(dir).ok).toBe(true);
  });

  it("repairs the vector file on open after a run that stopped before saving it", () => {
    const dir = tempDir();
    let store = DocumentStore.open(dir, { write: true });
    store.bindEmbedding(identity);
    store.commitFile(file("a.txt"), { document: doc("a", ["甲"], [[1, 0, 0, 0]]) });
    store.saveVectors();
    const saved = fs.readFileSync(path.join(dir, vectorFileName));
    // Committed to SQLite, never saved to the vector file: as if killed right after the commit.
    const b = store.commitFile(file("b.txt"), { document: doc("b", ["乙"], [[0, 1, 0, 0]]) });
    store.removeFiles(["a.txt"]);
    store.db.close();
    fs.writeFileSync(path.join(dir, vectorFileName), saved);
    fs.rmSync(path.join(dir, "write.lock"));
    expect(checkStore(dir).ok).toBe(false);

    store = DocumentStore.open(dir, { write: true });
    expect(store.reconcileReport).toMatchObject({ restored: 1, orphansRemoved: 1 });
    expect(store.vectors!.search(unit([1, 0, 0, 0]), 5).map((h) => h.chunkId)).toEqual(b.chunkIds);
    store.close();
    expect(checkStore(dir)).toMatchObject({ ok: true, chunks: 1, vectors: 1 });
  });

  it("rebuilds an unreadable vector file from SQLite", () => {
    const dir = tempDir();
    let store = DocumentStore.open(dir, { write: true });
    store.bindEmbedding(identity);
    store.commitFile(file("a.txt"), { document: doc("a", ["甲", "乙"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    store.close();
    fs.writeFileSync(path.join(dir, vectorFileName), "garbage");
    store = DocumentStore.open(dir, { write: true });
    expect(store.reconcileReport!.rebuilt).toBe(true);
    expect(store.vectors!.size).toBe(2);
    store.close();
    expect(checkStore(dir).ok).toBe(true);
  });

  it("refuses another embedding model once documents exist, suggesting --reembed", () => {
    const dir = tempDir();
    const store = DocumentStore.open(dir, { write: true });
    store.bindEmbedding(identity);
    store.commitFile(file("a.txt"), { document: doc("a", ["甲"], [[1, 0, 0, 0]]) });
    expect(() => store.bindEmbedding({ name: "other.gguf", fingerprint: "f2", dimension: 8 })).toThrow(EmbedderMismatchError);
    expect(() => store.bindEmbedding(null)).toThrow(/--reembed/);
    store.reset();
    store.bindEmbedding({ name: "other.gguf", fingerprint: "f2", dimension: 8 });
    expect(store.embedding).toMatchObject({ name: "other.gguf", dimension: 8 });
    store.close();
  });

  it("lets one writer in at a time and takes over the lock of a dead one", () => {
    const dir = tempDir();
    const store = DocumentStore.open(dir, { write: true });
    expect(() => DocumentStore.open(dir, { write: true })).toThrow(StoreLockedError);
    expect(() => DocumentStore.open(dir, { write: true })).toThrow(new RegExp(`pid ${process.pid}`));
    // Readers are never blocked.
    DocumentStore.open(dir).close();
    store.close();
    fs.writeFileSync(path.join(dir, "write.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: "x", purpose: "ingest" }));
    DocumentStore.open(dir, { write: true }).close();
  });

  it("check reports chunks without lexical rows and vectors without chunks", () => {
    const dir = tempDir();
    const store = DocumentStore.open(dir, { write: true });
    store.bindEmbedding(identity);
    const a = store.commitFile(file("a.txt"), { document: doc("a", ["甲", "乙"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    store.close();
    const raw = DocumentStore.open(dir, { vectors: false });
    raw.db.prepare("DELETE FROM chunks_fts WHERE rowid = ?").run(a.chunkIds[0]);
    raw.db.pragma("foreign_keys = OFF");
    raw.db.prepare("DELETE FROM chunks WHERE id = ?").run(a.chunkIds[1]);
    raw.close();
    const report = checkStore(dir);
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toMatch(/chunks without an FTS row: \d+/);
    expect(report.problems.join("\n")).toMatch(/with no chunk \(orphans\)/);
    expect(report.problems.join("\n")).toMatch(/incomplete or duplicated/);
  });

  it("leaves a term out of lexical queries once it is in over a quarter of the chunks, seeing every write", () => {
    // "common" starts in 1,000 of 5,000 chunks (20%: kept), then in 2,000 of 6,000 (33%: left out), then back.
    // The reader is another connection; the writer also searches through its own. Both must see each change,
    // although the count of so common a term is cached between searches.
    const dir = tempDir();
    const writer = DocumentStore.open(dir, { write: true });
    writer.bindEmbedding(null);
    const base = Array.from({ length: 5000 }, (_, i) => (i < 1000 ? `common filler${i % 7}` : i < 1003 ? "rare plain" : `plain filler${i % 7}`));
    writer.commitFile(file("base.txt"), { document: doc("base", base, null) });
    const reader = DocumentStore.open(dir);
    const question = lexicalQuery("rare common");
    expect(question).toEqual(["rare", "common"]);
    const found = (store: DocumentStore) => store.lexicalSearch(question, 5000).length;
    expect([found(reader), found(writer)]).toEqual([1003, 1003]);

    const more = Array.from({ length: 1000 }, (_, i) => `common extra${i % 5}`);
    writer.commitFile(file("more.txt"), { document: doc("more", more, null) });
    expect([found(reader), found(writer)]).toEqual([3, 3]);
    // Left out, the common word no longer decides the order among the rare chunks either.
    expect(reader.chunksByIds(reader.lexicalSearch(question, 5000).map((h) => h.chunkId)).map((c) => c.text)).toEqual(["rare plain", "rare plain", "rare plain"]);

    writer.removeFiles(["more.txt"]);
    expect([found(reader), found(writer)]).toEqual([1003, 1003]);
    reader.close();
    writer.close();
  });
});
