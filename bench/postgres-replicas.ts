// `npm run bench:replicas`: does a second `serve` replica on one PostgreSQL store add throughput? The CMRC trial
// passages are ingested once (lexical only, so the store does the work a search costs, not a model), then autocannon
// drives POST /v1/search at 16 connections against one replica pinned to core 0 (`taskset -c 0`), and against two
// pinned to cores 0 and 1 (8 connections each). PostgreSQL is not pinned: it shares both cores, so the CPU time its
// processes used (from /proc/PID/stat) is reported beside the replicas'. Goal: two replicas ≥ 1.7× one.
// Flags: --url postgres://… (else ALPACA_RAG_TEST_PG, else a throwaway cluster), --seconds N (default 20).
// Writes bench/results/postgres-replicas.json and .md.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon, { type Result } from "autocannon";
import pg from "pg";
import { numberFlag } from "./lib/cli.js";
import { readCmrcQuestions, writeCmrcInbox } from "./lib/cmrc.js";
import { formatTable, procStat } from "./lib/measure.js";
import { benchPostgres } from "./lib/postgres-cluster.js";
import { projectRoot } from "./lib/paths.js";
import { describeMachine, writeResults } from "./lib/report.js";
import { round } from "./lib/stats.js";

const seconds = numberFlag("--seconds", 20);
const connections = 16;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-replicas-"));
fs.chmodSync(work, 0o755);
const postgres = benchPostgres("postgres-replicas", work);
if (!fs.existsSync(path.join(projectRoot, "dist", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();

const store = await postgres.createDatabase("replicas");

/** CPU seconds of the store's PostgreSQL: the server and every process it started (backends, writers), live ones. */
function postgresCpu(): number {
  if (!postmaster) return 0;
  let total = procStat(postmaster)?.cpuSeconds ?? 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== null && stat.ppid === postmaster) total += stat.cpuSeconds;
  }
  return total;
}

const questions = readCmrcQuestions();
const inbox = path.join(work, "inbox");
fs.mkdirSync(inbox);
const passages = writeCmrcInbox(inbox);
const config = path.join(work, "alpaca-rag.config.json");
fs.writeFileSync(
  config,
  JSON.stringify({ store, inbox, threads: 1, gpu: false, embedding: { model: "none" }, generator: { model: "none" }, server: { port: 0, queueSize: 1000 } }),
);
const cli = path.join(projectRoot, "bin", "alpaca-rag.js");
execFileSync(process.execPath, [cli, "ingest", "--config", config, "--json"], { stdio: ["ignore", "ignore", "inherit"] });

/** The store's PostgreSQL server process (the parent of a backend), when it runs on this machine. */
const probe = new pg.Client({ connectionString: store });
await probe.connect();
const backendPid = (await probe.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
const backendParent = procStat(backendPid)?.ppid ?? 0;
// A server on another machine: its pids mean nothing here, and its CPU is not on these cores.
const postmaster = (() => {
  try {
    return fs.readFileSync(`/proc/${backendParent}/comm`, "utf8").startsWith("postgres") ? backendParent : 0;
  } catch {
    return 0;
  }
})();
// What the store takes per chunk of real Chinese text with its lexical postings (no vectors here).
const size = await probe.query<{ bytes: number; chunks: number }>(
  `SELECT (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'r' AND n.nspname = 'public')::float8 AS bytes, (SELECT count(*) FROM chunks)::float8 AS chunks`,
);
// Fresh tables have no planner statistics until autovacuum gets to them, and BM25's joins are planned badly without
// them: analyze now, so the first run does not measure the wait for autovacuum.
await probe.query("ANALYZE");
const textBytesPerChunk = Math.round(size.rows[0].bytes / size.rows[0].chunks);
const storedChunks = size.rows[0].chunks;
await probe.end();

async function startReplica(core: number): Promise<{ child: ChildProcess; url: string }> {
  const args = [cli, "serve", "--config", config, "--no-ingest", "--no-watch"];
  const child = hasTaskset
    ? spawn("taskset", ["-c", String(core), process.execPath, ...args], { stdio: ["ignore", "pipe", "ignore"] })
    : spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/serving on (http:\/\/\S+)/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: /serving on (http:\/\/\S+)/.exec(out)![1] };
}

let next = 0;
async function load(target: string, conns: number): Promise<Result> {
  return await autocannon({
    url: target,
    connections: conns,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: "/v1/search",
        headers: { "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: questions[next++ % questions.length], k: 5 }) }),
      },
    ],
  });
}

interface Run {
  replicas: number;
  requestsPerSecond: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  replicaCpuSeconds: number;
  postgresCpuSeconds: number;
  postgresCpuShare: number;
}

async function measure(count: number): Promise<Run> {
  const servers = await Promise.all(Array.from({ length: count }, (_, i) => startReplica(i)));
  // A short warm-up per replica (connections, plans, page cache), not counted.
  await Promise.all(servers.map((s) => autocannon({ url: s.url, connections: 4, amount: 200, requests: [{ method: "POST", path: "/v1/search", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: questions[0], k: 5 }) }] })));
  const cpuBefore = servers.map((s) => (procStat(s.child.pid!)?.cpuSeconds ?? 0));
  const pgBefore = postgresCpu();
  const results = await Promise.all(servers.map((s) => load(s.url, connections / count)));
  const replicaCpu = servers.reduce((sum, s, i) => sum + (procStat(s.child.pid!)?.cpuSeconds ?? 0) - cpuBefore[i], 0);
  const pgCpu = postgresCpu() - pgBefore;
  for (const s of servers) s.child.kill("SIGINT");
  await Promise.all(servers.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once("exit", r)))));
  const requests = results.reduce((sum, r) => sum + r.requests.average, 0);
  return {
    replicas: count,
    requestsPerSecond: round(requests, 1),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    statusCodes: Object.fromEntries(
      [...new Set(results.flatMap((r) => Object.keys(r.statusCodeStats)))].map((c) => [c, results.reduce((sum, r) => sum + (r.statusCodeStats[c]?.count ?? 0), 0)]),
    ),
    p50Ms: round(Math.max(...results.map((r) => r.latency.p50)), 1),
    p99Ms: round(Math.max(...results.map((r) => r.latency.p99)), 1),
    replicaCpuSeconds: round(replicaCpu, 1),
    postgresCpuSeconds: round(pgCpu, 1),
    postgresCpuShare: round(pgCpu / (pgCpu + replicaCpu), 3),
  };
}

const one = await measure(1);
const two = await measure(2);
const ratio = round(two.requestsPerSecond / one.requestsPerSecond, 2);
const notes =
  `Lexical search (BM25 in PostgreSQL) over the ${passages} CMRC trial passages, ${connections} connections, ${seconds} s per run; ` +
  `replicas pinned with taskset${hasTaskset ? "" : " (not available here: unpinned)"}, PostgreSQL unpinned on the same two cores. ` +
  "The machine's two cores were shared with other work during the run, so the absolute numbers are noisy. " +
  "postgres CPU share = PostgreSQL's CPU seconds / (PostgreSQL's + the replicas'), over the measured window; a backend's CPU counts while it lives " +
  "(the replicas keep their pooled connections for the whole run).";
const table = formatTable(
  ["replicas", "requests/s", "non-2xx", "p50 ms", "p99 ms", "replica CPU s", "postgres CPU s", "postgres share"],
  [one, two].map((r) => [r.replicas, r.requestsPerSecond, r.non2xx, r.p50Ms, r.p99Ms, r.replicaCpuSeconds, r.postgresCpuSeconds, r.postgresCpuShare]),
);
writeResults(
  "postgres-replicas",
  { connections, seconds, runs: [one, two], chunks: storedChunks, textBytesPerChunk, notes, ratios: { twoVsOne: ratio }, ratioNote: "requests/s of two replicas over one (goal 1.7)" },
  `Two serve replicas on one PostgreSQL store vs one (${describeMachine()})\n\n${table}\n\ntwo / one: ${ratio}× (goal 1.7×)\n\nStore: ${storedChunks} chunks, ${textBytesPerChunk} bytes per chunk (text, lexical postings and their indexes; no vectors).\n\n${notes}\n`,
);
postgres.stop();
fs.rmSync(work, { recursive: true, force: true });
