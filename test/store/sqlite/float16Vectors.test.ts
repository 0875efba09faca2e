// The float16 vector index (usearch, vectors.usearch) on the real library: it finds what exact search finds, scoped
// searches return only allowed chunks (exactly, for a small scope), a damaged file is refused before usearch reads it
// (usearch itself aborts the process on one), and a store converts between precisions through a writer.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkStore } from "../../../src/store/check.js";
import { openStore } from "../../../src/store/open.js";
import { SqliteStore } from "../../../src/store/sqlite/store.js";
import { UsearchVectorIndex } from "../../../src/store/sqlite/usearchVectorIndex.js";
import { cosine, type VectorSource } from "../../../src/store/sqlite/vectorIndex.js";
import { tempDir } from "../../helpers.js";
import { seededRandom } from "../../reliability/fixtures.js";
import { doc, file, unitVectors } from "../fixtures.js";

/** Exact top k by cosine among `ids` (1-based labels into `vectors`). */
function exactTop(vectors: Float32Array[], query: Float32Array, k: number, ids?: Iterable<number>): number[] {
  const all = ids ? [...ids] : vectors.map((_, i) => i + 1);
  return all
    .map((id) => ({ id, s: cosine(query, vectors[id - 1]) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((h) => h.id);
}

const dimension = 16;
const vectors = unitVectors(3000, dimension, 11);
const queries = unitVectors(40, dimension, 12);
const source: VectorSource = {
  *vectors(ids) {
    for (const chunkId of ids) yield { chunkId, vector: vectors[chunkId - 1] };
  },
};

function filledIndex(): UsearchVectorIndex {
  const index = UsearchVectorIndex.create({ dimension, source });
  vectors.forEach((v, i) => index.add(i + 1, v));
  return index;
}

describe("float16 vector index (usearch)", () => {
  it("finds exact search's top 10 after a save and load, each vector its own nearest, and reloads for another ef", () => {
    const file = path.join(tempDir(), "vectors.usearch");
    filledIndex().save(file);
    const { index, problem } = UsearchVectorIndex.load(file, { dimension, source });
    expect(problem).toBeNull();
    expect(index.size).toBe(3000);
    expect(index.searchEf).toBe(64);
    for (let i = 0; i < vectors.length; i += 97) {
      const [best] = index.search(vectors[i], 5);
      expect(best.chunkId).toBe(i + 1);
      expect(best.similarity).toBeCloseTo(1, 3);
    }
    let found = 0;
    for (const q of queries) {
      const exact = new Set(exactTop(vectors, q, 10));
      found += index.search(q, 10).filter((h) => exact.has(h.chunkId)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    // Another breadth reloads the saved file: the same vectors, searched wider.
    const wide = index.search(queries[0], 10, 400);
    expect(wide.map((h) => h.chunkId)).toEqual(exactTop(vectors, queries[0], 10));
  });

  it("returns only the allowed chunks of a scoped search: exactly for a small scope, by wider search for a large one", () => {
    const index = filledIndex();
    const random = seededRandom(5);
    const small = new Set(Array.from({ length: 40 }, () => 1 + Math.floor(random() * 3000)));
    const large = new Set(vectors.map((_, i) => i + 1).filter((id) => id % 2 === 0));
    let largeFound = 0;
    for (const q of queries) {
      expect(index.search(q, 10, undefined, small).map((h) => h.chunkId)).toEqual(exactTop(vectors, q, 10, small));
      const hits = index.search(q, 10, undefined, large);
      expect(hits).toHaveLength(10);
      expect(hits.every((h) => large.has(h.chunkId))).toBe(true);
      const exact = new Set(exactTop(vectors, q, 10, large));
      largeFound += hits.filter((h) => exact.has(h.chunkId)).length;
    }
    expect(largeFound / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    // A scope smaller than k gives all of it, and a scope of removed chunks nothing.
    expect(index.search(queries[0], 10, undefined, new Set([7, 8, 9])).map((h) => h.chunkId).sort()).toEqual([7, 8, 9]);
    index.remove([7, 8, 9]);
    expect(index.holds(8)).toBe(false);
    expect(index.search(queries[0], 10, undefined, new Set([7, 8, 9]))).toEqual([]);
    expect(index.deletedCount).toBe(3);
  });

  it("refuses a damaged, cut or foreign file with a reason, before usearch reads it, and the process lives on", () => {
    const dir = tempDir();
    const file = path.join(dir, "vectors.usearch");
    filledIndex().save(file);
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)] ^= 0xff;
    const cases: Array<[Buffer | string, RegExp]> = [
      [good.subarray(0, Math.floor(good.length / 2)), /trailer/],
      [flipped, /checksum mismatch/],
      ["not an index at all, and long enough to hold a trailer", /trailer/],
      ["", /too short/],
    ];
    for (const [content, reason] of cases) {
      fs.writeFileSync(file, content);
      const { index, problem } = UsearchVectorIndex.load(file, { dimension });
      expect(problem).toMatch(/vectors\.usearch unreadable/);
      expect(problem).toMatch(reason);
      expect(index.size).toBe(0);
    }
    fs.writeFileSync(file, good);
    expect(UsearchVectorIndex.load(file, { dimension: 8 }).problem).toMatch(/dimension 16, the store's is 8/);
    expect(UsearchVectorIndex.load(file, { dimension }).index.size).toBe(3000);
  });
});

describe("a store's vector precision", () => {
  const identity = { name: "test.gguf", fingerprint: "f1", dimension };
  const texts = (n: number, from: number) => Array.from({ length: n }, (_, i) => `第${from + i}段`);

  it("is float32 unless asked; a writer asked for the other converts the index from SQLite, readers keep it", async () => {
    const dir = tempDir();
    let store = SqliteStore.open(dir, { write: true });
    await store.bindEmbedding(identity);
    const committed = await store.commitFile(file("a.txt"), { document: doc("a", texts(200, 0), vectors.slice(0, 200).map((v) => [...v])) });
    await store.close();
    expect(fs.existsSync(path.join(dir, "vectors.hnsw"))).toBe(true);
    const nearest = async (s: SqliteStore) => (await s.vectorSearch(queries[0], 5, { kbs: ["default"] })).map((h) => h.chunkId);
    const before = await nearest((store = SqliteStore.open(dir)));
    await store.close();
    expect(before).toEqual(exactTop(vectors, queries[0], 5, committed.chunkIds.map((_, i) => i + 1)).map((i) => committed.chunkIds[i - 1]));

    // Through openStore and settings, as ingest opens it.
    const converted = (await openStore({ store: dir, vectorPrecision: "float16" }, { write: true, purpose: "ingest" })) as SqliteStore;
    expect(converted.vectorPrecision).toBe("float16");
    expect(await nearest(converted)).toEqual(before);
    await converted.close();
    expect(fs.existsSync(path.join(dir, "vectors.usearch"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "vectors.hnsw"))).toBe(false);
    expect(await checkStore(dir)).toMatchObject({ ok: true, vectors: 200 });

    // A reader, and a writer that asks nothing, keep float16.
    store = SqliteStore.open(dir, { write: true });
    expect(store.vectorPrecision).toBe("float16");
    expect(await nearest(store)).toEqual(before);
    await store.close();

    store = SqliteStore.open(dir, { write: true, vectorPrecision: "float32" });
    expect(await nearest(store)).toEqual(before);
    await store.close();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("vectors."))).toEqual(["vectors.hnsw"]);
    expect((await checkStore(dir)).ok).toBe(true);
  });

  it("check names chunks a float16 file lacks, and a damaged file, without repairing either", async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir, { write: true, vectorPrecision: "float16" });
    await store.bindEmbedding(identity);
    await store.commitFile(file("a.txt"), { document: doc("a", texts(3, 0), vectors.slice(0, 3).map((v) => [...v])) });
    await store.saveVectors();
    const saved = fs.readFileSync(path.join(dir, "vectors.usearch"));
    const b = await store.commitFile(file("b.txt"), { document: doc("b", texts(2, 3), vectors.slice(3, 5).map((v) => [...v])) });
    await store.close();
    fs.writeFileSync(path.join(dir, "vectors.usearch"), saved);
    const report = await checkStore(dir);
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toContain(`chunks missing from vectors.usearch: ${b.chunkIds.join(", ")}`);

    fs.writeFileSync(path.join(dir, "vectors.usearch"), saved.subarray(0, 100));
    expect((await checkStore(dir)).problems.join("\n")).toMatch(/vectors\.usearch unreadable: no alpaca-rag trailer/);
    expect(fs.readFileSync(path.join(dir, "vectors.usearch"))).toHaveLength(100);
  });
});
