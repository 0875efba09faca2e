// The lexical-scale benchmark's measurement, run in its own process against a store lexical-scale.ts built: the
// store's lexical search (pruned) and FTS5's exact BM25 over every term, question by question on the same store in
// the same run, for seeded synthetic questions and the CMRC trial questions (whose passages the store holds), and
// whether the two agree on the top 5.
import fs from "node:fs";
import { lexicalQuery } from "../src/store/segment.js";
import { SqliteLexical } from "../src/store/sqlite/lexical.js";
import { SqliteStore } from "../src/store/sqlite/store.js";
import { cmrcTrialPath } from "./lib/cmrc.js";
import { serveChild } from "./lib/measure.js";
import { summarize, type LatencySummary } from "./lib/stats.js";
import { SyntheticCorpus } from "./lib/synthetic-corpus.js";

export interface LexicalScaleSearchOptions {
  storeDir: string;
  seed: number;
  dimension: number;
  clusters: number;
  /** Synthetic questions timed (after the warm-up ones). */
  queries: number;
  /** Candidates asked of lexical search, as retrieval asks (retrieval.candidates). */
  limit: number;
  /** CMRC trial questions asked (default all). */
  cmrcQuestions?: number;
}

export interface QuestionSetResult {
  questions: number;
  /** The store's lexical search: segmenting plus the pruned search. */
  pruned: LatencySummary;
  /** The same questions again, right after: posting lists and term counts cached by the first pass. */
  prunedWarm: LatencySummary;
  /**
   * CPU time (process.cpuUsage, milliseconds) of each search of the three passes: on a shared machine wall-clock p99 is
   * mostly time spent waiting for a core, which this leaves out.
   */
  cpuMs: { pruned: LatencySummary; prunedWarm: LatencySummary; exact: LatencySummary };
  /** The same questions through FTS5's bm25 over every kept term (the search before pruning). */
  exact: LatencySummary;
  /** Share of questions whose top 5 chunk ids are identical, in order, and whose whole top `limit` is. */
  sameTop5: number;
  sameTopLimit: number;
  /** Share of searches summed from posting lists (the rest were left to FTS5's bm25), and why the rest were. */
  prunedShare: number;
  fallbacks: Record<string, number>;
  /** Mean postings a summed search added up. */
  meanPostings: number;
}

export interface LexicalScaleSearchResult {
  chunks: number;
  openSeconds: number;
  synthetic: QuestionSetResult;
  cmrc: QuestionSetResult;
}

const warmUp = 20;

function cmrcQuestions(): string[] {
  const squad = JSON.parse(fs.readFileSync(cmrcTrialPath, "utf8")) as { data: { paragraphs: { qas: { question: string }[] }[] }[] };
  return squad.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => q.question))).filter((q) => q.trim());
}

function measureSet(store: SqliteStore, exact: SqliteLexical, questions: readonly string[], limit: number): QuestionSetResult {
  // Warm-up questions first, for both, so neither pays for loading pages or counting common terms the other did not.
  for (const q of questions.slice(0, warmUp)) {
    store.lexicalIndex.search(lexicalQuery(q), limit, null);
    exact.exactSearch(lexicalQuery(q), limit);
  }
  const prunedMs: number[] = [];
  const exactMs: number[] = [];
  const cpu = { pruned: [] as number[], prunedWarm: [] as number[], exact: [] as number[] };
  const cpuSince = (c: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(c);
    return (d.user + d.system) / 1000;
  };
  let sameTop5 = 0;
  let sameTopLimit = 0;
  let pruned = 0;
  let summedPostings = 0;
  const fallbacks: Record<string, number> = {};
  for (const q of questions) {
    let c = process.cpuUsage();
    let t = performance.now();
    const a = store.lexicalIndex.search(lexicalQuery(q), limit, null);
    prunedMs.push(performance.now() - t);
    cpu.pruned.push(cpuSince(c));
    const plan = store.lexicalIndex.lastPlan!;
    if (plan.path === "postings") {
      pruned += 1;
      summedPostings += plan.postings;
    } else {
      const reason = plan.reason.replace(/\d+/g, "N");
      fallbacks[reason] = (fallbacks[reason] ?? 0) + 1;
    }
    c = process.cpuUsage();
    t = performance.now();
    const b = exact.exactSearch(lexicalQuery(q), limit);
    exactMs.push(performance.now() - t);
    cpu.exact.push(cpuSince(c));
    const ids = (hits: typeof a, k: number) => hits.slice(0, k).map((h) => h.chunkId).join(",");
    if (ids(a, 5) === ids(b, 5)) sameTop5 += 1;
    if (ids(a, limit) === ids(b, limit)) sameTopLimit += 1;
  }
  const warmMs: number[] = [];
  for (const q of questions) {
    const c = process.cpuUsage();
    const t = performance.now();
    store.lexicalIndex.search(lexicalQuery(q), limit, null);
    warmMs.push(performance.now() - t);
    cpu.prunedWarm.push(cpuSince(c));
  }
  const n = questions.length;
  return {
    prunedWarm: summarize(warmMs),
    cpuMs: { pruned: summarize(cpu.pruned), prunedWarm: summarize(cpu.prunedWarm), exact: summarize(cpu.exact) },
    questions: n,
    pruned: summarize(prunedMs),
    exact: summarize(exactMs),
    sameTop5: sameTop5 / n,
    sameTopLimit: sameTopLimit / n,
    prunedShare: pruned / n,
    fallbacks,
    meanPostings: pruned > 0 ? summedPostings / pruned : 0,
  };
}

export async function measureLexicalScale(opts: LexicalScaleSearchOptions): Promise<LexicalScaleSearchResult> {
  const corpus = new SyntheticCorpus({ seed: opts.seed, dimension: opts.dimension, clusters: opts.clusters });
  const synthetic = corpus.queries(opts.queries, opts.seed + 2).map((q) => q.text);
  lexicalQuery(synthetic[0]); // loads jieba's dictionary and OpenCC before anything is timed
  const t = performance.now();
  const store = SqliteStore.open(opts.storeDir);
  const openSeconds = (performance.now() - t) / 1000;
  try {
    const exact = new SqliteLexical(store.db);
    return {
      chunks: await store.count("chunks"),
      openSeconds,
      synthetic: measureSet(store, exact, synthetic, opts.limit),
      cmrc: measureSet(store, exact, cmrcQuestions().slice(0, opts.cmrcQuestions ?? Infinity), opts.limit),
    };
  } finally {
    await store.close();
  }
}

serveChild(import.meta.url, measureLexicalScale);
