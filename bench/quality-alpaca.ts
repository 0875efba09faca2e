// alpaca-rag's side of the retrieval-quality benchmark, run in its own process: ingest the CMRC passages with the given
// embedding model (default chunking), then score hybrid retrieval (default "auto" weights), lexical-only (weights
// dense 0, lexical 1) and dense-only (dense 1, lexical 0) on the same questions with evaluateRetrieval.
import fs from "node:fs";
import { loadSettings } from "../src/config/load.js";
import { ingestFolder } from "../src/ingest/pipeline.js";
import { openEngine } from "../src/qa/engine.js";
import type { DenseCalibration } from "../src/retrieval/calibrate.js";
import { evaluateRetrieval, type RetrievalMetrics } from "../src/retrieval/evaluate.js";
import { calibrationFor } from "../src/retrieval/hybrid.js";
import type { CmrcQuestion } from "./lib/cmrc-questions.js";
import { serveChild } from "./lib/measure.js";
import { projectRoot } from "./lib/paths.js";
import type { RankMetrics } from "./lib/rank-metrics.js";

export interface QualityAlpacaOptions {
  dir: string;
  storeDir: string;
  modelPath: string;
  threads: number;
  questions: CmrcQuestion[];
}

export type ModeMetrics = RankMetrics & { mode: string; meanMs: number };

export interface QualityAlpacaResult {
  chunks: number;
  ingestSeconds: number;
  hybrid: ModeMetrics;
  lexical: ModeMetrics;
  dense: ModeMetrics;
  /** How "auto" weighed the embedder on this store. */
  calibration: DenseCalibration | null;
}

function strip(m: RetrievalMetrics): ModeMetrics {
  const { ranks: _ranks, ...rest } = m;
  return rest;
}

export async function runQualityAlpaca(opts: QualityAlpacaOptions): Promise<QualityAlpacaResult> {
  fs.rmSync(opts.storeDir, { recursive: true, force: true });
  const settings = loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: { store: opts.storeDir, inbox: opts.dir, threads: opts.threads, gpu: false, "embedding.model": opts.modelPath },
  });
  const summary = await ingestFolder({ settings });
  if (summary.failed.length) throw new Error(`ingest failed on ${summary.failed.map((f) => f.path).join(", ")}`);
  const engine = await openEngine(settings, { generator: false, download: false });
  try {
    const questions = opts.questions.map((q) => ({ question: q.question, goldPaths: [q.goldFile] }));
    const run = (weights: { dense: number; lexical: number } | "auto") =>
      evaluateRetrieval({ kbs: ["default"], store: engine.store, embedder: engine.embedder, questions, k: 10, candidates: settings.retrieval.candidates, weights });
    const calibration = engine.embedder ? await calibrationFor(engine.store, engine.embedder) : null;
    return {
      chunks: await engine.store.count("chunks"),
      ingestSeconds: summary.seconds,
      hybrid: strip(await run("auto")),
      lexical: strip(await run({ dense: 0, lexical: 1 })),
      dense: strip(await run({ dense: 1, lexical: 0 })),
      calibration,
    };
  } finally {
    await engine.close();
  }
}

serveChild(import.meta.url, runQualityAlpaca);
