// The HNSW half of the store on real hnswlib: the search breadth grows with the graph, survives a save and load
// (hnswlib resets it to 10 on every read), and an explicit breadth wins.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultEfSearch } from "../../../src/store/ranking.js";
import { HnswVectorIndex as VectorIndex } from "../../../src/store/sqlite/hnswVectorIndex.js";
import { tempDir } from "../../helpers.js";
import { unitVectors } from "../fixtures.js";

describe("VectorIndex search breadth", () => {
  it("is 64 up to 128k vectors, then grows with the graph to 500 at 1M and at most 1024", () => {
    expect([0, 10_000, 100_000, 128_000].map(defaultEfSearch)).toEqual([64, 64, 64, 64]);
    expect(defaultEfSearch(500_000)).toBe(250);
    expect(defaultEfSearch(1_000_000)).toBe(500);
    expect(defaultEfSearch(10_000_000)).toBe(1024);
  });

  it("finds every stored vector as its own nearest neighbour after a save and load, and an explicit ef wins", () => {
    const dimension = 16;
    const vectors = unitVectors(3000, dimension, 7);
    const index = VectorIndex.create({ dimension });
    vectors.forEach((v, i) => index.add(i + 1, v));
    expect(index.searchEf).toBe(64);
    const file = path.join(tempDir(), "vectors.hnsw");
    index.save(file);

    const { index: loaded, problem } = VectorIndex.load(file, { dimension });
    expect(problem).toBeNull();
    expect(loaded.size).toBe(3000);
    expect(loaded.searchEf).toBe(64);
    for (let i = 0; i < vectors.length; i += 97) {
      const [best] = loaded.search(vectors[i], 5);
      expect(best.chunkId).toBe(i + 1);
      expect(best.similarity).toBeCloseTo(1, 5);
    }
    expect(VectorIndex.load(file, { dimension, efSearch: 200 }).index.searchEf).toBe(200);
  });
});
