// `npm run bench:ingest`: the same corpus and embedding model through (a) alpaca-rag, (b) the plain LangChain JS
// pipeline and (c) the raw limit (node-llama-cpp embedding alpaca-rag's own chunks in a tight loop), each in its own
// process, for stories260K and a synthetic 22M-parameter model of realistic cost; then a second ingest of the
// unchanged folder. Writes bench/results/ingest.json and ingest.md and prints the table.
// Flags: --threads N (default: physical cores), --only stories|synthetic, --passages N (first N trial passages + the PDF;
// default all 256 — `npm run bench` uses a subset so that the whole suite fits its time budget)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AlpacaIngestOptions, AlpacaIngestResult } from "./alpaca-pipeline.js";
import { prepareBenchCorpus } from "./corpus.js";
import type { LangchainIngestOptions, LangchainIngestResult } from "./langchain-pipeline.js";
import { charBudget } from "./lib/char-budget.js";
import { readCmrcPassages } from "./lib/cmrc.js";
import { formatTable, mib, runInChild } from "./lib/measure.js";
import { benchDir, sharedPath } from "./lib/paths.js";
import { ensureSyntheticModel } from "./make-synthetic-model.js";
import type { RawEmbedOptions, RawEmbedResult } from "./raw-embed.js";

const chunkTokens = 384; // alpaca-rag's default chunk.size
const overlapTokens = 64; // and chunk.overlap

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const physicalCores = Math.max(1, Math.floor(os.availableParallelism()));
const threads = Number(flag("--threads") ?? physicalCores);
const only = flag("--only");
const passages = flag("--passages") === undefined ? undefined : Number(flag("--passages"));
const work = path.join(os.tmpdir(), "alpaca-rag-bench-ingest");
// Other processes on the machine change every figure (llama.cpp's threads wait on each other); the run records them.
const loadAtStart = os.loadavg()[0];
const corpus = await prepareBenchCorpus(path.join(work, "corpus"), { passages });
console.log(`corpus: ${corpus.files} distinct files (${corpus.files - 1} CMRC trial passages as .txt + the 6-page sample PDF), threads ${threads}`);

const models = [
  { name: "stories260K", path: sharedPath("models", "stories260K.gguf"), note: "260K parameters: per-call overhead dominates" },
  { name: "synthetic-22m", path: ensureSyntheticModel().path, note: "22.9M parameters, 6 layers × 384: realistic embedder cost" },
].filter((m) => !only || m.name.startsWith(only));

const r2 = (x: number) => Math.round(x * 100) / 100;
const perModel: Record<string, unknown> = {};
const rows: (string | number)[][] = [];
const ratioRows: (string | number)[][] = [];

for (const model of models) {
  console.log(`\n== ${model.name} (${model.note})`);
  const ours = await runInChild<AlpacaIngestResult>("bench/alpaca-pipeline.ts", {
    dir: corpus.dir,
    storeDir: path.join(work, `store-${model.name}`),
    modelPath: model.path,
    threads,
    chunkSize: chunkTokens,
    chunkOverlap: overlapTokens,
  } satisfies AlpacaIngestOptions);
  const first = ours.result.first;
  console.log(`alpaca-rag: ${first.chunks} chunks in ${first.seconds.toFixed(2)} s (model load ${first.modelLoadSeconds.toFixed(2)} s); re-ingest ${ours.result.second.seconds.toFixed(3)} s`);

  const raw = await runInChild<RawEmbedResult>("bench/raw-embed.ts", {
    modelPath: model.path,
    threads,
    chunks: ours.result.chunkTokens,
    contextSize: 512,
  } satisfies RawEmbedOptions);
  if (!raw.result.vectorsOk) throw new Error("raw embedding produced non-finite vectors");
  console.log(`raw limit: ${raw.result.chunks} chunks in ${raw.result.seconds.toFixed(2)} s`);
  // The same bare loop with alpaca-rag's split (its contexts side by side, the threads divided): how much of the gain
  // over the plain loop is the split itself, and what the pipeline around it costs.
  const contexts = ours.result.embeddingContexts;
  const rawSplit = contexts > 1
    ? await runInChild<RawEmbedResult>("bench/raw-embed.ts", {
        modelPath: model.path,
        threads,
        chunks: ours.result.chunkTokens,
        contextSize: 512,
        contexts,
      } satisfies RawEmbedOptions)
    : raw;
  if (!rawSplit.result.vectorsOk) throw new Error("raw embedding (split) produced non-finite vectors");
  if (contexts > 1) console.log(`raw loop, ${contexts} contexts side by side: ${rawSplit.result.chunks} chunks in ${rawSplit.result.seconds.toFixed(2)} s`);

  // LangChain's splitter counts characters: the budget is the character length that holds 384 of this model's tokens.
  const texts = readCmrcPassages().slice(0, passages ?? Infinity).map((p) => p.context);
  const size = await charBudget({ modelPath: model.path, texts, tokens: chunkTokens });
  const overlap = await charBudget({ modelPath: model.path, texts, tokens: overlapTokens });
  const lc = await runInChild<LangchainIngestResult>("bench/langchain-pipeline.ts", {
    dir: corpus.dir,
    modelPath: model.path,
    threads,
    chunkSize: size.chars,
    chunkOverlap: overlap.chars,
    saveDir: path.join(work, `hnswlib-${model.name}`),
  } satisfies LangchainIngestOptions);
  console.log(`langchain: ${lc.result.chunks} chunks in ${lc.result.seconds.toFixed(2)} s`);

  const embedSeconds = first.seconds - first.modelLoadSeconds;
  const oursChunksPerSecond = first.chunks / embedSeconds;
  const rawChunksPerSecond = raw.result.chunks / raw.result.seconds;
  const oursTokensPerSecond = ours.result.tokens / embedSeconds;
  const rawTokensPerSecond = raw.result.tokens / raw.result.seconds;
  const rawSplitChunksPerSecond = rawSplit.result.chunks / rawSplit.result.seconds;
  const ratios = {
    // Same chunks: throughput of the whole pipeline (load excluded on both sides) over the bare embedding loop
    // (one context with every thread, the way node-llama-cpp's guide embeds).
    vsRawLimit: r2(oursChunksPerSecond / rawChunksPerSecond),
    // Over the bare loop with alpaca-rag's own context split: what parsing, segmentation and SQLite cost on top.
    vsRawSameContexts: r2(oursChunksPerSecond / rawSplitChunksPerSecond),
    // Same corpus, each pipeline's own chunking: corpus per second, i.e. LangChain's wall time over ours.
    vsLangchain: r2(lc.result.seconds / first.seconds),
    // LangChain has no incremental mode: re-ingesting means rebuilding, which takes its first-run time.
    reingestVsLangchain: Math.round(lc.result.seconds / ours.result.second.seconds),
  };
  perModel[model.name] = {
    alpacaRag: {
      seconds: first.seconds,
      modelLoadSeconds: first.modelLoadSeconds,
      chunks: first.chunks,
      tokens: ours.result.tokens,
      chunksPerSecond: oursChunksPerSecond,
      tokensPerSecond: oursTokensPerSecond,
      reingestSeconds: ours.result.second.seconds,
      peakRssMiB: mib(ours.maxRssBytes),
      embeddingContexts: contexts,
      threadsPerContext: Math.max(1, Math.floor(threads / contexts)),
    },
    rawSameContexts: { contexts, seconds: rawSplit.result.seconds, chunks: rawSplit.result.chunks, chunksPerSecond: rawSplitChunksPerSecond, peakRssMiB: mib(rawSplit.maxRssBytes) },
    rawLimit: { seconds: raw.result.seconds, loadSeconds: raw.result.loadSeconds, chunks: raw.result.chunks, tokens: raw.result.tokens, chunksPerSecond: rawChunksPerSecond, tokensPerSecond: rawTokensPerSecond, peakRssMiB: mib(raw.maxRssBytes) },
    langchain: { seconds: lc.result.seconds, chunks: lc.result.chunks, phases: lc.result.phases, chunkSizeChars: size.chars, chunkOverlapChars: overlap.chars, peakRssMiB: mib(lc.maxRssBytes) },
    ratios,
  };
  rows.push(
    ["alpaca-rag", model.name, first.chunks, r2(first.seconds), r2(first.modelLoadSeconds), r2(oursChunksPerSecond), Math.round(oursTokensPerSecond), mib(ours.maxRssBytes), r2(ours.result.second.seconds)],
    ["raw llama.cpp", model.name, raw.result.chunks, r2(raw.result.seconds), r2(raw.result.loadSeconds), r2(rawChunksPerSecond), Math.round(rawTokensPerSecond), mib(raw.maxRssBytes), "-"],
    [`raw, ${contexts} ctx × ${Math.max(1, Math.floor(threads / contexts))} thr`, model.name, rawSplit.result.chunks, r2(rawSplit.result.seconds), r2(rawSplit.result.loadSeconds), r2(rawSplitChunksPerSecond), Math.round(rawSplit.result.tokens / rawSplit.result.seconds), mib(rawSplit.maxRssBytes), "-"],
    ["LangChain JS", model.name, lc.result.chunks, r2(lc.result.seconds), r2(lc.result.phases.modelLoad), r2(lc.result.chunks / (lc.result.seconds - lc.result.phases.modelLoad)), "-", mib(lc.maxRssBytes), `${r2(lc.result.seconds)} (rebuild)`],
  );
  ratioRows.push([model.name, ratios.vsRawLimit, ratios.vsRawSameContexts, ratios.vsLangchain, ratios.reingestVsLangchain]);
}

const machine = `${os.cpus()[0]?.model ?? "cpu"}, ${physicalCores} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const loadAverage = { start: r2(loadAtStart), end: r2(os.loadavg()[0]) };
const table = formatTable(["pipeline", "model", "chunks", "seconds", "model load s", "chunks/s", "tokens/s", "peak RSS MiB", "re-ingest s"], rows);
const ratioTable = formatTable(["model", "vs raw limit", "vs raw, same contexts", "vs LangChain", "re-ingest vs LangChain"], ratioRows);
const realistic = (perModel["synthetic-22m"] ?? perModel[models[0]?.name ?? ""]) as { ratios: Record<string, number> } | undefined;
const markdown =
  `## Ingest throughput (${new Date().toISOString().slice(0, 10)}; ${machine}; threads ${threads}; ${corpus.files - 1} passages + the sample PDF; 1-minute load average ${loadAverage.start} at the start, ${loadAverage.end} at the end)\n\n${table}\n\n` +
  `Ratios (ours ÷ theirs in throughput; > 1 means alpaca-rag is faster):\n\n${ratioTable}\n\n` +
  "seconds: whole pipeline incl. model load (raw: the embedding loop alone, load apart). chunks/s excludes model load. " +
  "vs raw limit: alpaca-rag's chunks/s over the bare loop (one context, every thread) embedding the same chunks; alpaca-rag " +
  "on a CPU evaluates chunks side by side in one context per thread (at most 4), so \"vs raw, same contexts\" compares with the bare " +
  "loop split the same way (the cost of parsing, segmentation and SQLite on top). vs LangChain: LangChain's wall time over ours on " +
  "the same corpus (its splitter measures characters: budget = the characters that hold 384 tokens). Re-ingest: ours on the unchanged " +
  "folder; LangChain rebuilds, which costs its first run.\n";
fs.mkdirSync(path.join(benchDir, "results"), { recursive: true });
fs.writeFileSync(
  path.join(benchDir, "results", "ingest.json"),
  `${JSON.stringify({ name: "ingest", date: new Date().toISOString(), machine, loadAverage, threads, corpus: { files: corpus.files, chars: corpus.chars, passages: corpus.files - 1 }, ratiosModel: perModel["synthetic-22m"] ? "synthetic-22m" : models[0]?.name, ratios: realistic?.ratios ?? {}, models: perModel }, null, 2)}\n`,
);
fs.writeFileSync(path.join(benchDir, "results", "ingest.md"), markdown);
console.log(`\n${markdown}`);
