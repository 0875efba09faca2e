// The search-scale benchmark's writer, run in its own process: fills a fresh alpaca-rag store with N synthetic chunks
// through SqliteStore.commitFile (SQLite rows, FTS5 terms and the store's own VectorIndex with its default M and
// efConstruction), one document of `chunksPerDocument` chunks per transaction, then closes it (which saves the index).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { segmentForIndex } from "../src/store/segment.js";
import type { NewChunk } from "../src/store/contract.js";
import { databaseFileName, SqliteStore, vectorFileName } from "../src/store/sqlite/store.js";
import { serveChild } from "./lib/measure.js";
import { SyntheticCorpus } from "./lib/synthetic-corpus.js";
import { syntheticIdentity } from "./lib/synthetic-store.js";

export interface ScaleBuildOptions {
  storeDir: string;
  chunks: number;
  seed: number;
  dimension: number;
  clusters: number;
  /** Chunks per document (and per commitFile transaction). */
  chunksPerDocument: number;
}

export interface ScaleBuildResult {
  chunks: number;
  documents: number;
  /** Making the text, vectors and FTS terms (jieba + script folding): the corpus, not the store. */
  generateSeconds: number;
  /** commitFile calls: SQLite + FTS5 rows and HNSW inserts. */
  commitSeconds: number;
  /** store.close(): writing the HNSW file (and the WAL checkpoint). */
  saveSeconds: number;
  /** commit + save: what building the index of this many chunks costs. */
  buildSeconds: number;
  chunksPerSecond: number;
  indexFileBytes: number;
  databaseBytes: number;
  peakRssBytes: number;
}

export function fileBytes(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

export async function buildScaleStore(opts: ScaleBuildOptions): Promise<ScaleBuildResult> {
  fs.rmSync(opts.storeDir, { recursive: true, force: true });
  const corpus = new SyntheticCorpus({ seed: opts.seed, dimension: opts.dimension, clusters: opts.clusters });
  const store = SqliteStore.open(opts.storeDir, { write: true, purpose: "bench" });
  let generateMs = 0;
  let commitMs = 0;
  let documents = 0;
  let peakRss = process.memoryUsage.rss();
  try {
    await store.bindEmbedding(syntheticIdentity(opts.seed, opts.dimension));
    const pending: NewChunk[] = [];
    let text = "";
    const flush = async () => {
      if (pending.length === 0) return;
      const t = performance.now();
      const name = `doc-${String(documents).padStart(7, "0")}.txt`;
      const bytes = Buffer.byteLength(text);
      await store.commitFile(
        { kb: "default", path: name, size: bytes, mtimeMs: Date.now() },
        {
          document: {
            sha256: crypto.createHash("sha256").update(`${opts.seed}:${name}`).digest("hex"),
            kind: "txt",
            bytes,
            pages: null,
            encoding: "utf-8",
            text,
            pageStarts: [],
            chunks: pending.splice(0),
          },
        },
      );
      commitMs += performance.now() - t;
      documents += 1;
      text = "";
      if (documents % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (documents % 200 === 0) process.stderr.write(`  built ${documents * opts.chunksPerDocument} chunks\n`);
    };
    let t = performance.now();
    for (const chunk of corpus.chunks(opts.chunks, opts.seed + 1)) {
      const start = text.length;
      text += `${chunk.text}\n`;
      pending.push({
        index: pending.length,
        text: chunk.text,
        page: null,
        pageEnd: null,
        charStart: start,
        charEnd: start + chunk.text.length,
        section: null,
        tokenCount: chunk.text.length,
        terms: segmentForIndex(chunk.text),
        vector: chunk.vector,
      });
      if (pending.length === opts.chunksPerDocument) {
        generateMs += performance.now() - t;
        await flush();
        t = performance.now();
      }
    }
    generateMs += performance.now() - t;
    await flush();
  } catch (e) {
    await store.close();
    throw e;
  }
  const t = performance.now();
  await store.close();
  const saveMs = performance.now() - t;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const buildSeconds = (commitMs + saveMs) / 1000;
  return {
    chunks: opts.chunks,
    documents,
    generateSeconds: generateMs / 1000,
    commitSeconds: commitMs / 1000,
    saveSeconds: saveMs / 1000,
    buildSeconds,
    chunksPerSecond: opts.chunks / buildSeconds,
    indexFileBytes: fileBytes(path.join(opts.storeDir, vectorFileName)),
    databaseBytes: fileBytes(path.join(opts.storeDir, databaseFileName)) + fileBytes(path.join(opts.storeDir, `${databaseFileName}-wal`)),
    peakRssBytes: peakRss,
  };
}

serveChild(import.meta.url, buildScaleStore);
