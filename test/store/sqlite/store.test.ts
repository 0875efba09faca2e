// The embedded store's own promises, beyond the contract (test/store/contract.test.ts): its vector index file is repaired from
// SQLite after a crash or damage, `check` finds what disagrees, and the lock file of a dead writer is taken over.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkStore } from "../../../src/store/check.js";
import { StoreLockedError } from "../../../src/store/lock.js";
import { SqliteStore } from "../../../src/store/sqlite/store.js";
import { vectorIndexKinds } from "../../../src/store/sqlite/vectorIndexKinds.js";
import { tempDir } from "../../helpers.js";
import { doc, file, identity, unit } from "../fixtures.js";

// Every case runs on both vector indexes: hnswlib float32 (vectors.hnsw) and usearch float16 (vectors.usearch).
describe.each(["float32", "float16"] as const)("SqliteStore, %s vectors", (vectorPrecision) => {
  const vectorFileName = vectorIndexKinds[vectorPrecision].fileName;

  it("writes the vector file on close, and check finds the folder consistent", async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir, { write: true, vectorPrecision });
    await store.bindEmbedding(identity);
    const a = await store.commitFile(file("a.txt"), { document: doc("sha-a", ["南京长江大桥建成通车", "桥梁的结构"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    await store.commitFile(file("b.txt"), { document: doc("sha-b", ["The river bridge opened"], [[0, 0, 1, 0]]) });
    await store.commitFile(file("a.txt"), { document: doc("sha-a2", ["完全不同的内容"], [[0, 0, 0, 1]]) });
    // a.txt's first chunks were replaced: removed from the index, and counted until a rebuild drops them.
    expect(a.chunkIds.some((id) => store.vectorIndex!.holds(id))).toBe(false);
    expect(store.vectorIndex!.deletedCount).toBe(2);
    expect(await store.removeFiles("default", ["a.txt"])).toBe(1);
    expect(fs.existsSync(path.join(dir, vectorFileName))).toBe(false);
    await store.close();
    expect(fs.existsSync(path.join(dir, vectorFileName))).toBe(true);
    expect(await checkStore(dir)).toMatchObject({ ok: true, documents: 1, files: 1, chunks: 1, vectors: 1 });
  });

  it("repairs the vector file on open after a run that stopped before saving it", async () => {
    const dir = tempDir();
    let store = SqliteStore.open(dir, { write: true, vectorPrecision });
    await store.bindEmbedding(identity);
    await store.commitFile(file("a.txt"), { document: doc("a", ["甲"], [[1, 0, 0, 0]]) });
    await store.saveVectors();
    const saved = fs.readFileSync(path.join(dir, vectorFileName));
    // Committed to SQLite, never saved to the vector file: as if killed right after the commit.
    const b = await store.commitFile(file("b.txt"), { document: doc("b", ["乙"], [[0, 1, 0, 0]]) });
    await store.removeFiles("default", ["a.txt"]);
    store.db.close();
    fs.writeFileSync(path.join(dir, vectorFileName), saved);
    fs.rmSync(path.join(dir, "write.lock"));
    expect((await checkStore(dir)).ok).toBe(false);

    store = SqliteStore.open(dir, { write: true, vectorPrecision });
    expect(store.reconcileReport).toMatchObject({ restored: 1, orphansRemoved: 1 });
    expect((await store.vectorSearch(unit([1, 0, 0, 0]), 5, { kbs: ["default"] })).map((h) => h.chunkId)).toEqual(b.chunkIds);
    await store.close();
    expect(await checkStore(dir)).toMatchObject({ ok: true, chunks: 1, vectors: 1 });
  });

  it("rebuilds an unreadable vector file from SQLite", async () => {
    const dir = tempDir();
    let store = SqliteStore.open(dir, { write: true, vectorPrecision });
    await store.bindEmbedding(identity);
    await store.commitFile(file("a.txt"), { document: doc("a", ["甲", "乙"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    await store.close();
    fs.writeFileSync(path.join(dir, vectorFileName), "garbage");
    store = SqliteStore.open(dir, { write: true, vectorPrecision });
    expect(store.reconcileReport!.rebuilt).toBe(true);
    expect(await store.vectorStatus()).toEqual({ dimension: 4, count: 2 });
    await store.close();
    expect((await checkStore(dir)).ok).toBe(true);
  });

  it("takes over the lock file of a writer that died", async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir, { write: true, vectorPrecision });
    expect(() => SqliteStore.open(dir, { write: true, vectorPrecision })).toThrow(new RegExp(`pid ${process.pid}`));
    expect(() => SqliteStore.open(dir, { write: true, vectorPrecision })).toThrow(StoreLockedError);
    await store.close();
    fs.writeFileSync(path.join(dir, "write.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: "x", purpose: "ingest" }));
    await SqliteStore.open(dir, { write: true, vectorPrecision }).close();
    expect(fs.existsSync(path.join(dir, "write.lock"))).toBe(false);
  });

  it("check reports chunks without lexical rows and vectors without chunks", async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir, { write: true, vectorPrecision });
    await store.bindEmbedding(identity);
    const a = await store.commitFile(file("a.txt"), { document: doc("a", ["甲", "乙"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    await store.close();
    const raw = SqliteStore.open(dir, { vectors: false });
    raw.db.prepare("DELETE FROM chunks_fts WHERE rowid = ?").run(a.chunkIds[0]);
    raw.db.pragma("foreign_keys = OFF");
    raw.db.prepare("DELETE FROM chunks WHERE id = ?").run(a.chunkIds[1]);
    await raw.close();
    const report = await checkStore(dir);
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toMatch(/chunks without an FTS row: \d+/);
    expect(report.problems.join("\n")).toMatch(/with no chunk \(orphans\)/);
    expect(report.problems.join("\n")).toMatch(/incomplete or duplicated/);
  });
});
