// The search-scale benchmark's writer, run in its own process: fills a fresh alpaca-rag store with N synthetic chunks
// through SqliteStore.commitFile (SQLite rows, FTS5 terms and the store's own VectorIndex with its default M and
// efConstruction), one document of `chunksPerDocument` chunks per transaction, then closes it (which saves the index).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { segmentForIndex } from "../src/store/segment.js";
import type { NewChunk } from "../src/store/contract.js";
import { databaseFileName, SqliteStore } from "../src/store/sqlite/store.js";
import { serveChild } from "./lib/measure.js";
import { readCmrcPassages } from "./lib/cmrc.js";
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
  /** false: a lexical-only store (no vectors, no HNSW inserts), for lexical measurements at sizes a full build cannot reach in time. */
  vectors?: boolean;
  /** Also commit the CMRC trial passages (one document each, after the synthetic ones), for ranking checks against them. */
  cmrc?: boolean;
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
  /**
   * store.refreshLexicalIndex(), as ingest ends with: packing common terms' posting lists. Absent from the record of a
   * store kept by an older run until search-scale.ts --reuse refreshes it.
   */
  lexicalIndexSeconds?: number;
  /** commit + lexical index + save: what building the index of this many chunks costs. */
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
  let lexicalIndexMs = 0;
  let documents = 0;
  let peakRss = process.memoryUsage.rss();
  try {
    const vectors = opts.vectors !== false;
    await store.bindEmbedding(vectors ? syntheticIdentity(opts.seed, opts.dimension) : null);
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
        vector: vectors ? chunk.vector : null,
      });
      if (pending.length === opts.chunksPerDocument) {
        generateMs += performance.now() - t;
        await flush();
        t = performance.now();
      }
    }
    generateMs += performance.now() - t;
    await flush();
    if (opts.cmrc) await commitCmrcPassages(store, vectors ? opts.dimension : null);
    const packing = performance.now();
    await store.refreshLexicalIndex();
    lexicalIndexMs = performance.now() - packing;
  } catch (e) {
    await store.close();
    throw e;
  }
  const t = performance.now();
  const vectorFile = store.vectorFile;
  await store.close();
  const saveMs = performance.now() - t;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const buildSeconds = (commitMs + lexicalIndexMs + saveMs) / 1000;
  return {
    chunks: opts.chunks,
    documents,
    generateSeconds: generateMs / 1000,
    commitSeconds: commitMs / 1000,
    saveSeconds: saveMs / 1000,
    lexicalIndexSeconds: lexicalIndexMs / 1000,
    buildSeconds,
    chunksPerSecond: opts.chunks / buildSeconds,
    indexFileBytes: fileBytes(vectorFile),
    databaseBytes: fileBytes(path.join(opts.storeDir, databaseFileName)) + fileBytes(path.join(opts.storeDir, `${databaseFileName}-wal`)),
    peakRssBytes: peakRss,
  };
}

/**
 * The CMRC trial passages, one single-chunk document each (their vectors random: only lexical ranking is checked
 * against them), so trial questions asked of a large synthetic store have their real passages to find.
 */
async function commitCmrcPassages(store: SqliteStore, dimension: number | null): Promise<void> {
  const seen = new Set<string>();
  for (const p of readCmrcPassages()) {
    if (seen.has(p.context)) continue;
    seen.add(p.context);
    const name = `cmrc-${String(seen.size).padStart(4, "0")}.txt`;
    const bytes = Buffer.byteLength(p.context);
    await store.commitFile(
      { kb: "default", path: name, size: bytes, mtimeMs: Date.now() },
      {
        document: {
          sha256: crypto.createHash("sha256").update(`cmrc:${p.context}`).digest("hex"),
          kind: "txt",
          bytes,
          pages: null,
          encoding: "utf-8",
          text: p.context,
          pageStarts: [],
          chunks: [
            {
              index: 0,
              text: p.context,
              page: null,
              pageEnd: null,
              charStart: 0,
              charEnd: p.context.length,
              section: null,
              tokenCount: p.context.length,
              terms: segmentForIndex(p.context),
              vector: dimension === null ? null : randomUnit(dimension),
            },
          ],
        },
      },
    );
  }
}

function randomUnit(dimension: number): Float32Array {
  const v = Float32Array.from({ length: dimension }, () => Math.random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

serveChild(import.meta.url, buildScaleStore);
