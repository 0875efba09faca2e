// Measures retrieval on the whole CMRC 2018 trial set (256 passages, 1,002 questions): lexical, dense and hybrid at
// several fusion weights, with stories260K (a weak embedder) and with no embedder. Too slow for the test suite
// (ingesting with stories260K takes about a minute on 2 cores); run it by hand:
//   npx tsx test/retrieval/cmrc.measure.ts [work-folder]   (a work folder from an earlier run is reused)
import fs from "node:fs";
import path from "node:path";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { chooseEmbeddingModel, loadEmbedder, type Embedder } from "../../src/models/embedder.js";
import { calibrateDenseWeight } from "../../src/retrieval/calibrate.js";
import { evaluateRetrieval, type EvaluationQuestion } from "../../src/retrieval/evaluate.js";
import type { FusionWeights } from "../../src/retrieval/fusion.js";
import { openStore } from "../../src/store/open.js";
import { bigramEmbedder } from "./bigramEmbedder.js";
import { cmrcParagraphs, storiesModel, tempDir, testSettings, writeFiles } from "../helpers.js";

const work = process.argv[2] ?? tempDir("alpaca-rag-cmrc-");
const paragraphs = cmrcParagraphs();
const inbox = path.join(work, "inbox");
if (!fs.existsSync(inbox)) writeFiles(inbox, Object.fromEntries(paragraphs.map((p) => [`${p.id}.txt`, p.context])));
// Two questions of the trial set are empty strings: data errors, left out.
const questions: EvaluationQuestion[] = paragraphs.flatMap((p) =>
  p.qas.filter((q) => q.question.trim() !== "").map((q) => ({ question: q.question, goldPaths: [`${p.id}.txt`] })),
);

const format = (m: { recallAt1: number; recallAt5: number; recallAt10: number; mrr: number; meanMs: number; mode: string }) =>
  `R@1 ${m.recallAt1.toFixed(3)}  R@5 ${m.recallAt5.toFixed(3)}  R@10 ${m.recallAt10.toFixed(3)}  MRR ${m.mrr.toFixed(3)}  ` +
  `${m.meanMs.toFixed(1)} ms/q  (${m.mode})`;

type Run = { name: string; weights: FusionWeights | "auto"; withEmbedder: boolean };

async function measure(label: string, model: string, runs: Run[], given?: Embedder) {
  const settings = testSettings({ store: path.join(work, `store-${label}`), inbox, model });
  const summary = await ingestFolder({ settings, embedder: given });
  console.log(`\n${label}: ${summary.chunks || "(reused)"} chunks ingested in ${summary.seconds.toFixed(1)} s`);
  const choice = await chooseEmbeddingModel(settings);
  const embedder: Embedder | null = given ?? (choice.kind === "model" ? await loadEmbedder(settings, choice) : null);
  const store = await openStore(settings.store);
  try {
    console.log(`${label}: ${(await store.count("chunks"))} chunks, ${questions.length} questions`);
    if (embedder) {
      const t = performance.now();
      const c = await calibrateDenseWeight({ store, embedder });
      const relative = c.relative === null ? "n/a" : c.relative.toFixed(3);
      console.log(`  calibration: ${c.probes} probes, dense MRR ${c.denseMrr.toFixed(3)}, lexical MRR ${c.lexicalMrr.toFixed(3)}, relative ${relative}, ` +
        `dense weight ${c.denseWeight.toFixed(3)} (${(performance.now() - t).toFixed(0)} ms)`);
    }
    for (const run of runs) {
      const m = await evaluateRetrieval({ kbs: ["default"], store, embedder: run.withEmbedder ? embedder : null, questions, k: 10, candidates: 50, weights: run.weights });
      console.log(`  ${run.name.padEnd(28)} ${format(m)}`);
    }
  } finally {
    await store.close();
    if (!given) await embedder?.dispose();
  }
}

const hybrid = (dense: number): Run => ({ name: `hybrid dense ${dense}`, weights: { dense, lexical: 1 }, withEmbedder: true });
const runs: Run[] = [
  { name: "lexical only", weights: { dense: 0, lexical: 1 }, withEmbedder: true },
  { name: "dense only", weights: { dense: 1, lexical: 0 }, withEmbedder: true },
  ...[1, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01].map(hybrid),
  { name: "hybrid auto (default)", weights: "auto", withEmbedder: true },
  { name: "embedder null", weights: "auto", withEmbedder: false },
];
const only = process.env.MEASURE_ONLY;
if (!only || only === "stories260K") await measure("stories260K", storiesModel, runs);
if (!only || only === "bigram") await measure("bigram", "none", runs, bigramEmbedder());
if (!only || only === "none") await measure("none", "none", [{ name: "lexical only", weights: "auto", withEmbedder: false }]);
console.log(`\nwork folder: ${work}`);
