// The PostgreSQL + pgvector store against the embedded one on the same data, in one run (ratios, not absolutes):
// a lexical-only ingest of the CMRC trial passages (files/s), lexical search latency over every trial question and
// how often both stores give the same top-5; then N synthetic chunks of clustered 64-dimension unit vectors
// committed through the store contract, dense search latency at each store's default breadth and recall@10 against
// an exact search, and the bytes each store takes per chunk; then retrieval quality (CMRC trial MRR@10, recall@1/5,
// lexical-only and hybrid with stories260K) on both stores (bench/lib/store-quality.ts). `npx tsx bench/postgres-store.ts
// [--url postgres://…] [--chunks 20000] [--dimension 64] [--threads 2] [--only-quality]`; --only-quality measures only
// the MRR part and merges it into the existing results; without --url it uses
// ALPACA_RAG_TEST_PG or starts a throwaway cluster (scripts/pg-test-cluster.sh). Writes bench/results/postgres-store.*.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ingestFolder } from "../src/ingest/pipeline.js";
import { loadSettings } from "../src/config/load.js";
import type { DocumentStore, NewDocument } from "../src/store/contract.js";
import { openStore } from "../src/store/open.js";
import { lexicalQuery } from "../src/store/segment.js";
import { hasFlag, numberFlag } from "./lib/cli.js";
import { readCmrcQuestions, writeCmrcInbox } from "./lib/cmrc.js";
import { writeCmrcQuestionSet } from "./lib/cmrc-questions.js";
import { formatTable, timeIt } from "./lib/measure.js";
import { benchPostgres } from "./lib/postgres-cluster.js";
import { projectRoot, sharedPath } from "./lib/paths.js";
import { compareStoreQuality } from "./lib/store-quality.js";
import { describeMachine, resultsDir } from "./lib/report.js";
import { seededRandom } from "./lib/synthetic-corpus.js";
import { round, summarize } from "./lib/stats.js";

const chunks = numberFlag("--chunks", 20_000);
const threads = numberFlag("--threads", 2);
const onlyQuality = hasFlag("--only-quality");
const dimension = numberFlag("--dimension", 64);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-pgbench-"));
fs.chmodSync(work, 0o755);
const postgres = benchPostgres("postgres-store", work);

const inbox = path.join(work, "inbox");
fs.mkdirSync(inbox);
const passages = writeCmrcInbox(inbox);
const questions = readCmrcQuestions().map((q) => lexicalQuery(q));

/** Bytes the store takes on disk: the folder, or every table of the database with its indexes and TOAST. */
async function storeBytes(kind: string, target: string): Promise<number> {
  if (kind === "sqlite") return fs.readdirSync(target).reduce((sum, f) => sum + fs.statSync(path.join(target, f)).size, 0);
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  const r = await client.query<{ bytes: string }>(
    "SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'",
  );
  await client.end();
  return Number(r.rows[0].bytes);
}
type Lexical = { ingestFilesPerSecond: number; p50Ms: number; p99Ms: number; chunks: number; bytesPerChunk: number };
type Dense = { bytesPerChunk: number; commitChunksPerSecond: number; p50Ms: number; p99Ms: number; recallAt10: number };

/** The lexical ingest/search part and the synthetic-vector part (skipped with --only-quality). */
async function speedFigures(): Promise<{ sameTop5: number; lexical: Record<string, Lexical>; dense: Record<string, Dense> }> {
  const targets = { sqlite: path.join(work, "sqlite-lexical"), postgres: await postgres.createDatabase("bench") };
  const lexical: Record<string, Lexical> = {};
  const tops: Record<string, string[]> = {};
  for (const [kind, store] of Object.entries(targets)) {
    const settings = loadSettings({ cwd: projectRoot, env: {}, overrides: { store, inbox, threads: 1, gpu: false, "embedding.model": "none" } });
    const ingest = await timeIt(() => ingestFolder({ settings, folder: inbox }));
    const s = await openStore(store);
    const samples: number[] = [];
    tops[kind] = [];
    for (const q of questions) {
      const { value, seconds } = await timeIt(() => s.lexicalSearch(q, 5, { kbs: ["default"] }));
      samples.push(seconds * 1000);
      tops[kind].push(value.map((h) => h.chunkId).join(","));
    }
    const storedChunks = await s.count("chunks");
    await s.close();
    const latency = summarize(samples);
    lexical[kind] = {
      ingestFilesPerSecond: round(passages / ingest.seconds, 1),
      p50Ms: latency.p50Ms,
      p99Ms: latency.p99Ms,
      chunks: storedChunks,
      // Real chunks of Chinese text with their lexical postings (no vectors): what text costs per chunk.
      bytesPerChunk: round((await storeBytes(kind, store)) / storedChunks, 0),
    };
  }
  const sameTop5 = round(tops.sqlite.filter((t, i) => t === tops.postgres[i]).length / questions.length, 4);

  // Synthetic vectors: 100 cluster centres, points around them, unit length.
  const random = seededRandom(7);
  const centres = Array.from({ length: 100 }, () => Array.from({ length: dimension }, () => random() * 2 - 1));
  function point(): Float32Array {
    const c = centres[Math.floor(random() * centres.length)];
    const v = Float32Array.from(c, (x) => x + (random() - 0.5) * 0.6);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  }
  const vectors = Array.from({ length: chunks }, point);
  const probes = Array.from({ length: 200 }, point);
  const identity = { name: "synthetic-64.gguf", fingerprint: "synthetic-64", dimension };
  const dense: Record<string, Dense> = {};
  const vectorTargets = { sqlite: path.join(work, "sqlite-dense"), postgres: await postgres.createDatabase("bench") };
  const exact = probes.map((q) =>
    vectors
      .map((v, i) => ({ i, s: v.reduce((sum, x, j) => sum + x * q[j], 0) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((h) => h.i),
  );
  for (const [kind, target] of Object.entries(vectorTargets)) {
    const store: DocumentStore = await openStore(target, { write: true, purpose: "bench" });
    await store.bindEmbedding(identity);
    const idOf = new Map<number, number>();
    const commit = await timeIt(async () => {
      for (let start = 0, d = 0; start < chunks; start += 50, d++) {
        const part = vectors.slice(start, start + 50);
        const document: NewDocument = {
          sha256: `doc-${d}`, kind: "text", bytes: 1, pages: null, encoding: "UTF-8", text: "x", pageStarts: [],
          chunks: part.map((vector, k) => ({
            index: k, text: `chunk ${start + k}`, page: null, pageEnd: null, charStart: 0, charEnd: 1, section: null, location: null,
            tokenCount: 1, terms: `w${(start + k) % 1000} chunk`, vector,
          })),
        };
        const { chunkIds } = await store.commitFile({ kb: "default", path: `d${d}.txt`, size: 1, mtimeMs: 1 }, { document });
        chunkIds.forEach((id, k) => idOf.set(id, start + k));
      }
      await store.saveVectors();
    });
    const samples: number[] = [];
    let found = 0;
    for (const [n, q] of probes.entries()) {
      const { value, seconds } = await timeIt(() => store.vectorSearch(q, 10, { kbs: ["default"] }));
      samples.push(seconds * 1000);
      const want = new Set(exact[n]);
      found += value.filter((h) => want.has(idOf.get(h.chunkId)!)).length;
    }
    await store.close();
    const bytes = await storeBytes(kind, target);
    const latency = summarize(samples);
    dense[kind] = { bytesPerChunk: round(bytes / chunks, 0), commitChunksPerSecond: round(chunks / commit.seconds, 0), p50Ms: latency.p50Ms, p99Ms: latency.p99Ms, recallAt10: round(found / (probes.length * 10), 4) };
  }
  return { sameTop5, lexical, dense };
}

const notes =
  "Two shared cores: other work ran on the same machine during the run, so absolute latencies are noisy; the ratios come from one run. " +
  "Bytes per chunk are the whole store (rows, lexical postings, vectors, indexes) over its chunks: the synthetic vector chunks hold a few bytes of text, so add the CMRC row (real text with its lexical rows) for a corpus. " +
  "MRR: MRR@10 of the first chunk from the question's passage file over every non-empty CMRC trial question, each distinct passage one file, " +
  "ingested into a fresh store of each kind lexical-only and with stories260K (hybrid, default auto weights); equal within the tolerance is the goal.";

// --only-quality keeps the speed figures of the last full run and replaces only the MRR part.
const resultsFile = path.join(resultsDir(), "postgres-store.json");
const previous = onlyQuality && fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, "utf8")) as Record<string, unknown>) : {};
const speed = onlyQuality ? null : await speedFigures();
const qualityCorpus = writeCmrcQuestionSet(path.join(work, "quality-inbox"));
const quality = await compareStoreQuality({
  inbox: qualityCorpus.dir,
  questions: qualityCorpus.questions,
  modelPath: sharedPath("models", "stories260K.gguf"),
  threads,
  freshStore: async (kind, purpose) => (kind === "sqlite" ? path.join(work, `sqlite-${purpose}-quality`) : await postgres.createDatabase("bench")),
});
const result = {
  ...previous,
  machine: describeMachine(),
  notes,
  ...(speed ? { passages, questions: questions.length, sameTop5: speed.sameTop5, lexical: speed.lexical, chunks, dimension, dense: speed.dense } : {}),
  mrr: quality.mrr,
  quality: { passages: qualityCorpus.passages, questions: quality.questions, tolerance: quality.tolerance, embedder: "stories260K", threads, figures: quality.figures },
} as Record<string, unknown> & { lexical?: Record<string, Lexical>; dense?: Record<string, Dense>; sameTop5?: number; questions?: number; chunks?: number; dimension?: number };
const rows: (string | number)[][] = [];
const lx = result.lexical;
const dn = result.dense;
if (lx)
  rows.push(
    ["CMRC trial lexical ingest (files/s)", lx.sqlite.ingestFilesPerSecond, lx.postgres.ingestFilesPerSecond, round(lx.postgres.ingestFilesPerSecond / lx.sqlite.ingestFilesPerSecond, 2)],
    ["lexical search p50 (ms)", lx.sqlite.p50Ms, lx.postgres.p50Ms, round(lx.postgres.p50Ms / lx.sqlite.p50Ms, 2)],
    ["lexical search p99 (ms)", lx.sqlite.p99Ms, lx.postgres.p99Ms, round(lx.postgres.p99Ms / lx.sqlite.p99Ms, 2)],
    [`same lexical top-5 (${result.questions} questions)`, "-", result.sameTop5 ?? "-", "-"],
    [`bytes per chunk, CMRC text + lexical rows (${lx.sqlite.chunks} chunks)`, lx.sqlite.bytesPerChunk, lx.postgres.bytesPerChunk, round(lx.postgres.bytesPerChunk / lx.sqlite.bytesPerChunk, 2)],
  );
if (dn)
  rows.push(
    [`commit ${result.chunks} vectors (chunks/s)`, dn.sqlite.commitChunksPerSecond, dn.postgres.commitChunksPerSecond, round(dn.postgres.commitChunksPerSecond / dn.sqlite.commitChunksPerSecond, 2)],
    ["dense search p50 (ms)", dn.sqlite.p50Ms, dn.postgres.p50Ms, round(dn.postgres.p50Ms / dn.sqlite.p50Ms, 2)],
    ["dense search p99 (ms)", dn.sqlite.p99Ms, dn.postgres.p99Ms, round(dn.postgres.p99Ms / dn.sqlite.p99Ms, 2)],
    ["dense recall@10", dn.sqlite.recallAt10, dn.postgres.recallAt10, "-"],
    [`bytes per chunk (${result.dimension}-d vectors, store on disk)`, dn.sqlite.bytesPerChunk, dn.postgres.bytesPerChunk, round(dn.postgres.bytesPerChunk / dn.sqlite.bytesPerChunk, 2)],
  );
for (const mode of ["lexical", "hybrid"] as const) {
  const f = quality.figures[mode];
  const m = quality.mrr[mode];
  rows.push(
    [`CMRC trial MRR@10, ${mode} (${quality.questions} questions)`, m.sqlite, m.postgres, `diff ${m.diff} (${m.withinTolerance ? "within" : "NOT within"} ${quality.tolerance})`],
    [`CMRC trial recall@1 / @5, ${mode}`, `${f.sqlite.recallAt1} / ${f.sqlite.recallAt5}`, `${f.postgres.recallAt1} / ${f.postgres.recallAt5}`, "-"],
  );
}
const table = `PostgreSQL + pgvector vs the embedded store (${describeMachine()})\n\n` + formatTable(["measure", "sqlite", "postgres", "postgres / sqlite"], rows) + `\n\n${notes}`;
fs.mkdirSync(resultsDir(), { recursive: true });
fs.writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
fs.writeFileSync(path.join(resultsDir(), "postgres-store.md"), `${table}\n`);
console.log(table);
postgres.stop();
fs.rmSync(work, { recursive: true, force: true });
