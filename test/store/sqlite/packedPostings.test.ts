// The packed side index of the lexical search (src/store/sqlite/packedPostings.ts): a search reading common terms'
// lists from it gives exactly FTS5's BM25 top-k through commits, removals and refreshes (property-tested on the same
// randomised corpora as lexical.test.ts); each packed list equals FTS5's own; the index is rebuilt, extended, merged
// and dropped as the store grows and shrinks; check finds a damaged list; and ingest refreshes it.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ingestFolder } from "../../../src/ingest/pipeline.js";
import { checkStore } from "../../../src/store/check.js";
import type { StoreDatabase } from "../../../src/store/sqlite/database.js";
import { SqliteLexical } from "../../../src/store/sqlite/lexical.js";
import { PackedPostings } from "../../../src/store/sqlite/packedPostings.js";
import { SqliteStore } from "../../../src/store/sqlite/store.js";
import { tempDir, testSettings } from "../../helpers.js";
import { corpus, document, expectSameRanking, query } from "./lexicalCorpus.js";

const file = (name: string) => ({ kb: "default", path: name, size: 1, mtimeMs: 1 });

/** FTS5's own list of a term (chunk ids and counts), read occurrence by occurrence: what a packed list must equal. */
function ftsList(db: StoreDatabase, term: string): { chunks: number[]; counts: number[] } {
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.test_instances USING fts5vocab(main, 'chunks_fts', 'instance')");
  const chunks: number[] = [];
  const counts: number[] = [];
  for (const doc of db.prepare("SELECT doc FROM temp.test_instances WHERE term = ?").pluck().all(term) as number[]) {
    if (chunks[chunks.length - 1] === doc) counts[counts.length - 1] += 1;
    else {
      chunks.push(doc);
      counts.push(1);
    }
  }
  return { chunks, counts };
}

function packedTerms(db: StoreDatabase): string[] {
  return db.prepare("SELECT DISTINCT term FROM lexical_packed ORDER BY term").pluck().all() as string[];
}

function expectPackedEqualsFts(db: StoreDatabase): void {
  const packed = PackedPostings.load(db);
  expect(packed).not.toBeNull();
  for (const term of packedTerms(db)) {
    const list = packed!.list(term);
    expect({ chunks: [...list.chunks], counts: [...list.counts] }).toEqual(ftsList(db, term));
  }
}

const small = { floor: 8, minChunks: 40 };

describe("packed posting lists", () => {
  it("give FTS5's exact BM25 top-k through commits, removals and refreshes, and equal FTS5's lists (property)", async () => {
    const tally = { packedSearches: 0, afterDeletes: 0, stale: 0, searches: 0, rebuilt: 0, extended: 0 };
    const step = fc.constantFrom("add", "add", "remove", "refresh", "refresh");
    await fc.assert(
      fc.asyncProperty(corpus, fc.array(step, { minLength: 4, maxLength: 9 }), fc.array(query, { minLength: 3, maxLength: 6 }), fc.integer({ min: 1, max: 10 }), async (chunks, steps, queries, k) => {
        const store = SqliteStore.open(tempDir(), { write: true });
        try {
          await store.bindEmbedding(null);
          const files: string[] = [];
          for (let at = 0; at < chunks.length; at += 30) {
            await store.commitFile(file(`d${at}.txt`), { document: document(`sha-${at}`, chunks.slice(at, at + 30)) });
            files.push(`d${at}.txt`);
          }
          const first = await store.refreshLexicalIndex(small);
          expect(first.action).toBe("rebuilt");
          expectPackedEqualsFts(store.db);
          const lexical = new SqliteLexical(store.db);
          for (const [n, s] of steps.entries()) {
            if (s === "add") {
              // New chunks of words in other proportions: the corpus read backwards, a slice per step.
              const added = chunks.slice().reverse().slice(n * 7, n * 7 + 12 + n);
              if (added.length > 0) {
                await store.commitFile(file(`new${n}.txt`), { document: document(`new-${n}`, added) });
                files.push(`new${n}.txt`);
              }
            } else if (s === "remove" && files.length > 1) {
              await store.removeFiles("default", [files.splice(n % files.length, 1)[0]]);
            } else if (s === "refresh") {
              const { action } = await store.refreshLexicalIndex(small);
              if (action === "rebuilt") tally.rebuilt += 1;
              if (action === "extended") tally.extended += 1;
              if (action !== "dropped") expectPackedEqualsFts(store.db);
            }
            const usable = PackedPostings.load(store.db);
            const deletions = usable?.hasDeletions ?? false;
            for (const terms of queries) {
              const got = lexical.search(terms, k, null);
              const packedReads = lexical.lastPlan?.packedReads ?? 0;
              expectSameRanking(got, lexical.exactSearch(terms, k));
              tally.searches += 1;
              if (usable === null) tally.stale += 1;
              if (packedReads > 0) {
                tally.packedSearches += 1;
                if (deletions) tally.afterDeletes += 1;
              }
            }
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 20, seed: 29 },
    );
    // The comparisons prove something only if each path ran: packed lists, packed lists minus deleted chunks, and FTS5
    // while chunks newer than the side index exist; and refreshes both extended and rebuilt it.
    expect(tally.packedSearches).toBeGreaterThan(tally.searches / 10);
    expect(tally.afterDeletes).toBeGreaterThan(0);
    expect(tally.stale).toBeGreaterThan(0);
    expect(tally.extended).toBeGreaterThan(0);
    expect(tally.rebuilt).toBeGreaterThan(0);
  });

  it("is rebuilt, extended, merged and dropped as the store grows and shrinks, and an emptied store keeps none", async () => {
    const store = SqliteStore.open(tempDir(), { write: true });
    try {
      await store.bindEmbedding(null);
      const options = { floor: 50, minChunks: 100 };
      // 城市 in every chunk, 历史 in every other one, 桥梁 in every fifth: only the first two reach the floor of 50.
      const chunk = (i: number) => ["城市", ...(i % 2 === 0 ? ["历史", "历史"] : []), ...(i % 5 === 0 ? ["桥梁"] : []), `w${i}x`];
      const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => chunk(from + i));
      expect((await store.refreshLexicalIndex(options)).action).toBe("none");
      for (let i = 0; i < 5; i++) await store.commitFile(file(`a${i}.txt`), { document: document(`a${i}`, batch(i * 40, 40)) });
      const built = await store.refreshLexicalIndex(options);
      expect(built).toMatchObject({ action: "rebuilt", terms: 2, postings: 200 + 100 });
      expect(packedTerms(store.db)).toEqual(["历史", "城市"]);
      expect((await store.refreshLexicalIndex(options)).action).toBe("none");

      // Small additions are appended as segments; past eight a term's segments are merged into one.
      for (let i = 0; i < 10; i++) {
        await store.commitFile(file(`b${i}.txt`), { document: document(`b${i}`, batch(1000 + i * 4, 4)) });
        const extended = await store.refreshLexicalIndex(options);
        expect(extended).toMatchObject({ action: "extended", terms: 2, postings: 4 + 2 });
      }
      const segments = store.db.prepare("SELECT max(n) FROM (SELECT count(*) AS n FROM lexical_packed GROUP BY term)").pluck().get() as number;
      expect(segments).toBeLessThanOrEqual(8);
      expectPackedEqualsFts(store.db);
      const lexical = new SqliteLexical(store.db);
      const three = lexical.search(["城市", "历史", "桥梁"], 5, null);
      expect(lexical.lastPlan).toMatchObject({ path: "postings", packedReads: 2 });
      expectSameRanking(three, lexical.exactSearch(["城市", "历史", "桥梁"], 5));

      // A search scoped to one base of two sums the same packed lists and keeps the base's chunks.
      await store.createKb("small");
      const smallFile = await store.commitFile({ ...file("s.txt"), kb: "small" }, { document: document("s", batch(3000, 6)) });
      expect((await store.refreshLexicalIndex(options)).action).toBe("extended");
      const scoped = lexical.search(["城市", "历史"], 4, ["small"]);
      expect(lexical.lastPlan).toMatchObject({ path: "postings", packedReads: 2 });
      expectSameRanking(scoped, lexical.exactSearch(["城市", "历史"], 4, ["small"]));
      expect(scoped.map((h) => h.chunkId).every((id) => smallFile.chunkIds.includes(id))).toBe(true);
      await store.deleteKb("small");

      // Removals are filtered out at once, before any refresh.
      await store.removeFiles("default", ["a0.txt", "b3.txt"]);
      const two = lexical.search(["历史", "w7x"], 5, null);
      expect(lexical.lastPlan?.packedReads).toBe(1);
      expectSameRanking(two, lexical.exactSearch(["历史", "w7x"], 5));
      // A large addition (over a quarter of the store) rebuilds instead of appending.
      await store.commitFile(file("c.txt"), { document: document("c", batch(5000, 120)) });
      expect(lexical.search(["城市"], 3, null).length).toBe(3);
      expect(lexical.lastPlan?.packedReads).toBe(0);
      expect((await store.refreshLexicalIndex(options)).action).toBe("rebuilt");
      expect(store.db.prepare("SELECT count(*) FROM lexical_packed_dead").pluck().get()).toBe(0);
      expectPackedEqualsFts(store.db);

      // Below the minimum size the side index goes; emptying the store (reset) drops it before deleting anything.
      await store.removeFiles("default", ["c.txt", "a1.txt", "a2.txt", "a3.txt", "a4.txt"]);
      expect((await store.refreshLexicalIndex(options)).action).toBe("dropped");
      expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'lexical_packed%'").pluck().all()).toEqual([]);
      await store.commitFile(file("c.txt"), { document: document("c", batch(5000, 120)) });
      expect((await store.refreshLexicalIndex(options)).action).toBe("rebuilt");
      await store.reset();
      expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'lexical_packed%'").pluck().all()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("is verified by check, which names a packed list that differs from FTS5's", async () => {
    const storeDir = tempDir();
    const store = SqliteStore.open(storeDir, { write: true });
    await store.bindEmbedding(null);
    await store.commitFile(file("a.txt"), { document: document("a", Array.from({ length: 60 }, (_, i) => ["城市", ...(i % 3 === 0 ? ["历史"] : []), `w${i}x`])) });
    await store.refreshLexicalIndex({ floor: 10, minChunks: 10 });
    await store.close();
    expect((await checkStore(storeDir)).problems).toEqual([]);
    // One posting too few in 历史's list, as a damaged file or a faulty write would leave it.
    const damaged = new Database(path.join(storeDir, "index.sqlite"));
    damaged.exec("UPDATE lexical_packed SET n = n - 1, chunks = substr(chunks, 1, length(chunks) - 4), counts = substr(counts, 1, length(counts) - 2) WHERE term = '历史'");
    damaged.close();
    const report = await checkStore(storeDir);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/packed posting list of "历史" differs from FTS5's \(19 chunks against 20\)/)]);
  });

  it("is refreshed by ingest: a small store's side index is dropped at the end of an ingest", async () => {
    const storeDir = tempDir();
    const store = SqliteStore.open(storeDir, { write: true });
    await store.bindEmbedding(null);
    await store.commitFile(file("old.txt"), { document: document("old", Array.from({ length: 60 }, (_, i) => ["城市", `w${i}x`])) });
    expect((await store.refreshLexicalIndex({ floor: 10, minChunks: 10 })).action).toBe("rebuilt");
    await store.close();
    const inbox = tempDir();
    fs.writeFileSync(path.join(inbox, "new.txt"), "城市的历史很长。");
    await ingestFolder({ settings: testSettings({ store: storeDir, inbox, model: "none" }) });
    const after = SqliteStore.open(storeDir);
    try {
      // The default minimum is far above this store's size.
      expect(after.db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'lexical_packed%'").pluck().all()).toEqual([]);
    } finally {
      await after.close();
    }
  });
});
