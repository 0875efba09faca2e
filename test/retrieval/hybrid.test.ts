import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import type { Embedder } from "../../src/models/embedder.js";
import { retrieve, retrieveDetailed } from "../../src/retrieval/hybrid.js";
import type { DocumentStore } from "../../src/store/contract.js";
import { EmbedderMismatchError } from "../../src/store/embedding.js";
import { SqliteStore } from "../../src/store/sqlite/store.js";
import { testSettings } from "../helpers.js";
import { ingestedStore, type IngestedStore } from "./fixtures.js";
import { bigramEmbedder } from "./bigramEmbedder.js";

// Short made-up texts; the lighthouse one is long enough for several chunks with stories260K's tokenizer.
const lighthouse = [
  "灯塔建在岬角最高的岩石上，塔身漆成红白相间的条纹。",
  "守塔人每天傍晚爬上一百二十级台阶，点亮灯塔顶端的透镜。",
  "灯塔的光每十五秒闪一次，二十海里外的渔船都能看见。",
  "风暴来临时，守塔人要整夜守在灯塔里，记录风向和浪高。",
  "后来灯塔改用电力，守塔人的小屋也变成了灯塔纪念馆。",
].join("");
const files = {
  "garden.txt": "城西植物园的温室里种着三百多种热带植物，其中最高的是一棵二十米的椰子树。温室冬季也保持二十五度。",
  "museum.txt": "海港博物馆收藏了一艘明代的木制帆船残骸，船身长十四米，是在港口疏浚时被发现的。",
  "library.txt": "老城图书馆每周二闭馆整理书架，其余日子从早上八点开放到晚上九点。馆内有一间专门存放地方志的阅览室。",
  "lighthouse.txt": lighthouse,
};

let fixture: IngestedStore;
let dir: string;
let inbox: string;
let embedder: Embedder;
let store: DocumentStore;

beforeAll(async () => {
  fixture = await ingestedStore(files);
  expect(fixture.summary.failed).toEqual([]);
  ({ dir, inbox, embedder, store } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe("retrieve (stories260K, real SQLite and hnswlib)", () => {
  it("finds the document that answers, joined with SQLite, with both retrievers' ranks and timings", async () => {
    const result = await retrieveDetailed({ kbs: ["default"], store, embedder, query: "博物馆里的帆船是什么时候的？", k: 3, candidates: 20 });
    expect(result.mode).toBe("hybrid");
    // stories260K cannot prove itself on four documents: its ranks only fill in behind the lexical ones.
    expect(result.weights).toEqual({ dense: 0.01, lexical: 1 });
    const top = result.chunks[0];
    expect(top.source).toBe("museum.txt");
    expect(top.paths).toEqual(["museum.txt"]);
    expect(top.text).toBe(files["museum.txt"]);
    expect([top.page, top.pageEnd, top.section, top.charStart, top.charEnd]).toEqual([null, null, null, 0, files["museum.txt"].length]);
    expect(top.lexicalRank).toBe(1);
    expect(top.denseRank).toBeGreaterThanOrEqual(1);
    expect(top.tokenCount).toBeGreaterThan(0);
    expect(top.chunkIds).toEqual([top.chunkId]);
    expect(result.chunks.length).toBeLessThanOrEqual(3);
    expect(result.chunks.map((c) => c.score)).toEqual([...result.chunks.map((c) => c.score)].sort((a, b) => b - a));
    expect(result.timings.embedMs).toBeGreaterThan(0);
    expect(result.timings.denseMs).toBeGreaterThan(0);
    expect(result.timings.lexicalMs).toBeGreaterThan(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.embedMs + result.timings.lexicalMs);
  });

  it("is lexical-only without an embedder, and dense-only when the lexical weight is 0", async () => {
    const lexical = await retrieveDetailed({ kbs: ["default"], store, embedder: null, query: "图书馆星期二开门吗", k: 2, candidates: 10 });
    expect(lexical.mode).toBe("lexical");
    expect(lexical.timings.embedMs).toBe(0);
    expect(lexical.chunks[0].source).toBe("library.txt");
    expect(lexical.chunks.every((c) => c.denseRank === undefined && c.lexicalRank !== undefined)).toBe(true);

    const dense = await retrieveDetailed({ kbs: ["default"], store, embedder, query: "图书馆", k: 5, candidates: 5, weights: { dense: 1, lexical: 0 } });
    expect(dense.mode).toBe("dense");
    expect(dense.chunks.map((c) => c.denseRank)).toEqual([1, 2, 3, 4, 5]);
    expect(dense.chunks.every((c) => c.lexicalRank === undefined)).toBe(true);
  });

  it("lets the dense side fill in when no word of the question is in any document", async () => {
    const result = await retrieveDetailed({ kbs: ["default"], store, embedder, query: "zqxv wkpj", k: 3, candidates: 10 });
    expect(result.lexicalCandidates).toBe(0);
    expect(result.chunks).toHaveLength(3);
    expect(result.chunks.map((c) => c.denseRank)).toEqual([1, 2, 3]);
    expect(await retrieve({ kbs: ["default"], store, embedder: null, query: "zqxv wkpj", k: 3, candidates: 10 })).toEqual([]);
  });

  it("returns nothing for a blank question", async () => {
    expect(await retrieve({ kbs: ["default"], store, embedder, query: "  \n", k: 3, candidates: 10 })).toEqual([]);
  });

  it("merges neighbouring chunks into one passage without repeating their overlap", async () => {
    const chunks = await retrieve({ kbs: ["default"], store, embedder, query: "灯塔 守塔人", k: 20, candidates: 20 });
    const fromLighthouse = chunks.filter((c) => c.source === "lighthouse.txt");
    expect(fromLighthouse.length).toBeGreaterThan(2);
    const merged = await retrieve({ kbs: ["default"], store, embedder, query: "灯塔 守塔人", k: 20, candidates: 20, mergeNeighbours: true });
    const passages = merged.filter((c) => c.source === "lighthouse.txt");
    expect(passages).toHaveLength(1);
    expect(passages[0].text).toBe(lighthouse);
    expect([passages[0].charStart, passages[0].charEnd]).toEqual([0, lighthouse.length]);
    expect([...passages[0].chunkIds].sort((a, b) => a - b)).toEqual(fromLighthouse.map((c) => c.chunkId).sort((a, b) => a - b));
    expect(passages[0].score).toBe(Math.max(...fromLighthouse.map((c) => c.score)));
  });

  it("never surfaces a vector whose chunk is gone from SQLite, and ranks only live chunks", async () => {
    // A separate store with the same content, so deleting behind the index's back does not disturb the other tests.
    const settings = testSettings({ store: path.join(dir, "store-copy"), inbox });
    await ingestFolder({ settings, embedder });
    const copy = SqliteStore.open(settings.store);
    try {
      const [garden] = await retrieve({ kbs: ["default"], store: copy, embedder: null, query: "植物园温室", k: 1, candidates: 5 });
      expect(garden.source).toBe("garden.txt");
      const vector = await embedder.embedQuery(garden.text);
      expect((await copy.vectorSearch(vector, 1, { kbs: ["default"] }))[0].chunkId).toBe(garden.chunkId);
      // As after a crash between SQLite's delete and the index's: the vector stays, the chunk is gone.
      copy.db.prepare("DELETE FROM chunks WHERE id = ?").run(garden.chunkId);
      expect((await copy.vectorSearch(vector, 1, { kbs: ["default"] }))[0].chunkId).toBe(garden.chunkId);
      const result = await retrieveDetailed({ kbs: ["default"], store: copy, embedder, query: garden.text, k: 5, candidates: 5, weights: { dense: 1, lexical: 1 } });
      expect(result.chunks.map((c) => c.chunkId)).not.toContain(garden.chunkId);
      expect(result.chunks.filter((c) => c.denseRank !== undefined).map((c) => c.denseRank).sort()).toEqual([1, 2, 3, 4].slice(0, result.denseCandidates));
      expect(result.denseCandidates).toBe(4);
    } finally {
      await copy.close();
    }
  });

  it("refuses to embed questions with another model than the store's", async () => {
    await expect(retrieve({ kbs: ["default"], store, embedder: bigramEmbedder(), query: "灯塔", k: 3, candidates: 10 })).rejects.toThrow(EmbedderMismatchError);
    await expect(retrieve({ kbs: ["default"], store, embedder: bigramEmbedder(), query: "灯塔", k: 3, candidates: 10 })).rejects.toThrow(/stories260K\.gguf.*char-bigram-256/);
  });
});
