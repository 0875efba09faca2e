// `npm run bench:generation`: answer speed of `ask` against raw node-llama-cpp on the same packed prompt, per model:
// decode tokens/s (after the first token), time to first token and whole-call tokens/s, greedy sampling, a fixed
// token budget. Models: stories260K (512-token context) and a synthetic 110M-parameter llama (12 layers × 768,
// written to bench/models on first use). Writes bench/results/generation.json and .md.
// Flags: --threads N, --max-tokens N (default 128), --repeats N (default 5), --models stories,synthetic
import os from "node:os";
import path from "node:path";
import type { GenerationRunOptions, GenerationRunResult } from "./generation-run.js";
import { listFlag, numberFlag } from "./lib/cli.js";
import { formatTable, mib, runInChild } from "./lib/measure.js";
import { sharedPath } from "./lib/paths.js";
import { defaultThreads, describeMachine, writeResults } from "./lib/report.js";
import { ratio, round } from "./lib/stats.js";
import { ensureGeneratorModel } from "./make-synthetic-model.js";

/** The goal: ask decodes at no less than this share of raw node-llama-cpp's tokens/s. */
const goalShare = 0.95;

const threads = numberFlag("--threads", defaultThreads());
const maxTokens = numberFlag("--max-tokens", 128);
const repeats = numberFlag("--repeats", 5); // runs vary by ±7% on a shared host: five per side keep the medians steady
const wanted = listFlag("--models", ["stories", "synthetic"]);
const work = path.join(os.tmpdir(), "alpaca-rag-bench-generation");

// A few short English documents (stories260K only knows English), written for this benchmark.
const documents = {
  "lantern-bridge.txt":
    "The Lantern Bridge crosses the Mill River in the old town. It was finished in 1921 and is made of grey stone. " +
    "Every autumn the town hangs paper lanterns along its rails, which is how the bridge got its name.",
  "seed-library.txt":
    "The seed library lends seeds instead of books. Members take a packet in spring and bring back seeds from their " +
    "own harvest in autumn. It opens on Saturday mornings from nine to noon, next to the post office.",
  "river-ferry.txt":
    "Before the bridge was built, a small ferry carried people across the river. The ferry could hold twelve " +
    "passengers and one cart. It stopped running the year the bridge opened.",
};
const question = "When was the Lantern Bridge finished, and what is it made of?";

const models = [
  { name: "stories260K", params: "260K", path: () => sharedPath("models", "stories260K.gguf") },
  { name: "synthetic-110m", params: "110M", path: () => ensureGeneratorModel().path },
].filter((m) => wanted.some((w) => m.name.startsWith(w)));

const perModel: Record<string, unknown> = {};
const rows: (string | number)[][] = [];
const ratioRows: (string | number)[][] = [];
const ratios: Record<string, number | null> = {};

for (const model of models) {
  console.log(`\n== ${model.name}: ${repeats} runs per side of up to ${maxTokens} tokens, threads ${threads}`);
  const run = await runInChild<GenerationRunResult>("bench/generation-run.ts", {
    modelPath: model.path(),
    threads,
    maxTokens,
    repeats,
    workDir: path.join(work, model.name),
    documents,
    question,
  } satisfies GenerationRunOptions);
  const r = run.result;
  const { ours, raw } = r.medians;
  const modelRatios = {
    // throughput: ours ÷ raw
    decodeTokensPerSecondVsRaw: ratio(ours.decodeTokensPerSecond, raw.decodeTokensPerSecond),
    tokensPerSecondVsRaw: ratio(ours.tokensPerSecond, raw.tokensPerSecond),
    // time: raw ÷ ours, so > 1 still means we are faster
    firstTokenVsRaw: ratio(raw.firstTokenMs, ours.firstTokenMs),
  };
  perModel[model.name] = {
    parameters: model.params,
    contextSize: r.contextSize,
    promptTokens: r.promptTokens,
    sources: r.sources,
    sameText: r.sameText,
    medians: r.medians,
    runs: { ours: r.ours.map(({ text: _t, ...s }) => s), oursAsk: r.oursAsk, raw: r.raw.map(({ text: _t, ...s }) => s) },
    sampleText: r.ours[0]?.text.slice(0, 200) ?? "",
    peakRssMiB: mib(run.maxRssBytes),
    ratios: modelRatios,
    goal: { share: goalShare, met: (modelRatios.decodeTokensPerSecondVsRaw ?? 0) >= goalShare },
  };
  for (const [key, value] of Object.entries(modelRatios)) ratios[`${key}.${model.name}`] = value;
  console.log(`ours ${round(ours.decodeTokensPerSecond, 1)} tok/s, raw ${round(raw.decodeTokensPerSecond, 1)} tok/s; same text: ${r.sameText}`);
  rows.push(
    ["ask (alpaca-rag)", model.name, r.promptTokens, ours.completionTokens, round(ours.decodeTokensPerSecond, 1), round(ours.tokensPerSecond, 1), round(ours.firstTokenMs, 1), round(r.medians.askFirstTextMs, 1)],
    ["raw node-llama-cpp", model.name, r.promptTokens, raw.completionTokens, round(raw.decodeTokensPerSecond, 1), round(raw.tokensPerSecond, 1), round(raw.firstTokenMs, 1), "-"],
  );
  ratioRows.push([
    model.name,
    modelRatios.decodeTokensPerSecondVsRaw ?? "n/a",
    modelRatios.tokensPerSecondVsRaw ?? "n/a",
    modelRatios.firstTokenVsRaw ?? "n/a",
    (modelRatios.decodeTokensPerSecondVsRaw ?? 0) >= goalShare ? "yes" : "no",
    r.sameText ? "yes" : "no",
  ]);
}

const headline = (perModel["synthetic-110m"] ?? perModel[models[0]?.name ?? ""]) as { ratios: Record<string, number | null> } | undefined;
Object.assign(ratios, headline?.ratios ?? {});

const markdown = [
  `## Generation speed (${new Date().toISOString().slice(0, 10)}; ${describeMachine()}; threads ${threads})`,
  "",
  formatTable(["side", "model", "prompt tokens", "tokens", "decode tok/s", "tok/s incl. prompt", "first token ms", "ask first text ms"], rows),
  "",
  `Ratios (throughput: ours ÷ raw; time: raw ÷ ours; > 1 means alpaca-rag is faster; goal: decode ≥ ${goalShare} of raw):`,
  "",
  formatTable(["model", "decode tok/s", "tok/s incl. prompt", "first token", `≥ ${goalShare}`, "same text"], ratioRows),
  "",
  `Medians of ${repeats} alternating runs per side after a warm-up. Both sides: the same packed prompt (the answer path's retrieval and packing over ` +
    `${Object.keys(documents).length} short documents), greedy sampling with repeat penalty 1.1, at most ${maxTokens} tokens, stop at EOS, the same context size, ` +
    "batch size and threads. Raw: a fresh context sequence per answer; ours: the generator as it runs in the product, whose kept sequence " +
    "already holds the prompt asked before, so it evaluates only what differs (llama-server's prompt cache); hence its short first token and " +
    "tok/s incl. prompt. first token: from the call into the generator (ours) or LlamaCompletion (raw) " +
    "to the first text; ask first text: from calling answerQuestion, retrieval and packing included. synthetic-110m has random weights.",
].join("\n");

writeResults(
  "generation",
  {
    ratios,
    ratioNote: "Throughput ratios are ours ÷ raw; the first-token ratio is raw ÷ ours (time); > 1 means alpaca-rag is faster. Keys without a model suffix are the headline model's (synthetic-110m when run).",
    threads,
    maxTokens,
    repeats,
    question,
    models: perModel,
  },
  markdown,
);
