// Smoke run of the benchmark's baselines: the LangChain pipeline and the raw embedding loop on the bench corpus,
// each in its own child process, for stories260K and the synthetic 22M model. Prints a markdown table.
// Run: npx tsx bench/try-baselines.ts [--threads N] [--only stories|synthetic]
import os from "node:os";
import path from "node:path";
import { prepareBenchCorpus } from "./corpus.js";
import type { LangchainIngestOptions, LangchainIngestResult } from "./langchain-pipeline.js";
import { loadAndSplit } from "./langchain-pipeline.js";
import { charBudget } from "./lib/char-budget.js";
import { readCmrcPassages } from "./lib/cmrc.js";
import { formatTable, mib, runInChild } from "./lib/measure.js";
import { sharedPath } from "./lib/paths.js";
import { ensureSyntheticModel } from "./make-synthetic-model.js";
import type { RawEmbedOptions, RawEmbedResult } from "./raw-embed.js";

const CHUNK_TOKENS = 384; // alpaca-rag's default chunk.size
const OVERLAP_TOKENS = 64; // alpaca-rag's default chunk.overlap

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const threads = Number(flag("--threads") ?? 2);
const only = flag("--only");
const work = path.join(os.tmpdir(), "alpaca-rag-bench");
const corpus = await prepareBenchCorpus(path.join(work, "corpus"));
console.log(`corpus: ${corpus.files} files, ${corpus.chars} characters in .txt files → ${corpus.dir}`);

const models = [
  { name: "stories260K", path: sharedPath("models", "stories260K.gguf") },
  { name: "synthetic-22m", path: ensureSyntheticModel().path },
].filter((m) => !only || m.name.startsWith(only));

const columns = ["pipeline", "model", "threads", "chunks", "tokens", "seconds", "embed s", "chunks/s", "tokens/s", "load s", "peak RSS MiB", "loadavg"];
const rows: (string | number)[][] = [];
const r2 = (x: number) => Math.round(x * 100) / 100;

for (const model of models) {
  const texts = readCmrcPassages().map((p) => p.context);
  const size = await charBudget({ modelPath: model.path, texts, tokens: CHUNK_TOKENS });
  const overlap = await charBudget({ modelPath: model.path, texts, tokens: OVERLAP_TOKENS });
  console.log(
    `${model.name}: ${size.tokensPerChar.toFixed(2)} tokens/char (max ${size.maxTokensPerChar.toFixed(2)}) → ` +
      `chunkSize ${size.chars} chars, chunkOverlap ${overlap.chars} chars`,
  );

  const opts: LangchainIngestOptions = {
    dir: corpus.dir,
    modelPath: model.path,
    threads,
    chunkSize: size.chars,
    chunkOverlap: overlap.chars,
    saveDir: path.join(work, `hnswlib-${model.name}`),
  };
  // The raw loop embeds exactly the chunks LangChain makes, so the two differ only in what surrounds the embedder.
  const { chunks } = await loadAndSplit(opts);
  const rawArgs: RawEmbedOptions = { modelPath: model.path, threads, chunks: chunks.map((c) => c.pageContent) };

  // The 1-minute load average after each run: on a shared machine other processes' CPU use skews every number.
  const lc = await runInChild<LangchainIngestResult>("bench/langchain-pipeline.ts", opts);
  const lcLoad = os.loadavg()[0].toFixed(1);
  const raw = await runInChild<RawEmbedResult>("bench/raw-embed.ts", rawArgs);
  const rawLoad = os.loadavg()[0].toFixed(1);
  if (lc.result.chunks !== raw.result.chunks) throw new Error("LangChain and raw chunk counts differ");
  if (!raw.result.vectorsOk) throw new Error("raw embedding produced non-finite or zero vectors");
  console.log(`langchain ${model.name}:`, JSON.stringify(lc.result));
  console.log(`raw ${model.name}:`, JSON.stringify(raw.result));

  const tokens = raw.result.tokens; // same chunk texts, same tokenizer, so the same tokens
  const lcr = lc.result;
  rows.push(
    ["langchain", model.name, lcr.threads, lcr.chunks, tokens, r2(lcr.seconds), r2(lcr.phases.embedAndIndex),
      r2(lcr.chunks / lcr.seconds), Math.round(tokens / lcr.seconds), r2(lcr.phases.modelLoad), mib(lc.maxRssBytes), lcLoad],
    ["raw embed", model.name, raw.result.threads, raw.result.chunks, tokens, r2(raw.result.seconds), r2(raw.result.seconds),
      r2(raw.result.chunks / raw.result.seconds), Math.round(tokens / raw.result.seconds), r2(raw.result.loadSeconds),
      mib(raw.maxRssBytes), rawLoad],
  );
}

console.log(`\n${formatTable(columns, rows)}`);
console.log(
  "\nseconds: langchain = whole pipeline incl. model load; raw = embedding loop only (load s apart). " +
    "chunks/s and tokens/s use seconds. peak RSS: each child's own ru_maxrss. " +
    `loadavg: 1-minute load average after the run (${os.availableParallelism()} CPUs).`,
);
