// What limiting a search to some knowledge bases costs: a store of N chunks in the default base and a small base of
// N/100, searched (lexical BM25 and HNSW vectors) over every base (no filter), the small base (chunks outside the scope
// dropped before the top k; hnswlib filter) and the default base alone (the filter admits nearly everything). Prints median and p95 milliseconds.
// With a postgres:// URL of an empty database, the same on the PostgreSQL store (EXISTS on files inside the BM25 SQL;
// pgvector's filtered HNSW scan with iterative_scan, or the planner's exact read for a small base).
// With --vector-precision float16, the embedded store keeps its vectors in usearch float16 (no filter inside the graph
// search: a wider search kept to the scope, or a small scope scored exactly from SQLite's vectors).
// Usage: npx tsx bench/kb-scope.ts [chunks=20000] [dimension=64] [postgres://… empty database] [--vector-precision float16]
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import type { DocumentStore, NewChunk } from "../src/store/contract.js";
import { openStore } from "../src/store/open.js";
import { lexicalQuery, segmentForIndex } from "../src/store/segment.js";
import { SqliteStore } from "../src/store/sqlite/store.js";
import { flag } from "./lib/cli.js";

const vectorPrecision = flag("--vector-precision") === "float16" ? "float16" : "float32";
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--vector-precision");
const total = Number(positional[0] ?? 20_000);
const dimension = Number(positional[1] ?? 64);
const url = positional[2];
const words = ["river", "bridge", "ledger", "harvest", "lantern", "quarry", "orchard", "ferry", "mill", "granary", "harbour", "weaver", "kiln", "pasture", "beacon", "tannery"];
let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = () => words[Math.floor(random() * words.length)];

function unitVector(): Float32Array {
  const v = Float32Array.from({ length: dimension }, () => random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function chunks(count: number): NewChunk[] {
  return Array.from({ length: count }, (_, i) => {
    const text = Array.from({ length: 12 }, pick).join(" ") + ` item${i}`;
    return { index: i, text, page: null, pageEnd: null, charStart: 0, charEnd: text.length, section: null, tokenCount: 13, terms: segmentForIndex(text), vector: unitVector() };
  });
}

async function timeIt(label: string, runs: number, work: (i: number) => unknown): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t = performance.now();
    await work(i);
    if (i >= 5) ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} median ${ms[Math.floor(ms.length / 2)].toFixed(2)} ms  p95 ${ms[Math.floor(ms.length * 0.95)].toFixed(2)} ms`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-kb-scope-"));
try {
  const store: DocumentStore = url ? await openStore(url, { write: true, purpose: "bench" }) : SqliteStore.open(dir, { write: true, vectorPrecision });
  await store.bindEmbedding({ name: "bench", fingerprint: "bench", dimension });
  await store.createKb("small");
  const perDocument = 500;
  for (let d = 0; d * perDocument < total; d++) {
    const kb = d * perDocument < total / 100 ? "small" : "default";
    const c = chunks(perDocument);
    await store.commitFile({ kb, path: `doc-${d}.txt`, size: 1, mtimeMs: 1 }, { document: { sha256: `sha-${d}`, kind: "text", bytes: 1, pages: null, encoding: null, text: "", pageStarts: [], chunks: c } });
  }
  const kbs = await store.listKbs();
  console.log(`${total} chunks of ${dimension} dimensions (${url ? "PostgreSQL" : `${vectorPrecision} vectors`}): ${kbs.map((k) => `${k.name} ${k.chunks}`).join(", ")}`);
  const queries = Array.from({ length: 60 }, () => ({ terms: lexicalQuery(`${pick()} ${pick()} ${pick()}`), vector: unitVector() }));
  const runs = 200;
  for (const [label, scope] of [["every base (no filter)", ["default", "small"]], ["the small base", ["small"]], ["the default base alone", ["default"]]] as const) {
    await timeIt(`lexical top 50, ${label}`, runs, (i) => store.lexicalSearch(queries[i % queries.length].terms, 50, { kbs: scope }));
    await timeIt(`vector top 50, ${label}`, runs, (i) => store.vectorSearch(queries[i % queries.length].vector, 50, { kbs: scope }));
  }
  await store.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
