// `npm run bench:search`: retrieval latency and HNSW recall as the store grows. For each size (10k and 100k chunks;
// 1M with --full) a real alpaca-rag store is filled with seeded synthetic chunks (clustered 384-dim unit vectors and
// Chinese/pseudo-English text) by one child process, then measured by another: p50/p95/p99 of dense, lexical and fused
// retrieval, recall@10 against exact search per ef, retrieval + window packing, build time and memory per chunk.
// Writes bench/results/search-scale.json and .md.
// Flags: --full (adds 1M), --sizes 10000,100000 (overrides), --queries N (dense, default 300), --text-queries N
// (lexical, fused, packing; default 100), --keep (keep the stores and their build figures), --reuse (measure a store kept
// by an earlier --keep run with the same options instead of building it again; implies --keep), --work DIR,
// --vector-precision float32,float16 (measure the store with each vector index in turn, converting it between them as a
// writer asked for the other precision does; default both)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, hasFlag, listFlag, numberFlag } from "./lib/cli.js";
import { formatTable, mib, runInChild, type ChildRun } from "./lib/measure.js";
import { sharedPath } from "./lib/paths.js";
import { describeMachine, writeResults } from "./lib/report.js";
import { ratio, round } from "./lib/stats.js";
import type { VectorPrecision } from "../src/store/contract.js";
import { databaseFileName, SqliteStore } from "../src/store/sqlite/store.js";
import { fileBytes, type ScaleBuildOptions, type ScaleBuildResult } from "./scale-build.js";
import type { ScaleSearchOptions, ScaleSearchResult } from "./scale-search.js";

/** What the issue asks of dense search at 1M chunks. */
const goal = { p99Ms: 10, recallAt10: 0.95 };
/** And of retrieval plus packing at 100k chunks. */
const packGoalMs = 50;

const full = hasFlag("--full");
const sizes = listFlag("--sizes", full ? ["10000", "100000", "1000000"] : ["10000", "100000"]).map(Number);
const queries = numberFlag("--queries", 300);
const textQueries = numberFlag("--text-queries", 100);
const seed = numberFlag("--seed", 20180);
const dimension = 384;
const clusters = 1000;
const work = flag("--work") ?? path.join(os.tmpdir(), "alpaca-rag-bench-search-scale");
// Only a guard against a hung child: building 1M chunks takes most of an hour on two cores.
const childTimeout = { timeoutMs: 6 * 3600_000 };
// A reused store is kept too: it was kept to be measured again.
const keepStores = hasFlag("--keep") || hasFlag("--reuse");
const precisions = listFlag("--vector-precision", ["float32", "float16"]).map((p) => {
  if (p !== "float32" && p !== "float16") throw new Error(`--vector-precision: "${p}" is neither float32 nor float16`);
  return p as VectorPrecision;
});

/** Brings the store to `precision` as a writer asked for it would, and how long that took (0 when it is there). */
async function convertStore(storeDir: string, precision: VectorPrecision): Promise<{ seconds: number; indexFileBytes: number }> {
  // Its precision is in SQLite's meta: a store already there is not opened with its vectors (1.7 GB at 1M) for nothing.
  const peek = SqliteStore.open(storeDir, { vectors: false });
  const there = peek.vectorPrecision === precision ? peek.vectorFile : null;
  await peek.close();
  if (there) return { seconds: 0, indexFileBytes: fileBytes(there) };
  const t = performance.now();
  const store = SqliteStore.open(storeDir, { write: true, purpose: "bench", vectorPrecision: precision });
  const seconds = (performance.now() - t) / 1000;
  const indexFileBytes = fileBytes(store.vectorFile);
  await store.close();
  return { seconds, indexFileBytes };
}

const perSize: Array<{ size: number; precision: VectorPrecision; convertSeconds: number; build: ScaleBuildResult; search: ScaleSearchResult; buildPeakRssMiB: number }> = [];
for (const size of sizes) {
  const storeDir = path.join(work, `store-${size}`);
  console.log(`\n== ${size.toLocaleString("en-US")} chunks`);
  const buildOptions = { storeDir, chunks: size, seed, dimension, clusters, chunksPerDocument: 100 } satisfies ScaleBuildOptions;
  // Kept beside the store so that --reuse can report the build it measures (a 1M build takes most of half an hour).
  const buildRecord = path.join(work, `store-${size}.build.json`);
  const kept = hasFlag("--reuse") ? await readKeptBuild(buildRecord, buildOptions) : null;
  const build = kept ?? (await runInChild<ScaleBuildResult>("bench/scale-build.ts", buildOptions, childTimeout));
  if (keepStores && !kept) fs.writeFileSync(buildRecord, JSON.stringify({ options: buildOptions, build }));
  console.log(
    `${kept ? "reusing the store built" : "built"} in ${build.result.buildSeconds.toFixed(1)} s (${Math.round(build.result.chunksPerSecond)} chunks/s; corpus generation ${build.result.generateSeconds.toFixed(1)} s apart)`,
  );
  for (const precision of precisions) {
    const converted = await convertStore(storeDir, precision);
    if (converted.seconds > 1) console.log(`${precision} vectors: the writer's open took ${converted.seconds.toFixed(1)} s`);
    const search = await runInChild<ScaleSearchResult>("bench/scale-search.ts", {
      storeDir,
      seed,
      dimension,
      clusters,
      queries,
      textQueries,
      // Exact search is O(N) per question in plain JS; fewer questions at 1M keep it to about a minute.
      recallQueries: size >= 1_000_000 ? 100 : 200,
      efValues: [16, 32, 64, 128, 256, 512],
      vocabModelPath: sharedPath("models", "chinese-llama-2-vocab.gguf"),
      k: 6,
      candidates: 50,
      contextSize: 4096,
      reserveTokens: 512,
    } satisfies ScaleSearchOptions, childTimeout);
    const s = search.result;
    console.log(`${precision}: dense p99 ${s.dense.p99Ms} ms, lexical p99 ${s.lexical.p99Ms} ms, fused p99 ${s.fused.p99Ms} ms, RSS ${Math.round(s.rssDeltaBytes / size)} B/chunk`);
    perSize.push({ size, precision, convertSeconds: converted.seconds, build: { ...build.result, indexFileBytes: converted.indexFileBytes }, search: s, buildPeakRssMiB: mib(build.maxRssBytes) });
  }
  if (!keepStores) {
    fs.rmSync(storeDir, { recursive: true, force: true });
    fs.rmSync(buildRecord, { force: true });
  }
}

/**
 * The build figures an earlier --keep run recorded for this very store, or an error saying why it cannot be reused. A
 * store kept before ingest packed common terms' posting lists gets them now, as its next ingest would, and the time it
 * took joins its build figures.
 */
async function readKeptBuild(record: string, options: ScaleBuildOptions): Promise<ChildRun<ScaleBuildResult>> {
  if (!fs.existsSync(record) || !fs.existsSync(options.storeDir))
    throw new Error(`--reuse: no kept store at ${options.storeDir} (run once with --keep first)`);
  const saved = JSON.parse(fs.readFileSync(record, "utf8")) as { options: ScaleBuildOptions; build: ChildRun<ScaleBuildResult> };
  if (JSON.stringify(saved.options) !== JSON.stringify(options))
    throw new Error(`--reuse: the store at ${options.storeDir} was built with other options (${JSON.stringify(saved.options)})`);
  const build = saved.build.result;
  if (build.lexicalIndexSeconds === undefined) {
    const store = SqliteStore.open(options.storeDir, { write: true, purpose: "bench", vectors: false });
    try {
      const refresh = await store.refreshLexicalIndex();
      console.log(`packed the kept store's common terms: ${refresh.action}, ${refresh.terms} terms, ${refresh.postings} postings in ${refresh.seconds.toFixed(1)} s`);
      build.lexicalIndexSeconds = refresh.seconds;
      build.buildSeconds += refresh.seconds;
      build.chunksPerSecond = build.chunks / build.buildSeconds;
    } finally {
      await store.close();
    }
    // After close, which checkpoints the write-ahead log into the database file, as the build's own figure was taken.
    build.databaseBytes = fileBytes(path.join(options.storeDir, databaseFileName)) + fileBytes(path.join(options.storeDir, `${databaseFileName}-wal`));
    fs.writeFileSync(record, JSON.stringify(saved));
  }
  return saved.build;
}

/** Smallest swept ef meeting the recall goal, with its latency. */
function tunedEf(s: ScaleSearchResult) {
  return s.efSweep.find((p) => p.recallAt10 >= goal.recallAt10) ?? null;
}

const sizesJson = perSize.map(({ size, precision, convertSeconds, build, search, buildPeakRssMiB }) => {
  const atDefault = search.efSweep.find((p) => p.ef === search.defaultEf)!;
  const tuned = tunedEf(search);
  return {
    chunks: size,
    vectorPrecision: precision,
    // The writer's open that brought the store to this precision (a conversion when it was at the other).
    writerOpenSeconds: round(convertSeconds, 1),
    build: { ...build, bytesPerChunkIndexFile: round(build.indexFileBytes / size, 1), bytesPerChunkDatabase: round(build.databaseBytes / size, 1), peakRssMiB: buildPeakRssMiB },
    memory: { rssDeltaBytes: search.rssDeltaBytes, rssBytesPerChunk: round(search.rssDeltaBytes / size, 1), indexFileBytesPerChunk: round(build.indexFileBytes / size, 1) },
    openSeconds: round(search.openSeconds, 3),
    // FTS5's bm25() p99 ÷ the store's lexical search p99, same questions, same run: > 1 means the new search is faster.
    lexicalP99ExactVsSummed: ratio(search.lexicalExact.p99Ms, search.lexical.p99Ms),
    lexicalSameTop5: round(search.lexicalSameTop5, 4),
    latencyMs: { dense: search.dense, lexical: search.lexical, lexicalExact: search.lexicalExact, segment: search.segment, fused: search.fused, retrieveAndPack: search.retrieveAndPack, pack: search.pack },
    packed: { sources: round(search.packedSources, 2), promptTokens: Math.round(search.promptTokens) },
    recallAt10: atDefault.recallAt10,
    efSweep: search.efSweep,
    defaultEf: search.defaultEf,
    goal: {
      ...goal,
      metAtDefaultEf: atDefault.latency.p99Ms < goal.p99Ms && atDefault.recallAt10 >= goal.recallAt10,
      tunedEf: tuned ? { ef: tuned.ef, recallAt10: tuned.recallAt10, p99Ms: tuned.latency.p99Ms, met: tuned.latency.p99Ms < goal.p99Ms } : null,
    },
    retrieveAndPackGoal: { p95Ms: packGoalMs, met: search.retrieveAndPack.p95Ms < packGoalMs },
  };
});

const latencyRows = sizesJson.map((r) => [
  r.chunks.toLocaleString("en-US"),
  r.vectorPrecision,
  r.latencyMs.dense.p50Ms, r.latencyMs.dense.p95Ms, r.latencyMs.dense.p99Ms,
  r.latencyMs.lexical.p50Ms, r.latencyMs.lexical.p99Ms, r.latencyMs.lexicalExact.p50Ms, r.latencyMs.lexicalExact.p99Ms, r.latencyMs.segment.p50Ms,
  r.latencyMs.fused.p50Ms, r.latencyMs.fused.p99Ms,
  r.latencyMs.retrieveAndPack.p50Ms, r.latencyMs.retrieveAndPack.p95Ms,
  round(r.recallAt10, 3),
]);
const buildRows = sizesJson.map((r) => [
  r.chunks.toLocaleString("en-US"),
  r.vectorPrecision,
  round(r.build.buildSeconds, 1),
  round(r.build.lexicalIndexSeconds ?? 0, 1),
  Math.round(r.build.chunksPerSecond),
  Math.round(r.memory.rssBytesPerChunk),
  Math.round(r.memory.indexFileBytesPerChunk),
  Math.round(r.build.bytesPerChunkDatabase),
  r.openSeconds,
  r.writerOpenSeconds,
]);
const efRows = sizesJson.flatMap((r) =>
  r.efSweep.map((p) => [r.chunks.toLocaleString("en-US"), r.vectorPrecision, p.ef, round(p.recallAt10, 3), p.latency.p50Ms, p.latency.p99Ms]),
);
const goalLines = sizesJson.map((r) => {
  const t = r.goal.tunedEf;
  const dense = r.goal.metAtDefaultEf
    ? `met at the default ef ${r.defaultEf} (p99 ${r.latencyMs.dense.p99Ms} ms, recall@10 ${round(r.recallAt10, 3)})`
    : t
      ? `${t.met ? "met" : "not met"} with ef ${t.ef} (recall@10 ${round(t.recallAt10, 3)}, p99 ${t.p99Ms} ms); at the default ef ${r.defaultEf}: recall@10 ${round(r.recallAt10, 3)}, p99 ${r.latencyMs.dense.p99Ms} ms`
      : `not met: no swept ef reached recall@10 ${goal.recallAt10}`;
  return `- ${r.chunks.toLocaleString("en-US")} chunks, ${r.vectorPrecision} vectors (RSS ${Math.round(r.memory.rssBytesPerChunk)} B/chunk): lexical p99 ${r.latencyMs.lexical.p99Ms} ms against FTS5 bm25's ${r.latencyMs.lexicalExact.p99Ms} ms (× ${r.lexicalP99ExactVsSummed}), top 5 the same for ${round(r.lexicalSameTop5 * 100, 1)} % of questions; dense goal (p99 < ${goal.p99Ms} ms, recall@10 ≥ ${goal.recallAt10}) ${dense}; retrieval + packing p95 ${r.latencyMs.retrieveAndPack.p95Ms} ms (${r.retrieveAndPackGoal.met ? "under" : "over"} ${packGoalMs} ms).`;
});

const machine = describeMachine();
const markdown = [
  `## Search latency and recall by store size (${new Date().toISOString().slice(0, 10)}; ${machine})`,
  "",
  formatTable(
    ["chunks", "vectors", "dense p50", "dense p95", "dense p99", "lexical p50", "lexical p99", "FTS5 bm25 p50", "FTS5 bm25 p99", "jieba p50", "fused p50", "fused p99", "retrieve+pack p50", "retrieve+pack p95", "recall@10"],
    latencyRows,
  ),
  "",
  "Milliseconds per question. dense: the vector index (float32: hnswlib; float16: usearch) k = 10 at the store's default ef; lexical: jieba + the store's BM25 summed from posting lists (common terms' packed, the rest FTS5's), 50 candidates " +
    "(FTS5 bm25: the same questions through FTS5's own bm25(), the search before; jieba: the segmenting alone); fused: " +
    "retrieveDetailed (dense + lexical + SQLite join + RRF, k = 6, 50 candidates each, question vectors precomputed); retrieve+pack: " +
    "the answer path's retrieval (neighbours merged) then packWindow into a 4096-token window with the Chinese-LLaMA-2 tokenizer.",
  "",
  formatTable(["chunks", "vectors", "build s", "lexical index s", "chunks/s", "RSS B/chunk", "index file B/chunk", "SQLite B/chunk", "open s", "writer open s"], buildRows),
  "",
  "build: SqliteStore.commitFile in transactions of 100 chunks (SQLite rows, FTS5 terms, HNSW inserts with the store's defaults, M 16 and efConstruction 100) " +
    "plus packing common terms' posting lists (lexical index s: refreshLexicalIndex, as an ingest ends) and saving the index; the corpus's own generation and segmentation are not counted. RSS B/chunk: memory the opened store adds. " +
    "The store is built with float32 vectors; writer open s: opening it for writing with that precision asked for, which converts the index from SQLite's vectors when it is at the other one (0: it was there already, and was not opened).",
  "",
  formatTable(["chunks", "vectors", "ef", "recall@10", "p50 ms", "p99 ms"], efRows),
  "",
  ...goalLines,
  "",
  `Data: ${clusters} gaussian clusters of ${dimension}-dim unit vectors (seed ${seed}); text of CMRC jieba words by Zipf's law with 32 topic words per cluster.`,
].join("\n");

const largest = sizesJson[sizesJson.length - 1];
writeResults(
  "search-scale",
  {
    ratios: {
      ...Object.fromEntries(sizesJson.filter((r) => r.vectorPrecision === precisions[0]).map((r) => [`lexicalP99ExactVsSummed${r.chunks}`, r.lexicalP99ExactVsSummed])),
      ...Object.fromEntries(
        sizes.flatMap((size) => {
          const f32 = sizesJson.find((r) => r.chunks === size && r.vectorPrecision === "float32");
          const f16 = sizesJson.find((r) => r.chunks === size && r.vectorPrecision === "float16");
          if (!f32 || !f16) return [];
          return [
            [`rssPerChunkFloat16VsFloat32${size}`, ratio(f16.memory.rssBytesPerChunk, f32.memory.rssBytesPerChunk)],
            [`denseP99Float16VsFloat32${size}`, ratio(f16.latencyMs.dense.p99Ms, f32.latencyMs.dense.p99Ms)],
          ];
        }),
      ),
    },
    ratioNote:
      "Lexical: FTS5 bm25() p99 ÷ the store's lexical search p99 per size, same questions and run (> 1: the new search is faster). Vectors (when both were measured): float16's RSS per chunk and dense p99 ÷ float32's, same store and run (< 1: float16 is smaller or faster). Otherwise absolute latencies, recall and memory per size; goals are reported under each size's `goal`.",
    seed,
    dimension,
    clusters,
    queries,
    textQueries,
    full,
    vectorPrecisions: precisions,
    headline: largest
      ? { chunks: largest.chunks, denseP99Ms: largest.latencyMs.dense.p99Ms, recallAt10: largest.recallAt10, retrieveAndPackP95Ms: largest.latencyMs.retrieveAndPack.p95Ms }
      : null,
    sizes: sizesJson,
  },
  markdown,
);
