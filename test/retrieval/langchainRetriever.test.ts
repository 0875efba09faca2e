import fs from "node:fs";
import type { Document } from "@langchain/core/documents";
import { PromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../../src/config/schema.js";
import type { Embedder } from "../../src/models/embedder.js";
import { loadReranker, type Reranker } from "../../src/models/reranker.js";
import { retrieve } from "../../src/retrieval/hybrid.js";
import { retrievalOptionsFor, type RetrievalEngine } from "../../src/retrieval/options.js";
import { AlpacaRagRetriever, type AlpacaRagDocumentMetadata } from "../../src/retrieval/langchainRetriever.js";
import type { DocumentStore } from "../../src/store/contract.js";
import { samplePdf, samplePdfPages, tempDir } from "../helpers.js";
import { writeSyntheticReranker } from "../models/syntheticReranker.js";
import { ingestedStore, type IngestedStore } from "./fixtures.js";

interface SamplePassage {
  id: string;
  page: number;
  pageEnd: number;
  qas: Array<{ question: string }>;
}

const notes = {
  "notes/ferry.txt": "渡口的老船夫姓周，他摆渡三十年，从没在大雾天开过船。",
  "notes/tea.txt": "山腰的茶园清明前采摘的新茶最贵，一斤要卖八百元。",
};

let fixture: IngestedStore;
let embedder: Embedder;
let store: DocumentStore;

beforeAll(async () => {
  fixture = await ingestedStore({ ...notes, "sample.pdf": fs.readFileSync(samplePdf) });
  expect(fixture.summary.failed).toEqual([]);
  ({ embedder, store } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

const formatDocs = (docs: Document<AlpacaRagDocumentMetadata>[]) =>
  docs.map((d, i) => `[${i + 1}] (${d.metadata.source}${d.metadata.page ? ` p.${d.metadata.page}` : ""}) ${d.pageContent}`).join("\n");

describe("AlpacaRagRetriever", () => {
  it("returns LangChain Documents with the chunk's text and its citation metadata", async () => {
    const retriever = new AlpacaRagRetriever({ store, embedder, k: 2 });
    const docs = await retriever.invoke("渡口的船夫摆渡多少年了？");
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.length).toBeLessThanOrEqual(2);
    expect(docs[0].pageContent).toBe(notes["notes/ferry.txt"]);
    expect(docs[0].metadata).toMatchObject({
      source: "notes/ferry.txt",
      page: null,
      pageEnd: null,
      charStart: 0,
      charEnd: notes["notes/ferry.txt"].length,
      section: null,
    });
    expect(docs[0].metadata.chunkIds).toEqual([docs[0].metadata.chunkId]);
    expect(docs[0].metadata.score).toBeGreaterThan(0);
    expect(docs[0].id).toBe(String(docs[0].metadata.chunkId));
  });

  it("carries the PDF page and section of the passage that answers", async () => {
    const { passages } = JSON.parse(fs.readFileSync(samplePdfPages, "utf8")) as { passages: SamplePassage[] };
    const retriever = new AlpacaRagRetriever({ store, embedder, k: 1 });
    // A passage on a later page, and its first question.
    const passage = passages.find((p) => p.page >= 3)!;
    const [doc] = await retriever.invoke(passage.qas[0].question);
    expect(doc.metadata.source).toBe("sample.pdf");
    expect(doc.metadata.page).toBeLessThanOrEqual(passage.pageEnd);
    expect(doc.metadata.pageEnd).toBeGreaterThanOrEqual(passage.page);
    expect(doc.metadata.section).toBe(`第${passages.indexOf(passage) + 1}节`);
  });

  it("feeds an LCEL chain: retriever → formatted sources → prompt", async () => {
    const retriever = new AlpacaRagRetriever({ store, embedder, k: 2 });
    const prompt = PromptTemplate.fromTemplate("根据以下资料回答问题。\n{context}\n问题：{question}");
    const chain = RunnableSequence.from([
      { context: retriever.pipe(RunnableLambda.from(formatDocs)), question: new RunnablePassthrough() },
      prompt,
    ]);
    const value = await chain.invoke("清明前的新茶一斤多少钱？");
    const text = value.toString();
    expect(text.startsWith("根据以下资料回答问题。\n[1] (notes/tea.txt) 山腰的茶园")).toBe(true);
    expect(text).toContain(notes["notes/tea.txt"]);
    expect(text.endsWith("问题：清明前的新茶一斤多少钱？")).toBe(true);
  });

  it("works lexical-only, and batches questions like any runnable", async () => {
    const retriever = new AlpacaRagRetriever({ store, embedder: null, k: 1 });
    const results = await retriever.batch(["周船夫在哪里摆渡？", "茶园的新茶什么时候采？"]);
    expect(results.map((docs) => docs[0].metadata.source)).toEqual(["notes/ferry.txt", "notes/tea.txt"]);
  });
});

describe("AlpacaRagRetriever over an engine", () => {
  let reranker: Reranker;
  const question = "渡口的船夫摆渡多少年了？";

  beforeAll(async () => {
    reranker = await loadReranker({ model: writeSyntheticReranker(`${tempDir()}/reranker.gguf`), modelsDir: tempDir(), gpu: false, threads: 1 });
  });
  afterAll(async () => {
    await reranker?.dispose();
  });

  /** What openEngine would hold for these settings: the fixture's store and embedder, the given reranker. */
  function engineWith(retrieval: Partial<Settings["retrieval"]>, withReranker: Reranker | null = null, rerankCandidates = 30): RetrievalEngine {
    const settings = { ...fixture.settings, retrieval: { ...fixture.settings.retrieval, ...retrieval }, rerank: { ...fixture.settings.rerank, candidates: rerankCandidates } };
    return { settings, store, embedder, reranker: withReranker };
  }

  it("returns retrieval.k documents, as search and ask retrieve, unless k is given", async () => {
    const counts: number[] = [];
    for (const k of [1, 4]) {
      const engine = engineWith({ k });
      const docs = await new AlpacaRagRetriever({ engine }).invoke(question);
      // Neighbouring chunks merge into one document, so k is the most it returns.
      expect(docs.length).toBeGreaterThanOrEqual(1);
      expect(docs.length).toBeLessThanOrEqual(k);
      const same = await retrieve(retrievalOptionsFor(engine, question, ["default"]));
      expect(docs.map((d) => d.metadata.chunkId)).toEqual(same.map((c) => c.chunkId));
      counts.push(docs.length);
    }
    expect(counts[0]).toBe(1);
    expect(counts[1]).toBeGreaterThan(1);
    expect(await new AlpacaRagRetriever({ engine: engineWith({ k: 4 }), k: 1 }).invoke(question)).toHaveLength(1);
  });

  it("fuses with the settings' weights: a dense weight of 0 is lexical retrieval", async () => {
    const lexical = await new AlpacaRagRetriever({ store, embedder: null, k: 4 }).invoke("茶园的新茶卖多少钱");
    const engine = engineWith({ k: 4, denseWeight: 0, lexicalWeight: 1 });
    const docs = await new AlpacaRagRetriever({ engine }).invoke("茶园的新茶卖多少钱");
    expect(docs.map((d) => d.metadata.chunkId)).toEqual(lexical.map((d) => d.metadata.chunkId));
    // Told otherwise, it fuses both lists again.
    const fused = await new AlpacaRagRetriever({ engine, weights: { dense: 1, lexical: 1 } }).invoke("茶园的新茶卖多少钱");
    expect(fused.map((d) => d.metadata.score)).not.toEqual(docs.map((d) => d.metadata.score));
  });

  it("reranks with the engine's reranker over rerank.candidates, and not when told reranker: null", async () => {
    const engine = engineWith({ k: 2, candidates: 5 }, reranker, 40);
    expect(retrievalOptionsFor(engine, question, ["default"]).candidates).toBe(40);
    const docs = await new AlpacaRagRetriever({ engine }).invoke(question);
    expect(docs).toHaveLength(2);
    const same = await retrieve(retrievalOptionsFor(engine, question, ["default"]));
    expect(same.every((c) => c.rerankScore !== undefined)).toBe(true);
    expect(docs.map((d) => [d.metadata.chunkId, d.metadata.score])).toEqual(same.map((c) => [c.chunkId, c.rerankScore]));
    // The reranker's probabilities, not fused RRF scores (at most 2/61 with two lists).
    for (const d of docs) expect(d.metadata.score).toBeGreaterThan(0.05);
    const plain = await new AlpacaRagRetriever({ engine, reranker: null }).invoke(question);
    const bare = await new AlpacaRagRetriever({ store, embedder, k: 2, candidates: 40 }).invoke(question);
    expect(plain.map((d) => [d.metadata.chunkId, d.metadata.score])).toEqual(bare.map((d) => [d.metadata.chunkId, d.metadata.score]));
    for (const d of plain) expect(d.metadata.score).toBeLessThan(0.05);
  });
});
