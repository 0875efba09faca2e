// `npm run bench:ingest-scale`: alpaca-rag's ingest throughput at a few corpus sizes (the first N CMRC passages, one
// .txt each, into a fresh store, with stories260K), for the chart's ingest-versus-size curve. Small on purpose: the
// full corpus is bench/ingest.ts's. Each size runs bench/alpaca-pipeline.ts in its own child process.
// Writes bench/results/ingest-scale.json and .md. Flags: --threads N, --passages 32,64 (sizes), --model PATH
import os from "node:os";
import path from "node:path";
import type { AlpacaIngestOptions, AlpacaIngestResult } from "./alpaca-pipeline.js";
import { flag, listFlag, numberFlag } from "./lib/cli.js";
import { writeCmrcQuestionSet } from "./lib/cmrc-questions.js";
import { formatTable, mib, runInChild } from "./lib/measure.js";
import { sharedPath } from "./lib/paths.js";
import { defaultThreads, describeMachine, writeResults } from "./lib/report.js";
import { round } from "./lib/stats.js";

const threads = numberFlag("--threads", defaultThreads());
const sizes = listFlag("--passages", ["32", "64"]).map(Number);
const modelPath = flag("--model") ?? sharedPath("models", "stories260K.gguf");
const modelName = path.basename(modelPath, ".gguf");
const work = path.join(os.tmpdir(), "alpaca-rag-bench-ingest-scale");

const points: Array<{ passages: number; chunks: number; seconds: number; embedSeconds: number; chunksPerSecond: number; tokensPerSecond: number; peakRssMiB: number }> = [];
for (const passages of sizes) {
  const set = writeCmrcQuestionSet(path.join(work, `corpus-${passages}`), { passages });
  const run = await runInChild<AlpacaIngestResult>("bench/alpaca-pipeline.ts", {
    dir: set.dir,
    storeDir: path.join(work, `store-${passages}`),
    modelPath,
    threads,
    chunkSize: 384,
    chunkOverlap: 64,
  } satisfies AlpacaIngestOptions);
  const first = run.result.first;
  const embedSeconds = first.seconds - first.modelLoadSeconds;
  points.push({
    passages: set.passages,
    chunks: first.chunks,
    seconds: round(first.seconds, 2),
    embedSeconds: round(embedSeconds, 2),
    chunksPerSecond: round(first.chunks / embedSeconds, 2),
    tokensPerSecond: Math.round(run.result.tokens / embedSeconds),
    peakRssMiB: mib(run.maxRssBytes),
  });
  console.log(`${set.passages} passages: ${first.chunks} chunks in ${first.seconds.toFixed(2)} s`);
}

const markdown = [
  `## Ingest throughput by corpus size (${new Date().toISOString().slice(0, 10)}; ${describeMachine()}; threads ${threads}; ${modelName})`,
  "",
  formatTable(
    ["passages", "chunks", "seconds", "chunks/s", "tokens/s", "peak RSS MiB"],
    points.map((p) => [p.passages, p.chunks, p.seconds, p.chunksPerSecond, p.tokensPerSecond, p.peakRssMiB]),
  ),
  "",
  "alpaca-rag ingest of the first N CMRC 2018 trial passages (one .txt each) into a fresh store, chunk size 384 tokens, overlap 64; " +
    "chunks/s and tokens/s exclude model load.",
].join("\n");

writeResults("ingest-scale", { ratios: {}, ratioNote: "No baseline here: bench/ingest.ts compares pipelines on the full corpus.", threads, model: modelName, points }, markdown);
