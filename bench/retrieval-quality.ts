// `npm run bench:quality`: retrieval quality on the CMRC 2018 trial set (one .txt per passage, every non-empty
// question, gold = its passage's file): recall@1/5/10 and MRR of alpaca-rag hybrid (default auto weights), lexical-only
// and dense-only, beside the LangChain JS pipeline's vector search (HNSWLib + LlamaCppEmbeddings, similaritySearch k=10)
// with the same embedding model, per model. Each side runs in its own child process, one after the other.
// Writes bench/results/retrieval-quality.json and .md.
// Flags: --threads N, --models stories,synthetic, --passages N (all models), --full (synthetic on all 256 passages)
import os from "node:os";
import path from "node:path";
import { charBudget } from "./lib/char-budget.js";
import { flag, hasFlag, listFlag, numberFlag } from "./lib/cli.js";
import { writeCmrcQuestionSet } from "./lib/cmrc-questions.js";
import { readCmrcPassages } from "./lib/cmrc.js";
import { formatTable, runInChild } from "./lib/measure.js";
import { sharedPath } from "./lib/paths.js";
import { defaultThreads, describeMachine, writeResults } from "./lib/report.js";
import { ratio, round } from "./lib/stats.js";
import { ensureSyntheticModel } from "./make-synthetic-model.js";
import type { QualityAlpacaOptions, QualityAlpacaResult } from "./quality-alpaca.js";
import type { QualityLangchainOptions, QualityLangchainResult } from "./quality-langchain.js";

const chunkTokens = 384; // alpaca-rag's default chunk.size, which LangChain's character budget is matched to
const overlapTokens = 64;

const threads = numberFlag("--threads", defaultThreads());
const full = hasFlag("--full");
const wanted = listFlag("--models", ["stories", "synthetic"]);
const passagesFlag = flag("--passages");
const work = path.join(os.tmpdir(), "alpaca-rag-bench-quality");

// To keep the whole `npm run bench` within its time budget, by default stories260K is scored on the first 128 passages
// (about half the questions) and the synthetic model, ~100× its cost per token, on the first 12; --full scores both on all
// 256 (`alpaca-rag eval` gives the whole set's figures for any embedder).
const models = [
  { name: "stories260K", path: () => sharedPath("models", "stories260K.gguf"), passages: full ? 256 : 128 },
  { name: "synthetic-22m", path: () => ensureSyntheticModel().path, passages: full ? 256 : 12 },
].filter((m) => wanted.some((w) => m.name.startsWith(w)));

const perModel: Record<string, unknown> = {};
const rows: (string | number)[][] = [];
const ratioRows: (string | number)[][] = [];
const ratios: Record<string, number | null> = {};

for (const model of models) {
  const modelPath = model.path();
  const set = writeCmrcQuestionSet(path.join(work, `corpus-${model.name}`), { passages: passagesFlag ? Number(passagesFlag) : model.passages });
  console.log(`\n== ${model.name}: ${set.passages} passages, ${set.questions.length} questions, threads ${threads}`);

  const ours = await runInChild<QualityAlpacaResult>("bench/quality-alpaca.ts", {
    dir: set.dir,
    storeDir: path.join(work, `store-${model.name}`),
    modelPath,
    threads,
    questions: set.questions,
  } satisfies QualityAlpacaOptions);
  console.log(`alpaca-rag: ${ours.result.chunks} chunks; hybrid MRR ${ours.result.hybrid.mrr.toFixed(3)}, lexical ${ours.result.lexical.mrr.toFixed(3)}`);

  const texts = readCmrcPassages().map((p) => p.context);
  const size = await charBudget({ modelPath, texts, tokens: chunkTokens });
  const overlap = await charBudget({ modelPath, texts, tokens: overlapTokens });
  const lc = await runInChild<QualityLangchainResult>("bench/quality-langchain.ts", {
    dir: set.dir,
    modelPath,
    threads,
    chunkSize: size.chars,
    chunkOverlap: overlap.chars,
    questions: set.questions,
  } satisfies QualityLangchainOptions);
  console.log(`langchain: ${lc.result.chunks} chunks; MRR ${lc.result.mrr.toFixed(3)}`);

  const r = ours.result;
  const modelRatios = {
    hybridVsLangchain: ratio(r.hybrid.mrr, lc.result.mrr),
    lexicalVsLangchain: ratio(r.lexical.mrr, lc.result.mrr),
    denseVsLangchain: ratio(r.dense.mrr, lc.result.mrr),
  };
  perModel[model.name] = {
    passages: set.passages,
    questions: set.questions.length,
    alpacaRag: { chunks: r.chunks, ingestSeconds: r.ingestSeconds, hybrid: r.hybrid, lexical: r.lexical, dense: r.dense, calibration: r.calibration },
    langchain: { ...lc.result, chunkSizeChars: size.chars, chunkOverlapChars: overlap.chars },
    ratios: modelRatios,
  };
  for (const [key, value] of Object.entries(modelRatios)) ratios[`${key}.${model.name}`] = value;
  const row = (name: string, m: { recallAt1: number; recallAt5: number; recallAt10: number; mrr: number; meanMs: number }, chunks: number) => [
    name, model.name, `${set.passages}/${set.questions.length}`, chunks,
    round(m.recallAt1, 3), round(m.recallAt5, 3), round(m.recallAt10, 3), round(m.mrr, 3), round(m.meanMs, 1),
  ];
  const weight = r.calibration ? ` (dense weight ${round(r.calibration.denseWeight, 2)})` : "";
  rows.push(
    row(`alpaca-rag hybrid${weight}`, r.hybrid, r.chunks),
    row("alpaca-rag lexical-only", r.lexical, r.chunks),
    row("alpaca-rag dense-only", r.dense, r.chunks),
    row("LangChain JS vector search", lc.result, lc.result.chunks),
  );
  ratioRows.push([model.name, modelRatios.hybridVsLangchain ?? "n/a", modelRatios.lexicalVsLangchain ?? "n/a", modelRatios.denseVsLangchain ?? "n/a"]);
}

// The headline ratios are the realistic-cost model's when it ran, else the first model's.
const headline = (perModel["synthetic-22m"] ?? perModel[models[0]?.name ?? ""]) as { ratios: Record<string, number | null> } | undefined;
Object.assign(ratios, headline?.ratios ?? {});

const markdown = [
  `## Retrieval quality on CMRC 2018 trial (${new Date().toISOString().slice(0, 10)}; ${describeMachine()}; threads ${threads})`,
  "",
  formatTable(["retriever", "model", "passages/questions", "chunks", "recall@1", "recall@5", "recall@10", "MRR", "ms/question"], rows),
  "",
  "Ratios of MRR (ours ÷ LangChain's; > 1 means alpaca-rag ranks the gold passage higher):",
  "",
  formatTable(["model", "hybrid vs LangChain", "lexical vs LangChain", "dense vs LangChain"], ratioRows),
  "",
  "Gold: the question's passage file; a result counts when it comes from that file. alpaca-rag chunks by the embedding model's " +
    `tokens (${chunkTokens}, overlap ${overlapTokens}); LangChain's splitter by the characters that hold as many tokens. Both embed with the same ` +
    "GGUF and the same threads. Neither model is a trained Chinese embedder (stories260K is an English toy model, synthetic-22m has random " +
    "weights), so dense retrieval is close to chance here: the table shows what each pipeline makes of a weak embedder.",
].join("\n");

writeResults(
  "retrieval-quality",
  {
    ratios,
    ratioNote: "MRR ratios, ours ÷ LangChain's (> 1: alpaca-rag better); keys without a model suffix are the headline model's (synthetic-22m when run).",
    threads,
    full,
    models: perModel,
  },
  markdown,
);
