// Retrieval quality of two stores on the same CMRC trial corpus: each store gets the passages ingested twice, once
// lexical-only (no embedder) and once with an embedding model (hybrid), and each is scored with evaluateRetrieval
// (MRR@10, recall@1/5/10) under the same settings, so a difference comes from the store, not from the pipeline.
// Used by bench/postgres-store.ts (the "MRR equal within 0.005").
import { loadSettings } from "../../src/config/load.js";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { openEngine } from "../../src/qa/engine.js";
import { evaluateRetrieval } from "../../src/retrieval/evaluate.js";
import { openStore } from "../../src/store/open.js";
import type { CmrcQuestion } from "./cmrc-questions.js";
import { projectRoot } from "./paths.js";
import { round } from "./stats.js";

export interface QualityFigures {
  mrr: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  chunks: number;
  ingestSeconds: number;
}

export interface StoreComparison {
  sqlite: number;
  postgres: number;
  /** postgres − sqlite MRR. */
  diff: number;
  /** |diff| ≤ the tolerance. */
  withinTolerance: boolean;
}

export interface StoreQualityOptions {
  /** Corpus folder (one .txt per passage) and its questions with their gold file names. */
  inbox: string;
  questions: readonly CmrcQuestion[];
  modelPath: string;
  threads: number;
  /** A fresh, empty store location per call: a folder or a postgres:// URL, by kind ("sqlite" or "postgres"). */
  freshStore: (kind: "sqlite" | "postgres", purpose: "lexical" | "hybrid") => Promise<string>;
  tolerance?: number;
}

export interface StoreQualityResult {
  tolerance: number;
  questions: number;
  mrr: { lexical: StoreComparison; hybrid: StoreComparison };
  figures: Record<"lexical" | "hybrid", Record<"sqlite" | "postgres", QualityFigures>>;
}

async function scoreOne(store: string, opts: StoreQualityOptions, embedding: string): Promise<QualityFigures> {
  const settings = loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: { store, inbox: opts.inbox, threads: opts.threads, gpu: false, "embedding.model": embedding },
  });
  const summary = await ingestFolder({ settings });
  if (summary.failed.length) throw new Error(`ingest into ${store} failed on ${summary.failed.map((f) => f.path).join(", ")}`);
  const questions = opts.questions.map((q) => ({ question: q.question, goldPaths: [q.goldFile] }));
  const score = async (s: Awaited<ReturnType<typeof openStore>>, embedder: Parameters<typeof evaluateRetrieval>[0]["embedder"]) => {
    // Default fusion ("auto" weights: lexical alone without an embedder), as the service and bench/quality-alpaca.ts use it.
    const m = await evaluateRetrieval({ kbs: ["default"], store: s, embedder, questions, k: 10, candidates: settings.retrieval.candidates, weights: "auto" });
    return { mrr: m.mrr, recallAt1: m.recallAt1, recallAt5: m.recallAt5, recallAt10: m.recallAt10, chunks: await s.count("chunks"), ingestSeconds: round(summary.seconds, 1) };
  };
  if (embedding === "none") {
    const s = await openStore(store);
    try {
      return await score(s, null);
    } finally {
      await s.close();
    }
  }
  const engine = await openEngine(settings, { generator: false, download: false });
  try {
    if (!engine.embedder) throw new Error(`no embedder opened for ${store}`);
    return await score(engine.store, engine.embedder);
  } finally {
    await engine.close();
  }
}

export async function compareStoreQuality(opts: StoreQualityOptions): Promise<StoreQualityResult> {
  const tolerance = opts.tolerance ?? 0.005;
  const figures = { lexical: {}, hybrid: {} } as StoreQualityResult["figures"];
  for (const purpose of ["lexical", "hybrid"] as const) {
    for (const kind of ["sqlite", "postgres"] as const) {
      const store = await opts.freshStore(kind, purpose);
      figures[purpose][kind] = await scoreOne(store, opts, purpose === "lexical" ? "none" : opts.modelPath);
      console.log(`quality ${purpose} ${kind}: MRR ${figures[purpose][kind].mrr.toFixed(4)}`);
    }
  }
  const compare = (f: Record<"sqlite" | "postgres", QualityFigures>): StoreComparison => {
    const diff = f.postgres.mrr - f.sqlite.mrr;
    return { sqlite: round(f.sqlite.mrr, 4), postgres: round(f.postgres.mrr, 4), diff: round(diff, 4), withinTolerance: Math.abs(diff) <= tolerance };
  };
  for (const p of Object.values(figures))
    for (const f of Object.values(p)) for (const key of ["mrr", "recallAt1", "recallAt5", "recallAt10"] as const) f[key] = round(f[key], 4);
  return { tolerance, questions: opts.questions.length, mrr: { lexical: compare(figures.lexical), hybrid: compare(figures.hybrid) }, figures };
}
