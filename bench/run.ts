// `npm run bench`: every benchmark in sequence, each in its own process, then the combined table, printed and written
// with the machine's description to bench/results/summary.md (the README's Performance section).
// Default: sizes that finish in about a quarter of an hour on two idle cores; `--full` adds the 1M-chunk store, the
// synthetic 22M model in the ingest benchmark and on the whole CMRC set, and 30 s load runs.
// `--quick` is a smoke test of the whole chain with tiny sizes (a minute or two; it skips ingest.ts, whose corpus is
// fixed): its numbers mean nothing.
// `--summary` runs nothing: it rebuilds the summary and the README's Performance section from the results files as
// they are, each dated (for when one benchmark was re-run alone, e.g. after a new format or engine).
// Flags: --full, --quick, --summary, --threads N (passed on), --only ingest,quality,search,lexical,generation,ingest-scale,service,formats,ocr,pool,concurrency,postgres,replicas,chart
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, hasFlag, listFlag } from "./lib/cli.js";
import { formatTable } from "./lib/measure.js";
import { projectRoot } from "./lib/paths.js";
import { writeReadmePerformance } from "./lib/readme.js";
import { describeMachine, machineInfo, readResults, resultsDir } from "./lib/report.js";
import { summaryRows } from "./lib/summary.js";

const full = hasFlag("--full");
const quick = hasFlag("--quick");
const summaryOnly = hasFlag("--summary");
if (full && quick) throw new Error("--full and --quick exclude each other");
if (quick) process.env.ALPACA_RAG_BENCH_RESULTS = path.join(os.tmpdir(), "alpaca-rag-bench-quick-results"); // children inherit it
const threads = flag("--threads");
const threadArgs = threads ? ["--threads", threads] : [];

interface Step {
  name: string;
  script: string;
  args: string[];
}

const steps: Step[] = [
  // Both embedders, the realistic-cost one included; the synthetic model embeds the corpus three times at ~100×
  // stories260K's cost, so the default run takes the first 32 passages (+ the PDF) and --full all 256.
  { name: "ingest", script: "bench/ingest.ts", args: [...threadArgs, ...(full ? [] : ["--passages", "32"])] },
  { name: "quality", script: "bench/retrieval-quality.ts", args: [...threadArgs, ...(full ? ["--full"] : quick ? ["--passages", "8"] : [])] },
  { name: "search", script: "bench/search-scale.ts", args: full ? ["--full"] : quick ? ["--sizes", "1000,3000", "--queries", "50", "--text-queries", "20"] : [] },
  // Lexical search against FTS5's bm25() on a lexical-only store: 100k chunks, 1M with --full (a 1M build takes ~10 min).
  { name: "lexical", script: "bench/lexical-scale.ts", args: full ? ["--full"] : quick ? ["--chunks", "3000", "--queries", "30"] : [] },
  { name: "generation", script: "bench/generation.ts", args: [...threadArgs, ...(quick ? ["--models", "stories", "--repeats", "1", "--max-tokens", "32"] : [])] },
  { name: "ingest-scale", script: "bench/ingest-scale.ts", args: [...threadArgs, ...(quick ? ["--passages", "4,8"] : [])] },
  { name: "service", script: "bench/service-load.ts", args: [...threadArgs, ...(quick ? ["--seconds", "2", "--passages", "8", "--concurrency", "1,4"] : full ? ["--seconds", "30"] : ["--seconds", "30", "--concurrency", "1,16"])] },
  { name: "formats", script: "bench/formats.ts", args: quick ? ["--passages", "24", "--rows", "2000"] : [] },
  // PaddleOCR and Tesseract on the six scanned sample pages, then a 20-page scan (about 6 minutes on two cores).
  { name: "ocr", script: "bench/ocr.ts", args: [...threadArgs, ...(quick ? ["--pages", "2"] : [])] },
  // Two llama-servers against one behind generator.url, 8 clients (about a minute).
  { name: "pool", script: "bench/pool.ts", args: quick ? ["--seconds", "3"] : [] },
  // alpaca-rag's /v1/ask and its generator alone against llama-server at 1, 4 and 16 clients (about 6 minutes).
  { name: "concurrency", script: "bench/concurrency.ts", args: [...threadArgs, ...(quick ? ["--quick"] : [])] },
  // PostgreSQL + pgvector vs the embedded store (100k synthetic chunks, 1M with --full), then two serve replicas on
  // one database vs one; both skip with a message where PostgreSQL or pgvector is missing.
  { name: "postgres", script: "bench/postgres-store.ts", args: full ? ["--chunks", "1000000"] : quick ? ["--chunks", "5000"] : ["--chunks", "100000"] },
  { name: "replicas", script: "bench/postgres-replicas.ts", args: quick ? ["--seconds", "3"] : [] },
  { name: "chart", script: "bench/chart.ts", args: [] },
].filter((s) => !(quick && s.name === "ingest"));
const only = listFlag("--only", steps.map((s) => s.name));
const unknown = only.filter((o) => !steps.some((s) => s.name === o));
if (unknown.length) throw new Error(`--only: unknown benchmark ${unknown.join(", ")} (known: ${steps.map((s) => s.name).join(", ")})`);

function runStep(step: Step): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", step.script, ...step.args], { cwd: projectRoot, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", () => resolve(1));
  });
}

const timings: Array<[string, string, string]> = [];
const started = performance.now();
const startedAt = new Date();
for (const step of steps.filter((s) => !summaryOnly && only.includes(s.name))) {
  console.log(`\n######## ${step.name}: ${step.script} ${step.args.join(" ")}`);
  const t = performance.now();
  const code = await runStep(step);
  const seconds = (performance.now() - t) / 1000;
  timings.push([step.name, `${seconds.toFixed(0)} s`, code === 0 ? "ok" : `failed (exit ${code})`]);
}
const totalMinutes = (performance.now() - started) / 60_000;

const m = machineInfo();
const table = formatTable(["benchmark", "measure", "model / size", "alpaca-rag", "baseline", "ratio (> 1: ours better)"], summaryRows());
const details = ["ingest", "retrieval-quality", "search-scale", "lexical-scale", "generation", "ingest-scale", "service-load", "formats", "ocr", "pool", "concurrency", "postgres-store", "postgres-replicas"]
  .filter((n) => fs.existsSync(path.join(resultsDir(), `${n}.md`)))
  .map((n) => `[${n}](bench/results/${n}.md)`)
  .join(", ");
// Results this run did not write (--only, or a failed step) are older: the summary says so rather than pass them off.
const earlier = ["ingest", "retrieval-quality", "search-scale", "lexical-scale", "generation", "ingest-scale", "service-load", "formats", "ocr", "pool", "concurrency", "postgres-store", "postgres-replicas"].flatMap((n) => {
  const r = readResults<{ date?: string }>(n);
  return r?.date && new Date(r.date) < startedAt ? [`${n} (${r.date.slice(0, 10)})`] : [];
});
const summary = [
  "## Performance",
  "",
  summaryOnly
    ? `Collected ${new Date().toISOString().slice(0, 10)} from the results of earlier runs (\`npm run bench -- --summary\`), each dated below; machine: ${m.cpu} (${m.cores} cores), ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.platform}.`
    : `Measured ${new Date().toISOString().slice(0, 10)} on ${m.cpu} (${m.cores} cores), ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.platform}; ` +
      `\`npm run bench${full ? " -- --full" : quick ? " -- --quick" : ""}\`${threads ? `, threads ${threads}` : ""}, ${totalMinutes.toFixed(1)} minutes in all.` +
      (quick ? " A smoke test with tiny sizes: these numbers mean nothing." : ""),
  "",
  table,
  "",
  "Ratios point one way: ours ÷ theirs for throughput and quality, theirs ÷ ours for time, so a ratio above 1 means alpaca-rag " +
    "did better. Each comparison ran both sides in the same run, on the same data, model and threads. The embedding models are a " +
    "260K-parameter toy (stories260K) and a synthetic model with random weights and the cost of a small real embedder: speeds are " +
    "meaningful, dense-retrieval quality is not.",
  "",
  "![Ingest throughput and search latency versus corpus size](bench/results/chart.svg)",
  "",
  summaryOnly ? `Details: ${details}.` : `Details: ${details}. Run times: ${timings.map(([n, s, status]) => `${n} ${s}${status === "ok" ? "" : ` (${status})`}`).join(", ")}.`,
  ...(earlier.length ? ["", `${summaryOnly ? "Measured on" : "Not re-run this time, from earlier runs"}: ${earlier.join(", ")}.`] : []),
  "",
].join("\n");

fs.mkdirSync(resultsDir(), { recursive: true });
const summaryPath = path.join(resultsDir(), "summary.md");
fs.writeFileSync(summaryPath, summary);
// Only a whole default or --full run speaks for the project in its README; --quick and --only runs stay in bench/results.
const readmeUpdated =
  !quick && (summaryOnly || (only.length === steps.length && timings.every(([, , status]) => status === "ok"))) && writeReadmePerformance(summary);
console.log(
  `\n${summary}\nMachine: ${describeMachine(m)}. Wrote ${path.relative(projectRoot, summaryPath)}${readmeUpdated ? " and the README's Performance section" : ""}.`,
);
if (timings.some(([, , status]) => status !== "ok")) process.exitCode = 1;
