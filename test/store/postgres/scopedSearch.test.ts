// Scoped searches on the PostgreSQL store: a base of three chunks in a store of thousands, its chunks the farthest
// from the query, gets its k nearest in order, whether the planner answers it exactly (its choice for a tiny base) or
// through the HNSW index, where pgvector's iterative scan goes on until k candidates pass the filter (without it the
// same scan finds fewer); lexical scores are the whole store's, so a chunk scores the same scoped or not.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../src/store/open.js";
import { lexicalQuery } from "../../../src/store/segment.js";
import { doc, file, identity } from "../fixtures.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

/** A small seeded generator (mulberry32), so the store is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("PostgreSQL scoped search", () => {
  it("gives a tiny base its k nearest through the HNSW index, and the same BM25 scores as an unscoped search", async () => {
    const url = await freshDatabase();
    const store = await openStore(url, { write: true });
    try {
      await store.bindEmbedding(identity);
      await store.createKb("small");
      const next = random(7);
      // 4,000 chunks in default, leaning towards the query's side; 40 documents of 100.
      for (let d = 0; d < 40; d++) {
        const texts = Array.from({ length: 100 }, (_, i) => `合同 条款 第${d}-${i}条${i % 10 === 0 ? " 保密" : ""}`);
        const vectors = texts.map(() => [1 + next(), next() - 0.5, next() - 0.5, next() - 0.5]);
        await store.commitFile(file(`d${d}.txt`), { document: doc(`d${d}`, texts, vectors) });
      }
      // The small base's three chunks point away from the query: the last the index would reach.
      const small = await store.commitFile(file("s.txt", 10, 1, "small"), {
        document: doc("s", ["保密 甲", "保密 乙", "保密 丙"], [[-1, 0.1, 0, 0], [-1, 0.3, 0, 0], [-1, 0.6, 0, 0]]),
      });

      // Left to itself the planner answers a tiny base exactly (its few chunks by document, then sorted).
      const query = Float32Array.from([1, 0, 0, 0]);
      const farthestFirst = [...small.chunkIds].reverse(); // [-1, 0.6, 0, 0] is the least far from the query
      const hits = await store.vectorSearch(query, 3, { kbs: ["small"] });
      expect(hits.map((h) => h.chunkId)).toEqual(farthestFirst);
      expect(hits[0].similarity).toBeGreaterThan(hits[1].similarity);
      expect(hits[1].similarity).toBeGreaterThan(hits[2].similarity);
      expect(await store.vectorSearch(query, 10, { kbs: ["small"] })).toHaveLength(3);
      const everywhere = await store.vectorSearch(query, 10, { kbs: ["default", "small"] });
      expect(everywhere).toHaveLength(10);
      expect(everywhere.some((h) => small.chunkIds.includes(h.chunkId))).toBe(false);

      // Pushed onto the HNSW index (sorting disabled, as the planner may choose for a larger base), the filtered scan
      // alone would find none of the three among its ef_search candidates; the iterative scan finds all three.
      const indexOnly = `${url}?options=${encodeURIComponent("-c enable_sort=off")}`;
      const client = new pg.Client({ connectionString: indexOnly });
      await client.connect();
      try {
        await client.query("ANALYZE");
        const shape = `SELECT c.id FROM chunks c WHERE c.vector IS NOT NULL AND EXISTS
             (SELECT 1 FROM files f WHERE f.document_id = c.document_id AND f.kb = ANY('{small}'::text[]))
           ORDER BY c.vector::vector(4) <=> '[1,0,0,0]'::vector(4) LIMIT 3`;
        const plan = await client.query(`EXPLAIN ${shape}`);
        expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("chunks_vector_4");
        expect((await client.query(shape)).rows.length).toBeLessThan(3);
      } finally {
        await client.end();
      }
      const reader = await openStore(indexOnly);
      try {
        expect((await reader.vectorSearch(query, 3, { kbs: ["small"] })).map((h) => h.chunkId)).toEqual(farthestFirst);
      } finally {
        await reader.close();
      }

      // Lexical: the small base gets its three of the 403 chunks with the term, scored as in a search of every base.
      const scoped = await store.lexicalSearch(lexicalQuery("保密"), 3, { kbs: ["small"] });
      expect(scoped.map((h) => h.chunkId).sort((a, b) => a - b)).toEqual(small.chunkIds);
      const all = new Map((await store.lexicalSearch(lexicalQuery("保密"), 5000, { kbs: ["default", "small"] })).map((h) => [h.chunkId, h.score]));
      expect(all.size).toBe(403);
      for (const h of scoped) expect(h.score).toBe(all.get(h.chunkId));
    } finally {
      await store.close();
    }
  });
});
