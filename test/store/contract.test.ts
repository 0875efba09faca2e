// The store contract (src/store/contract.ts), exercised through openStore only, against every implementation in
// `factories`: documents and files, chunks, lexical search, vectors, the embedding identity, metadata and the write
// lock. A new implementation joins by adding a factory that names a fresh, empty store of its kind.
// The PostgreSQL factory uses the cluster named by ALPACA_RAG_TEST_PG, or starts its own (test/store/postgres/database.ts).
import { afterEach, describe, expect, it } from "vitest";
import type { DocumentStore, OpenStoreOptions } from "../../src/store/contract.js";
import { EmbedderMismatchError } from "../../src/store/embedding.js";
import { KbExistsError, KbNameError, UnknownKbError } from "../../src/store/kb.js";
import { StoreLockedError } from "../../src/store/lock.js";
import { openStore } from "../../src/store/open.js";
import { lexicalQuery } from "../../src/store/segment.js";
import { tempDir } from "../helpers.js";
import { doc, file, identity, unit } from "./fixtures.js";
import { freshDatabase, usePostgres } from "./postgres/database.js";

interface StoreFactory {
  name: string;
  /** The `store` setting of a fresh, empty store. */
  fresh(): Promise<string>;
  /** Options every open of this kind adds. */
  options?: OpenStoreOptions;
}

const factories: StoreFactory[] = [
  { name: "sqlite (folder)", fresh: async () => tempDir() },
  { name: "sqlite (folder, float16 vectors)", fresh: async () => tempDir(), options: { vectorPrecision: "float16" } },
  // A fresh database per test in the cluster of ALPACA_RAG_TEST_PG, or in one this file starts (and stops).
  { name: "postgres (pgvector)", fresh: freshDatabase },
];
usePostgres();

for (const factory of factories) {
  describe(`store contract: ${factory.name}`, () => {
    const opened: DocumentStore[] = [];
    const open = async (target: string, options?: OpenStoreOptions) => {
      const store = await openStore(target, { ...factory.options, ...options });
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0).reverse()) await store.close().catch(() => {});
    });

    it("stores documents with their chunks, finds them lexically and by vector, and replaces and removes them whole", async () => {
      const target = await factory.fresh();
      const store = await open(target, { write: true });
      expect(store.writable).toBe(true);
      expect(await store.embedding()).toBeUndefined();
      await store.bindEmbedding(identity);
      expect(await store.embedding()).toEqual(identity);
      const a = await store.commitFile(file("a.txt"), {
        document: doc("sha-a", ["南京长江大桥建成通车", "桥梁的结构"], [[1, 0, 0, 0], [0, 1, 0, 0]], { section: "桥" }),
      });
      expect(a).toMatchObject({ sameAs: null });
      expect(a.chunkIds).toHaveLength(2);
      const b = await store.commitFile(file("b.txt"), { document: doc("sha-b", ["The river bridge opened"], [[0, 0, 1, 0]]) });
      expect([await store.count("documents"), await store.count("files"), await store.count("chunks")]).toEqual([2, 2, 3]);
      expect(await store.documentIdForSha("sha-a")).toBe(a.documentId);
      expect(await store.documentIdForSha("nothing")).toBeUndefined();

      // Chunks come back whole, in the order asked, with their document's paths; unknown ids are left out.
      const chunks = await store.chunksByIds([b.chunkIds[0], 999_999, a.chunkIds[1], a.chunkIds[0]], { kbs: ["default"] });
      expect(chunks.map((c) => c.id)).toEqual([b.chunkIds[0], a.chunkIds[1], a.chunkIds[0]]);
      expect(chunks[2]).toEqual({
        id: a.chunkIds[0],
        documentId: a.documentId,
        index: 0,
        text: "南京长江大桥建成通车",
        page: null,
        pageEnd: null,
        charStart: 0,
        charEnd: 10,
        section: "桥",
        location: { kind: "section", label: "§ 桥", section: "桥" },
        tokenCount: 10,
        paths: ["a.txt"],
        sources: [{ kb: "default", path: "a.txt" }],
      });
      expect(await store.chunksByIds([], { kbs: ["default"] })).toEqual([]);

      const lexical = await store.lexicalSearch(lexicalQuery("长江大桥"), 5, { kbs: ["default"] });
      expect(lexical.map((h) => h.chunkId)).toEqual([a.chunkIds[0]]);
      expect(lexical[0].score).toBeGreaterThan(0);
      expect(await store.lexicalSearch([], 5, { kbs: ["default"] })).toEqual([]);
      expect(await store.lexicalSearch(lexicalQuery("长江大桥"), 0, { kbs: ["default"] })).toEqual([]);
      expect(await store.vectorStatus()).toEqual({ dimension: 4, count: 3 });
      const nearest = await store.vectorSearch(unit([0.9, 0.1, 0, 0]), 2, { kbs: ["default"] });
      expect(nearest.map((h) => h.chunkId)).toEqual([a.chunkIds[0], a.chunkIds[1]]);
      expect(nearest[0].similarity).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 4);
      expect((await store.vectorSearch(unit([0, 0, 1, 0]), 10, { kbs: ["default"], ef: 200 })).map((h) => h.chunkId)[0]).toBe(b.chunkIds[0]);

      const listing = await store.listFiles({ kbs: ["default"] });
      expect(listing.map((f) => [f.path, f.documentId, f.kind, f.chunks])).toEqual([
        ["a.txt", a.documentId, "text", 2],
        ["b.txt", b.documentId, "text", 1],
      ]);
      expect(Date.parse(listing[0].ingestedAt)).not.toBeNaN();

      // Changed content: the old document's chunks, terms and vectors go with it, in the same commit.
      const a2 = await store.commitFile(file("a.txt", 20, 2), { document: doc("sha-a2", ["完全不同的内容"], [[0, 0, 0, 1]]) });
      expect(await store.count("documents")).toBe(2);
      expect(await store.chunksByIds(a.chunkIds, { kbs: ["default"] })).toEqual([]);
      expect(await store.lexicalSearch(lexicalQuery("长江大桥"), 5, { kbs: ["default"] })).toEqual([]);
      expect((await store.vectorSearch(unit([1, 0, 0, 0]), 3, { kbs: ["default"] })).map((h) => h.chunkId)).not.toContain(a.chunkIds[0]);
      expect(await store.vectorStatus()).toEqual({ dimension: 4, count: 2 });
      expect(Math.min(...a2.chunkIds)).toBeGreaterThan(Math.max(...a.chunkIds, ...b.chunkIds)); // ids are never reused
      expect((await store.files("default")).get("a.txt")).toEqual({ path: "a.txt", documentId: a2.documentId, sha256: "sha-a2", size: 20, mtimeMs: 2 });

      expect(await store.removeFiles("default", ["a.txt", "never-there.txt"])).toBe(1);
      expect(await store.removeFiles("default", [])).toBe(0);
      expect(await store.chunksByIds(a2.chunkIds, { kbs: ["default"] })).toEqual([]);
      expect(await store.vectorStatus()).toEqual({ dimension: 4, count: 1 });
      expect([...(await store.files("default")).keys()]).toEqual(["b.txt"]);
      await store.close();

      // Everything written is there for the next opener.
      const reader = await open(target);
      expect(reader.writable).toBe(false);
      expect(await reader.embedding()).toEqual(identity);
      expect((await reader.vectorSearch(unit([0, 0, 1, 0]), 1, { kbs: ["default"] })).map((h) => h.chunkId)).toEqual(b.chunkIds);
      expect((await reader.lexicalSearch(lexicalQuery("bridge"), 5, { kbs: ["default"] })).map((h) => h.chunkId)).toEqual(b.chunkIds);
    });

    it("keeps one copy of identical content under two paths, searchable under both, until both are gone", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(null);
      const first = await store.commitFile(file("x/one.txt"), { document: doc("same", ["共享的内容"], null) });
      const second = await store.commitFile(file("two.txt"), { documentId: first.documentId });
      expect(second).toEqual({ documentId: first.documentId, chunkIds: [], sameAs: "x/one.txt" });
      expect(await store.count("documents")).toBe(1);
      expect((await store.chunksByIds(first.chunkIds, { kbs: ["default"] }))[0].paths).toEqual(["two.txt", "x/one.txt"]);
      await store.removeFiles("default", ["two.txt"]);
      expect((await store.chunksByIds(first.chunkIds, { kbs: ["default"] }))[0].paths).toEqual(["x/one.txt"]);
      expect(await store.removeFiles("default", ["x/one.txt"])).toBe(1);
      expect([await store.count("documents"), await store.count("chunks"), await store.count("files")]).toEqual([0, 0, 0]);
    });

    it("notes new sizes and times of unchanged files in one call", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(null);
      await store.commitFile(file("a.txt", 5, 100), { document: doc("a", ["甲乙丙"], null) });
      await store.commitFile(file("b.txt", 6, 200), { document: doc("b", ["丁戊己"], null) });
      await store.touchFiles("default", [file("a.txt", 7, 300.5), file("gone.txt", 1, 1)]);
      await store.touchFiles("default", []);
      const files = await store.files("default");
      expect(files.get("a.txt")).toMatchObject({ size: 7, mtimeMs: 300.5, sha256: "a" });
      expect(files.get("b.txt")).toMatchObject({ size: 6, mtimeMs: 200 });
      expect(files.has("gone.txt")).toBe(false);
    });

    it("is made with one embedding model: refuses another while it holds documents, until reset", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.assertEmbedding({ name: "anything.gguf", fingerprint: "x" }); // undecided: anything goes
      await store.bindEmbedding(identity);
      await store.assertEmbedding({ name: "other.gguf", fingerprint: "f2" }); // empty: still anything goes
      await store.commitFile(file("a.txt"), { document: doc("a", ["甲"], [[1, 0, 0, 0]]) });
      await store.assertEmbedding(identity);
      await store.bindEmbedding(identity); // the same model: nothing to do
      await expect(store.assertEmbedding({ name: "other.gguf", fingerprint: "f2" })).rejects.toThrow(EmbedderMismatchError);
      await expect(store.bindEmbedding({ name: "other.gguf", fingerprint: "f2", dimension: 8 })).rejects.toThrow(/test\.gguf.*other\.gguf.*--reembed/s);
      await expect(store.bindEmbedding(null)).rejects.toThrow(/--reembed/);
      expect(await store.embedding()).toEqual(identity);
      await store.saveCalibration("f1", { chunks: 1, calibration: { denseWeight: 1 } });

      await store.reset();
      expect(await store.embedding()).toBeUndefined();
      expect([await store.count("documents"), await store.count("files"), await store.count("chunks")]).toEqual([0, 0, 0]);
      expect(await store.vectorStatus()).toBeNull();
      expect(await store.readCalibration("f1")).toBeUndefined();
      await store.bindEmbedding({ name: "other.gguf", fingerprint: "f2", dimension: 8 });
      expect(await store.embedding()).toEqual({ name: "other.gguf", fingerprint: "f2", dimension: 8 });
      expect(await store.vectorStatus()).toEqual({ dimension: 8, count: 0 });
      await store.commitFile(file("b.txt"), { document: doc("b", ["乙"], [[0, 1, 0, 0, 0, 0, 0, 0]]) });
      expect(await store.vectorStatus()).toEqual({ dimension: 8, count: 1 });
    });

    it("a lexical-only store has no vectors to search", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(null);
      expect(await store.embedding()).toBeNull();
      await store.commitFile(file("a.txt"), { document: doc("a", ["甲乙"], null) });
      expect(await store.vectorStatus()).toBeNull();
      expect(await store.vectorSearch(unit([1, 0, 0, 0]), 5, { kbs: ["default"] })).toEqual([]);
      expect(await store.sampleVectorChunkIds(10)).toEqual([]);
      await expect(store.bindEmbedding(identity)).rejects.toThrow(/no embedding model \(lexical-only\)/);
    });

    it("exports every document whole, with its files, terms and vectors, in batches", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(identity);
      const a = doc("a", ["南京长江大桥", "桥梁的结构"], [[1, 0, 0, 0], [0, 1, 0, 0]], { section: "桥" });
      const b = doc("b", ["The river bridge"], [[0, 0, 1, 0]]);
      const first = await store.commitFile(file("z/a.txt", 5, 7), { document: a });
      await store.commitFile(file("a-copy.txt", 5, 8), { documentId: first.documentId });
      await store.commitFile(file("b.txt"), { document: b });
      const exported = [];
      for await (const d of store.exportDocuments({ batchSize: 1 })) exported.push(d);
      expect(exported).toEqual([
        { document: a, files: [file("a-copy.txt", 5, 8), file("z/a.txt", 5, 7)] },
        { document: b, files: [file("b.txt")] },
      ]);
    });

    it("gives back a document's whole text and page starts (a citation preview's context), nothing for an unknown id", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(null);
      const d = { ...doc("paged", ["第一页的内容", "第二页的内容"], null), pages: 2, pageStarts: [0, 8] };
      const { documentId } = await store.commitFile(file("p.pdf"), { document: d });
      expect(await store.documentText(documentId)).toEqual({ text: "第一页的内容\n\n第二页的内容", pageStarts: [0, 8] });
      expect(await store.documentText(documentId + 1000)).toBeUndefined();
    });

    it("samples chunks with vectors evenly over their ids", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(identity);
      const texts = Array.from({ length: 10 }, (_, i) => `第${i}段`);
      const { chunkIds } = await store.commitFile(file("a.txt"), { document: doc("a", texts, texts.map((_, i) => [1, i, 0, 0])) });
      expect(await store.sampleVectorChunkIds(4)).toEqual([chunkIds[0], chunkIds[2], chunkIds[5], chunkIds[7]]);
      expect(await store.sampleVectorChunkIds(50)).toEqual(chunkIds);
      expect(await store.sampleVectorChunkIds(0)).toEqual([]);
    });

    it("keeps calibrations by model; readers may save them too", async () => {
      const target = await factory.fresh();
      const writer = await open(target, { write: true });
      await writer.bindEmbedding(identity);
      const reader = await open(target);
      expect(await reader.readCalibration("f1")).toBeUndefined();
      await reader.saveCalibration("f1", { chunks: 120, calibration: { denseWeight: 0.01, probes: 64 } });
      expect(await writer.readCalibration("f1")).toEqual({ chunks: 120, calibration: { denseWeight: 0.01, probes: 64 } });
      await writer.saveCalibration("f1", { chunks: 150, calibration: { denseWeight: 1 } });
      expect(await reader.readCalibration("f1")).toEqual({ chunks: 150, calibration: { denseWeight: 1 } });
      expect(await reader.readCalibration("f2")).toBeUndefined();
    });

    it("lets one writer in at a time, naming the holder, and never blocks readers", async () => {
      const target = await factory.fresh();
      const writer = await open(target, { write: true, purpose: "ingest" });
      await expect(open(target, { write: true, purpose: "server delete" })).rejects.toThrow(StoreLockedError);
      await expect(open(target, { write: true })).rejects.toThrow(/another ingest \(pid \d+/);
      const reader = await open(target);
      expect(await reader.count("documents")).toBe(0);
      // Writes need the lock.
      await expect(reader.commitFile(file("a.txt"), { document: doc("a", ["甲"], null) })).rejects.toThrow(/write lock/);
      await expect(reader.removeFiles("default", ["a.txt"])).rejects.toThrow(/write lock/);
      await expect(reader.reset()).rejects.toThrow(/write lock/);
      await writer.close();
      const next = await open(target, { write: true });
      expect(next.writable).toBe(true);
    });

    it("a long-lived reader sees every write: documents at once, vectors after refreshVectors", async () => {
      const target = await factory.fresh();
      const writer = await open(target, { write: true });
      await writer.bindEmbedding(identity);
      await writer.commitFile(file("a.txt"), { document: doc("a", ["甲"], [[1, 0, 0, 0]]) });
      await writer.saveVectors();
      const reader = await open(target);
      expect(await reader.vectorStatus()).toEqual({ dimension: 4, count: 1 });
      const b = await writer.commitFile(file("b.txt"), { document: doc("b", ["南京长江大桥"], [[0, 1, 0, 0]]) });
      await writer.saveVectors();
      expect((await reader.lexicalSearch(lexicalQuery("长江大桥"), 5, { kbs: ["default"] })).map((h) => h.chunkId)).toEqual(b.chunkIds);
      expect((await reader.chunksByIds(b.chunkIds, { kbs: ["default"] })).map((c) => c.text)).toEqual(["南京长江大桥"]);
      await reader.refreshVectors();
      expect(await reader.vectorStatus()).toEqual({ dimension: 4, count: 2 });
      expect((await reader.vectorSearch(unit([0, 1, 0, 0]), 1, { kbs: ["default"] })).map((h) => h.chunkId)).toEqual(b.chunkIds);
    });

    it("leaves a term out of lexical queries once it is in over a quarter of the chunks, seeing every write", async () => {
      // "common" starts in 1,000 of 5,000 chunks (20%: kept), then in 2,000 of 6,000 (33%: left out), then back.
      // The reader is another handle; the writer also searches through its own. Both must see each change,
      // although an implementation may cache the count of so common a term between searches.
      const target = await factory.fresh();
      const writer = await open(target, { write: true });
      await writer.bindEmbedding(null);
      const base = Array.from({ length: 5000 }, (_, i) => (i < 1000 ? `common filler${i % 7}` : i < 1003 ? "rare plain" : `plain filler${i % 7}`));
      await writer.commitFile(file("base.txt"), { document: doc("base", base, null) });
      const reader = await open(target);
      const question = lexicalQuery("rare common");
      expect(question).toEqual(["rare", "common"]);
      const found = async (store: DocumentStore) => (await store.lexicalSearch(question, 5000, { kbs: ["default"] })).length;
      expect([await found(reader), await found(writer)]).toEqual([1003, 1003]);

      const more = Array.from({ length: 1000 }, (_, i) => `common extra${i % 5}`);
      await writer.commitFile(file("more.txt"), { document: doc("more", more, null) });
      expect([await found(reader), await found(writer)]).toEqual([3, 3]);
      // Left out, the common word no longer decides the order among the rare chunks either.
      const hits = await reader.lexicalSearch(question, 5000, { kbs: ["default"] });
      expect((await reader.chunksByIds(hits.map((h) => h.chunkId), { kbs: ["default"] })).map((c) => c.text)).toEqual(["rare plain", "rare plain", "rare plain"]);
      // A query made only of common words keeps its rarest one: "common" (2,000 chunks), not "plain" (4,000).
      expect(await reader.lexicalSearch(lexicalQuery("common plain"), 5000, { kbs: ["default"] })).toHaveLength(2000);

      await writer.removeFiles("default", ["more.txt"]);
      expect([await found(reader), await found(writer)]).toEqual([1003, 1003]);
    });

    it("keeps named knowledge bases: created, renamed and deleted whole, names checked, `default` always there", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(null);
      expect((await store.listKbs()).map((k) => k.name)).toEqual(["default"]);
      await store.createKb("财务-2024");
      await store.createKb("team_a");
      await expect(store.createKb("team_a")).rejects.toBeInstanceOf(KbExistsError);
      for (const bad of ["", "a/b", "..", ".hidden", "a b", "x".repeat(65)]) await expect(store.createKb(bad)).rejects.toBeInstanceOf(KbNameError);
      await expect(store.commitFile(file("x.txt", 1, 1, "nope"), { document: doc("x", ["无处"], null) })).rejects.toBeInstanceOf(UnknownKbError);

      const a = await store.commitFile(file("a.txt", 1, 1, "team_a"), { document: doc("a", ["甲方的合同"], null) });
      await store.commitFile(file("shared.txt", 1, 1, "team_a"), { document: doc("s", ["共享的章程"], null) });
      await store.commitFile(file("shared.txt", 1, 1, "default"), { documentId: (await store.documentIdForSha("s"))! });
      expect((await store.listKbs()).find((k) => k.name === "team_a")).toMatchObject({ files: 2, documents: 2, chunks: 2 });

      await store.renameKb("team_a", "team_b");
      await expect(store.renameKb("team_a", "x")).rejects.toBeInstanceOf(UnknownKbError);
      await expect(store.renameKb("default", "x")).rejects.toBeInstanceOf(KbNameError);
      await expect(store.renameKb("team_b", "财务-2024")).rejects.toBeInstanceOf(KbExistsError);
      expect([...(await store.files("team_b")).keys()].sort()).toEqual(["a.txt", "shared.txt"]);
      expect((await store.files("team_a")).size).toBe(0);

      // Deleting a base drops its files and the documents only they used; a document another base lists stays.
      await expect(store.deleteKb("default")).rejects.toBeInstanceOf(KbNameError);
      await expect(store.deleteKb("team_a")).rejects.toBeInstanceOf(UnknownKbError);
      expect(await store.deleteKb("team_b")).toBe(1);
      expect((await store.listKbs()).map((k) => k.name)).toEqual(["default", "财务-2024"]);
      expect(await store.chunksByIds(a.chunkIds, { kbs: ["default", "财务-2024"] })).toEqual([]);
      expect([await store.count("documents"), await store.count("files")]).toEqual([1, 1]);
      expect((await store.lexicalSearch(lexicalQuery("章程"), 5, { kbs: ["default"] })).length).toBe(1);
    });

    it("stores the same file in two bases once, and lists and cites it per base", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(identity);
      await store.createKb("hr");
      const first = await store.commitFile(file("rules/handbook.txt", 1, 1, "hr"), { document: doc("same", ["员工手册的内容"], [[1, 0, 0, 0]]) });
      const second = await store.commitFile(file("handbook-copy.txt", 1, 1, "default"), { documentId: first.documentId });
      // sameAs names only the same base's files: another base's names are not this one's business.
      expect(second.sameAs).toBeNull();
      expect(await store.count("documents")).toBe(1);
      expect((await store.listFiles({ kbs: ["hr"] })).map((f) => [f.kb, f.path])).toEqual([["hr", "rules/handbook.txt"]]);
      expect((await store.listFiles({ kbs: ["default"] })).map((f) => [f.kb, f.path])).toEqual([["default", "handbook-copy.txt"]]);
      expect((await store.listFiles({ kbs: ["default", "hr"] })).map((f) => f.kb)).toEqual(["default", "hr"]);
      expect((await store.chunksByIds(first.chunkIds, { kbs: ["hr"] }))[0].sources).toEqual([{ kb: "hr", path: "rules/handbook.txt" }]);
      expect((await store.chunksByIds(first.chunkIds, { kbs: ["default"] }))[0].paths).toEqual(["handbook-copy.txt"]);
      expect((await store.chunksByIds(first.chunkIds, { kbs: ["default", "hr"] }))[0].sources).toEqual([
        { kb: "default", path: "handbook-copy.txt" },
        { kb: "hr", path: "rules/handbook.txt" },
      ]);
      // Removing it from one base keeps the document for the other.
      expect(await store.removeFiles("hr", ["rules/handbook.txt", "handbook-copy.txt"])).toBe(0);
      expect(await store.chunksByIds(first.chunkIds, { kbs: ["hr"] })).toEqual([]);
      expect((await store.chunksByIds(first.chunkIds, { kbs: ["default"] }))[0].paths).toEqual(["handbook-copy.txt"]);
      expect(await store.removeFiles("default", ["handbook-copy.txt"])).toBe(1);
      expect(await store.count("documents")).toBe(0);
    });

    it("searches only the bases in scope, filtering inside the search so a small base still gets its hits", async () => {
      const store = await open(await factory.fresh(), { write: true });
      await store.bindEmbedding(identity);
      await store.createKb("small");
      // 300 chunks in the default base match "合同" better and lie nearer the query vector than small's 3.
      const big = Array.from({ length: 300 }, (_, i) => `合同 合同 合同 第${i}条`);
      await store.commitFile(file("big.txt"), { document: doc("big", big, big.map((_, i) => [1, 0.001 * i, 0, 0])) });
      const small = await store.commitFile(file("s.txt", 1, 1, "small"), {
        document: doc("small", ["合同 附件一", "合同 附件二", "合同 附件三"], [[0.2, 1, 0, 0], [0.2, 0, 1, 0], [0.2, 0, 0, 1]]),
      });
      const lexical = await store.lexicalSearch(lexicalQuery("合同"), 3, { kbs: ["small"] });
      expect(lexical.map((h) => h.chunkId).sort()).toEqual([...small.chunkIds].sort());
      const dense = await store.vectorSearch(unit([1, 0, 0, 0]), 3, { kbs: ["small"] });
      expect(dense.map((h) => h.chunkId).sort()).toEqual([...small.chunkIds].sort());
      expect((await store.vectorSearch(unit([1, 0, 0, 0]), 3, { kbs: ["default"] })).every((h) => !small.chunkIds.includes(h.chunkId))).toBe(true);
      expect((await store.lexicalSearch(lexicalQuery("合同"), 500, { kbs: ["default", "small"] })).length).toBe(303);
      expect(await store.lexicalSearch(lexicalQuery("合同"), 5, { kbs: ["nowhere"] })).toEqual([]);
      expect(await store.vectorSearch(unit([1, 0, 0, 0]), 5, { kbs: [] })).toEqual([]);
      expect(await store.chunksByIds(small.chunkIds, { kbs: ["default"] })).toEqual([]);
    });
  });
}
