// `npm run bench:lexical`: lexical search at scale, the store's pruned search against FTS5's exact BM25 over every
// term in one run. A lexical-only store (no vectors: a million chunks build in a fraction of a full build's time) of
// seeded synthetic chunks with the CMRC trial passages mixed in is built by one child process and measured by another
// (bench/lexical-scale-search.ts): p50/p95/p99 of both per question, their ratio, how often the pruned path answered,
// and the share of questions whose top 5 is identical. Writes bench/results/lexical-scale.json and .md.
// Flags: --chunks N (default 100000; --full: 1000000), --queries N (synthetic questions, default 300), --limit N
// (candidates, default 50), --cmrc N (CMRC questions, default all), --keep (keep the store), --reuse (measure a store kept by an earlier --keep run with the
// same options), --work DIR
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, hasFlag, numberFlag } from "./lib/cli.js";
import { formatTable, runInChild, type ChildRun } from "./lib/measure.js";
import { describeMachine, writeResults } from "./lib/report.js";
import { ratio, round } from "./lib/stats.js";
import type { LexicalScaleSearchOptions, LexicalScaleSearchResult, QuestionSetResult } from "./lexical-scale-search.js";
import type { ScaleBuildOptions, ScaleBuildResult } from "./scale-build.js";

/** What issue 16 asks of lexical search at a million chunks, and of agreement with exact BM25 on CMRC questions. */
const goal = { p99Ms: 50, sameTop5: 0.99 };

const full = hasFlag("--full");
const chunks = numberFlag("--chunks", full ? 1_000_000 : 100_000);
const queries = numberFlag("--queries", 300);
const limit = numberFlag("--limit", 50);
const cmrcQuestions = numberFlag("--cmrc", Infinity);
const seed = numberFlag("--seed", 20180);
const work = flag("--work") ?? path.join(os.tmpdir(), "alpaca-rag-bench-lexical-scale");
const keep = hasFlag("--keep") || hasFlag("--reuse");
const childTimeout = { timeoutMs: 3 * 3600_000 };

const storeDir = path.join(work, `store-${chunks}`);
const buildOptions = { storeDir, chunks, seed, dimension: 384, clusters: 1000, chunksPerDocument: 100, vectors: false, cmrc: true } satisfies ScaleBuildOptions;
const buildRecord = path.join(work, `store-${chunks}.build.json`);

function readKeptBuild(): ChildRun<ScaleBuildResult> {
  if (!fs.existsSync(buildRecord) || !fs.existsSync(storeDir)) throw new Error(`--reuse: no kept store at ${storeDir} (run once with --keep first)`);
  const saved = JSON.parse(fs.readFileSync(buildRecord, "utf8")) as { options: ScaleBuildOptions; build: ChildRun<ScaleBuildResult> };
  if (JSON.stringify(saved.options) !== JSON.stringify(buildOptions))
    throw new Error(`--reuse: the store at ${storeDir} was built with other options (${JSON.stringify(saved.options)})`);
  return saved.build;
}

fs.mkdirSync(work, { recursive: true });
const kept = hasFlag("--reuse") ? readKeptBuild() : null;
const build = kept ?? (await runInChild<ScaleBuildResult>("bench/scale-build.ts", buildOptions, childTimeout));
if (keep && !kept) fs.writeFileSync(buildRecord, JSON.stringify({ options: buildOptions, build }));
console.log(`${kept ? "reusing the store built" : "built"} in ${build.result.buildSeconds.toFixed(1)} s (${chunks.toLocaleString("en-US")} chunks, lexical only)`);
const search = await runInChild<LexicalScaleSearchResult>(
  "bench/lexical-scale-search.ts",
  { storeDir, seed, dimension: 384, clusters: 1000, queries, limit, cmrcQuestions: Number.isFinite(cmrcQuestions) ? cmrcQuestions : undefined } satisfies LexicalScaleSearchOptions,
  childTimeout,
);
if (!keep) {
  fs.rmSync(storeDir, { recursive: true, force: true });
  fs.rmSync(buildRecord, { force: true });
}
const s = search.result;

function setJson(r: QuestionSetResult) {
  return {
    ...r,
    sameTop5: round(r.sameTop5, 4),
    sameTopLimit: round(r.sameTopLimit, 4),
    prunedShare: round(r.prunedShare, 3),
    meanPostings: Math.round(r.meanPostings),
    // exact ÷ pruned: > 1 means the pruned search is faster.
    speedup: { p50: ratio(r.exact.p50Ms, r.pruned.p50Ms), p95: ratio(r.exact.p95Ms, r.pruned.p95Ms), p99: ratio(r.exact.p99Ms, r.pruned.p99Ms) },
  };
}
const synthetic = setJson(s.synthetic);
const cmrc = setJson(s.cmrc);
const goals = {
  p99: {
    goalMs: goal.p99Ms,
    syntheticMs: s.synthetic.pruned.p99Ms,
    met: s.synthetic.pruned.p99Ms < goal.p99Ms,
    warmMs: s.synthetic.prunedWarm.p99Ms,
    metWarm: s.synthetic.prunedWarm.p99Ms < goal.p99Ms,
    cpuMs: s.synthetic.cpuMs.pruned.p99Ms,
    warmCpuMs: s.synthetic.cpuMs.prunedWarm.p99Ms,
  },
  sameTop5: { goal: goal.sameTop5, cmrc: cmrc.sameTop5, met: s.cmrc.sameTop5 >= goal.sameTop5 },
};

const rows = (["synthetic", "cmrc"] as const).map((name) => {
  const r = name === "synthetic" ? synthetic : cmrc;
  return [
    name === "synthetic" ? `synthetic (${r.questions})` : `CMRC trial (${r.questions})`,
    r.pruned.p50Ms, r.pruned.p95Ms, r.pruned.p99Ms,
    r.prunedWarm.p50Ms, r.prunedWarm.p99Ms,
    r.exact.p50Ms, r.exact.p95Ms, r.exact.p99Ms,
    r.speedup.p99 ?? "n/a",
    `${round(r.prunedShare * 100, 1)} %`,
    `${round(r.sameTop5 * 100, 1)} %`,
    `${round(r.sameTopLimit * 100, 1)} %`,
  ];
});
const cpuRows = (["synthetic", "cmrc"] as const).map((name) => {
  const c = (name === "synthetic" ? synthetic : cmrc).cpuMs;
  return [name, c.pruned.p50Ms, c.pruned.p99Ms, c.prunedWarm.p50Ms, c.prunedWarm.p99Ms, c.exact.p50Ms, c.exact.p99Ms];
});
const fallbackLines = (["synthetic", "cmrc"] as const).map((name) => {
  const r = name === "synthetic" ? synthetic : cmrc;
  const why = Object.entries(r.fallbacks).map(([reason, n]) => `${reason} (${n})`).join("; ");
  return `- ${name}: ${r.meanPostings} postings summed per search on average; left to FTS5's bm25: ${why || "none"}.`;
});
const markdown = [
  `## Lexical search at ${chunks.toLocaleString("en-US")} chunks (${new Date().toISOString().slice(0, 10)}; ${describeMachine()})`,
  "",
  formatTable(
    ["questions", "summed p50", "summed p95", "summed p99", "warm p50", "warm p99", "FTS5 bm25 p50", "FTS5 bm25 p95", "FTS5 bm25 p99", "p99 FTS5 ÷ summed", "summed path", "same top 5", `same top ${limit}`],
    rows,
  ),
  "",
  `Milliseconds per question, jieba included, ${limit} candidates as retrieval asks. summed: the store's lexical search (FTS5's BM25 summed ` +
    "term at a time from posting lists (common terms' from the packed side index ingest keeps, the rest from FTS5's) and FTS5's token counts, lists cached in memory; the first pass over the questions, after 20 warm-up " +
    "ones); warm: the same questions again right after (their lists and term counts cached); FTS5 bm25: FTS5's bm25() over every kept term, " +
    "the search before, on the same store in the same run. " +
    `Store: ${s.chunks.toLocaleString("en-US")} chunks (seeded synthetic text plus the CMRC trial passages, one chunk each), lexical only, opened in ${round(s.openSeconds, 2)} s.`,
  "",
  formatTable(["CPU ms per search", "summed p50", "summed p99", "warm p50", "warm p99", "FTS5 bm25 p50", "FTS5 bm25 p99"], cpuRows),
  "",
  "CPU time of the same searches (process.cpuUsage): what each costs a core, without the time spent waiting for one on a shared machine.",
  "",
  ...fallbackLines,
  `- Goals: synthetic p99 < ${goal.p99Ms} ms: ${goals.p99.met ? "met" : "not met"} (${goals.p99.syntheticMs} ms; warm ${goals.p99.metWarm ? "met" : "not met"}, ${goals.p99.warmMs} ms; CPU time p99 ${goals.p99.cpuMs} ms, warm ${goals.p99.warmCpuMs} ms); CMRC top 5 identical to exact BM25 for ≥ ${goal.sameTop5 * 100} %: ${goals.sameTop5.met ? "met" : "not met"} (${round(cmrc.sameTop5 * 100, 1)} %).`,
].join("\n");

writeResults(
  "lexical-scale",
  {
    ratios: { p99ExactVsPruned: synthetic.speedup.p99, p99ExactVsPrunedCmrc: cmrc.speedup.p99 },
    ratioNote: "Exact FTS5 BM25 latency ÷ the pruned search's, same questions, same store, same run: > 1 means the pruned search is faster.",
    chunks: s.chunks,
    limit,
    seed,
    build: build.result,
    openSeconds: round(s.openSeconds, 3),
    synthetic,
    cmrc,
    goals,
  },
  markdown,
);
