// The lexical search summed from FTS5's posting lists gives FTS5's exact BM25 top-k: property-tested (fast-check) on
// randomised corpora of Zipf-distributed words, Chinese and English, with words unicode61 cuts or folds (accents, dots,
// full-width letters) mixed in, against the same store's FTS5 bm25() search; and it follows writes.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { bm25Idf, bm25Term, readFtsTotals } from "../../../src/store/sqlite/bm25.js";
import { SqliteLexical } from "../../../src/store/sqlite/lexical.js";
import { SqliteStore } from "../../../src/store/sqlite/store.js";
import { tempDir } from "../../helpers.js";
import { corpus, document, expectSameRanking, query } from "./lexicalCorpus.js";

describe("SqliteLexical", () => {
  const stores: SqliteStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  it("computes FTS5's bm25 itself, to the last bit, and leaves terms FTS5 would cut or fold to FTS5", async () => {
    const store = SqliteStore.open(tempDir(), { write: true });
    stores.push(store);
    await store.bindEmbedding(null);
    await store.commitFile({ kb: "default", path: "a.txt", size: 1, mtimeMs: 1 }, {
      document: document("a", [["桥梁", "长江", "桥梁", "café", "u.s."], ["长江", "city"], ["river", "桥梁", "ｘｙ", "naïve"], ["历史"]]),
    });
    const lexical = new SqliteLexical(store.db);
    const { rows, tokens } = readFtsTotals(store.db, "chunks_fts");
    expect(rows).toBe(4);
    expect(tokens).toBe(5 + 1 + 2 + 4 + 1);
    const exact = lexical.exactSearch(["桥梁"], 5);
    const idf = bm25Idf(rows, 2);
    expect(exact[0].score).toBeCloseTo(bm25Term(idf, 2, 6, tokens / rows), 12);
    // The summed search gives FTS5's very number, not merely a close one.
    expect(lexical.search(["桥梁"], 5, null)).toEqual(exact);
    expect(lexical.lastPlan?.path).toBe("postings");
    // Token counts of two and three varint bytes (≥ 128, ≥ 16384) are read as FTS5 wrote them.
    const long = (n: number) => Array.from({ length: n }, (_, i) => (i % 50 === 0 ? "桥梁" : `w${i % 7}`));
    await store.commitFile({ kb: "default", path: "b.txt", size: 1, mtimeMs: 1 }, { document: document("b", [long(300), long(17_000)]) });
    expect(lexical.search(["桥梁", "w3"], 10, null)).toEqual(lexical.exactSearch(["桥梁", "w3"], 10));
    // Full-width letters are a token of their own that the plain-term check does not vouch for: FTS5 answers.
    expect(lexical.search(["ｘｙ", "长江"], 5, null)).toEqual(lexical.exactSearch(["ｘｙ", "长江"], 5));
    lexical.search(["ｘｙ", "长江"], 5, null);
    expect(lexical.lastPlan?.path).toBe("fts5");
  });

  it("returns exactly FTS5's BM25 top-k on randomised corpora, summing most of them from posting lists", async () => {
    let summed = 0;
    let searches = 0;
    await fc.assert(
      fc.asyncProperty(corpus, fc.array(query, { minLength: 5, maxLength: 12 }), fc.integer({ min: 1, max: 12 }), async (chunks, queries, k) => {
        const store = SqliteStore.open(tempDir(), { write: true });
        try {
          await store.bindEmbedding(null);
          for (let at = 0; at < chunks.length; at += 50)
            await store.commitFile({ kb: "default", path: `d${at}.txt`, size: 1, mtimeMs: 1 }, { document: document(`sha-${at}`, chunks.slice(at, at + 50)) });
          const lexical = new SqliteLexical(store.db);
          for (const terms of queries) {
            const got = lexical.search(terms, k, null);
            if (lexical.lastPlan?.path === "postings") summed += 1;
            searches += 1;
            expectSameRanking(got, lexical.exactSearch(terms, k));
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 25, seed: 16 },
    );
    // The comparison proves nothing if the summed path never ran.
    expect(summed).toBeGreaterThan(searches / 2);
  });

  it("scoped to some knowledge bases, returns exactly FTS5's scoped BM25 top-k (whole-index statistics, filtered before the top k)", async () => {
    let summed = 0;
    let searches = 0;
    let smallFull = 0;
    // Each document of 20 chunks goes to `default`, to the smaller base `small`, or to both (one shared document).
    const placement = fc.array(fc.constantFrom("default", "default", "default", "small", "both"), { minLength: 20, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(corpus, placement, fc.array(query, { minLength: 4, maxLength: 8 }), fc.integer({ min: 1, max: 12 }), async (chunks, places, queries, k) => {
        const store = SqliteStore.open(tempDir(), { write: true });
        try {
          await store.bindEmbedding(null);
          await store.createKb("small");
          const basesOf = new Map<number, string[]>();
          for (let at = 0, n = 0; at < chunks.length; at += 20, n += 1) {
            const place = places[n % places.length];
            const bases = place === "both" ? ["default", "small"] : [place];
            const first = await store.commitFile({ kb: bases[0], path: `d${at}.txt`, size: 1, mtimeMs: 1 }, { document: document(`sha-${at}`, chunks.slice(at, at + 20)) });
            if (bases.length > 1) await store.commitFile({ kb: bases[1], path: `copy-${at}.txt`, size: 1, mtimeMs: 1 }, { documentId: first.documentId });
            for (const id of first.chunkIds) basesOf.set(id, bases);
          }
          const lexical = new SqliteLexical(store.db);
          for (const terms of queries) {
            for (const kbs of [["small"], ["default"]]) {
              const got = lexical.search(terms, k, kbs);
              if (lexical.lastPlan?.path === "postings") summed += 1;
              searches += 1;
              const exact = lexical.exactSearch(terms, k, kbs);
              expectSameRanking(got, exact);
              for (const hit of got) expect(basesOf.get(hit.chunkId)).toContain(kbs[0]);
              // The store's own search (a scope naming one base of two is filtered) agrees.
              expectSameRanking(await store.lexicalSearch(terms, k, { kbs }), exact);
              if (kbs[0] === "small" && got.length === k && lexical.exactSearch(terms, 10_000, null).length > k) smallFull += 1;
            }
            // A scope naming every base is no scope at all.
            expect(await store.lexicalSearch(terms, k, { kbs: ["small", "default"] })).toEqual(lexical.search(terms, k, null));
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 15, seed: 14 },
    );
    expect(summed).toBeGreaterThan(searches / 2);
    // Some scoped searches filled all k places from the small base while other bases held more matches.
    expect(smallFull).toBeGreaterThan(0);
  });

  it("follows writes: a search after a commit or a removal ranks the store as it now is", async () => {
    const store = SqliteStore.open(tempDir(), { write: true });
    stores.push(store);
    await store.bindEmbedding(null);
    const common = (i: number) => (i % 2 === 0 ? ["城市", "历史"] : ["城市"]);
    const chunks = Array.from({ length: 60 }, (_, i) => [...common(i), i % 7 === 0 ? "桥梁" : "河流"]);
    await store.commitFile({ kb: "default", path: "a.txt", size: 1, mtimeMs: 1 }, { document: document("a", chunks) });
    const lexical = new SqliteLexical(store.db);
    const terms = ["城市", "桥梁"];
    const before = lexical.search(terms, 5, null);
    expect(lexical.lastPlan?.path).toBe("postings");
    expectSameRanking(before, lexical.exactSearch(terms, 5));
    const added = await store.commitFile({ kb: "default", path: "b.txt", size: 1, mtimeMs: 1 }, { document: document("b", [["桥梁", "桥梁", "桥梁", "城市"]]) });
    const after = lexical.search(terms, 5, null);
    expect(lexical.lastPlan?.path).toBe("postings");
    expect(after[0].chunkId).toBe(added.chunkIds[0]);
    expectSameRanking(after, lexical.exactSearch(terms, 5));
    // A scope follows files moving in and out of a base (its chunk set is cached per content version).
    await store.createKb("other");
    expect(lexical.search(terms, 5, ["other"])).toEqual([]);
    await store.commitFile({ kb: "other", path: "b.txt", size: 1, mtimeMs: 1 }, { documentId: added.documentId });
    expect(lexical.search(terms, 5, ["other"]).map((h) => h.chunkId)).toEqual([added.chunkIds[0]]);
    await store.removeFiles("other", ["b.txt"]);
    expect(lexical.search(terms, 5, ["other"])).toEqual([]);
    await store.removeFiles("default", ["b.txt"]);
    const removed = lexical.search(terms, 5, null);
    expect(removed.map((h) => h.chunkId)).not.toContain(added.chunkIds[0]);
    expectSameRanking(removed, lexical.exactSearch(terms, 5));
  });
});
