// `npm run bench:service`: the HTTP server under load. alpaca-rag's server runs as a child process (stories260K as
// embedder and generator, a store of CMRC passages); autocannon drives POST /v1/search and POST /v1/ask at several
// concurrencies: requests/s, p50/p99 latency of successful requests, errors, 503s shed by the answer queue, and the
// server's RSS before and after. Writes bench/results/service-load.json and .md.
// Flags: --seconds N per run (default 30), --concurrency 1,4,16 (both endpoints), --ask-concurrency (overrides it for
// /v1/ask, whose runs are the slow ones), --threads N, --passages N (default 32)
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { listFlag, numberFlag } from "./lib/cli.js";
import { writeCmrcQuestionSet } from "./lib/cmrc-questions.js";
import { formatTable, mib, procStat } from "./lib/measure.js";
import { projectRoot, sharedPath } from "./lib/paths.js";
import { defaultThreads, describeMachine, writeResults } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import type { ServiceServerMessage, ServiceServerOptions } from "./service-server.js";

const seconds = numberFlag("--seconds", 30);
const concurrencies = listFlag("--concurrency", ["1", "4", "16"]).map(Number);
const askConcurrencies = listFlag("--ask-concurrency", concurrencies.map(String)).map(Number);
const threads = numberFlag("--threads", defaultThreads());
const passages = numberFlag("--passages", 32);
const maxTokens = 64; // stories260K's window is 512 tokens: room for the prompt and a short answer
const work = path.join(os.tmpdir(), "alpaca-rag-bench-service");

/** Resident and peak resident memory of a process, from /proc (Linux); null elsewhere. */
function memoryOf(pid: number): { rssBytes: number; peakRssBytes: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN) * 1024;
    return { rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
  } catch {
    return null;
  }
}

/** RSS from the server's own /metrics gauge, where /proc is not there. */
async function metricsRss(url: string): Promise<number> {
  const text = await (await fetch(new URL("metrics", url))).text();
  return Number(text.match(/^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m)?.[1] ?? Number.NaN);
}

fs.rmSync(work, { recursive: true, force: true });
const set = writeCmrcQuestionSet(path.join(work, "inbox"), { passages });
const questions = set.questions.map((q) => q.question);
const modelPath = sharedPath("models", "stories260K.gguf");

console.log(`starting the server (stories260K, ${set.passages} passages, threads ${threads})…`);
const child = fork(path.join(projectRoot, "bench", "service-server.ts"), [], {
  cwd: projectRoot,
  execArgv: ["--import", "tsx"],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const ready = await new Promise<Extract<ServiceServerMessage, { ready: true }>>((resolve, reject) => {
  child.once("message", (m) => {
    const msg = m as ServiceServerMessage;
    if ("ready" in msg && msg.ready) resolve(msg);
    else reject(new Error(`the server did not start:\n${"error" in msg ? msg.error : "no reason given"}`));
  });
  child.once("exit", (code) => reject(new Error(`the server exited (code ${code}) before it was ready`)));
  child.send({ storeDir: path.join(work, "store"), inbox: set.dir, threads, modelPath, maxTokens } satisfies ServiceServerOptions);
});

async function serverRss(): Promise<{ rssBytes: number; peakRssBytes: number | null }> {
  const m = memoryOf(ready.pid);
  return m ?? { rssBytes: await metricsRss(ready.url), peakRssBytes: null };
}

const endpoints = [
  { path: "/v1/search", body: (q: string) => ({ query: q }), concurrencies },
  { path: "/v1/ask", body: (q: string) => ({ question: q }), concurrencies: askConcurrencies },
];

interface LoadRun {
  endpoint: string;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  okPerSecond: number;
  ok: number;
  shed503: number;
  otherNon2xx: number;
  errors: number;
  timeouts: number;
  /** Latency of 2xx responses only (503s answer at once and would hide the real cost); null when none succeeded. */
  okLatencyMs: { p50: number; p99: number; mean: number } | null;
  /** autocannon's latency over every response. */
  allLatencyMs: { p50: number; p99: number };
  rssAfterBytes: number;
  /** CPU seconds the server used during the run (null where /proc is missing). */
  serverCpuSeconds: number | null;
  /** CPU seconds this process (autocannon, the load generator) used during the run: on the same cores as the server. */
  loadGeneratorCpuSeconds: number;
}

try {
  // Warm-up: the first search probes the embedder for its fusion weight; the first answer allocates the context.
  for (const e of endpoints)
    for (const q of questions.slice(0, 3))
      await fetch(new URL(e.path, ready.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(e.body(q)) });
  const before = await serverRss();
  console.log(`server ready at ${ready.url} (${ready.chunks} chunks), RSS ${mib(before.rssBytes)} MiB`);

  const runs: LoadRun[] = [];
  for (const e of endpoints) {
    for (const connections of e.concurrencies) {
      let next = 0;
      const okLatencies: number[] = [];
      const serverCpuBefore = procStat(ready.pid)?.cpuSeconds ?? null;
      const ownCpuBefore = process.cpuUsage();
      const instance = autocannon({
        url: ready.url,
        connections,
        duration: seconds,
        timeout: 120,
        requests: [
          {
            method: "POST",
            path: e.path,
            headers: { "content-type": "application/json" },
            // A different question each time, round robin over the corpus's questions.
            setupRequest: (req) => ({ ...req, body: JSON.stringify(e.body(questions[next++ % questions.length])) }),
          },
        ],
      });
      instance.on("response", (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) okLatencies.push(responseTime);
      });
      const r = await instance;
      const ownCpu = process.cpuUsage(ownCpuBefore);
      const serverCpuAfter = procStat(ready.pid)?.cpuSeconds ?? null;
      const ok = summarize(okLatencies);
      const shed = r.statusCodeStats["503"]?.count ?? 0;
      const run: LoadRun = {
        endpoint: e.path,
        connections,
        seconds: r.duration,
        requestsPerSecond: round(r.requests.average, 1),
        okPerSecond: round(r["2xx"] / r.duration, 2),
        ok: r["2xx"],
        shed503: shed,
        otherNon2xx: r.non2xx - shed,
        errors: r.errors,
        timeouts: r.timeouts,
        okLatencyMs: okLatencies.length ? { p50: round(ok.p50Ms, 1), p99: round(ok.p99Ms, 1), mean: round(ok.meanMs, 1) } : null,
        allLatencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
        rssAfterBytes: (await serverRss()).rssBytes,
        serverCpuSeconds: serverCpuBefore === null || serverCpuAfter === null ? null : round(serverCpuAfter - serverCpuBefore, 1),
        loadGeneratorCpuSeconds: round((ownCpu.user + ownCpu.system) / 1e6, 1),
      };
      runs.push(run);
      console.log(
        `${e.path} × ${connections}: ${run.okPerSecond} ok/s, p50 ${run.okLatencyMs?.p50 ?? "-"} ms, p99 ${run.okLatencyMs?.p99 ?? "-"} ms, 503 ${shed}, errors ${r.errors}`,
      );
    }
  }
  const after = await serverRss();
  const loggedErrors = await new Promise<Record<string, number>>((resolve) => {
    child.once("message", (m) => resolve((m as { loggedErrors?: Record<string, number> }).loggedErrors ?? {}));
    child.send({ stats: true });
  });
  const logged = Object.entries(loggedErrors).map(([name, n]) => `${name} × ${n}`).join(", ");

  const rows = runs.map((r) => [
    r.endpoint, r.connections, r.okPerSecond, r.okLatencyMs?.p50 ?? "-", r.okLatencyMs?.p99 ?? "-", r.ok, r.shed503, r.otherNon2xx, r.errors + r.timeouts, r.serverCpuSeconds ?? "-",
    r.loadGeneratorCpuSeconds, mib(r.rssAfterBytes),
  ]);
  const markdown = [
    `## HTTP service under load (${new Date().toISOString().slice(0, 10)}; ${describeMachine()}; threads ${threads})`,
    "",
    formatTable(["endpoint", "connections", "ok req/s", "p50 ms", "p99 ms", "ok", "503 shed", "other non-2xx", "errors", "server CPU s", "autocannon CPU s", "RSS after MiB"], rows),
    "",
    `Server RSS: ${mib(before.rssBytes)} MiB after warm-up, ${mib(after.rssBytes)} MiB at the end` +
      (after.peakRssBytes ? `, peak ${mib(after.peakRssBytes)} MiB.` : ".") +
      (logged ? ` Errors the server logged as unexpected: ${logged}.` : ""),
    "",
    `autocannon, ${seconds} s per row, a different CMRC question per request, in the same machine as the server. The server: alpaca-rag's ` +
      `startServer in a child process, stories260K as embedder and generator (answers of at most ${maxTokens} tokens, one generation at a time, ` +
      `default queue of 8), ${ready.chunks} chunks from ${set.passages} CMRC passages. Latencies are of 2xx responses; 503s are answers the ` +
      "queue refused (with Retry-After), each held server.shedDelayMs (default 250 ms) before the reply: autocannon retries at once, " +
      "ignoring Retry-After, and without the hold its flood of refusals kept the event loop busy and the cores from llama.cpp " +
      "(/v1/ask × 16 fell from 1.6 to 0.2 answers/s). CPU seconds are of the whole run, out of " +
      `${seconds * os.availableParallelism()} that the machine's ${os.availableParallelism()} cores hold in ${seconds} s; the load generator runs on the same cores.`,
  ].join("\n");

  writeResults(
    "service-load",
    {
      ratios: {},
      ratioNote: "No baseline here: absolute throughput, latency, shedding and memory of alpaca-rag's own server.",
      threads,
      seconds,
      concurrencies: { search: concurrencies, ask: askConcurrencies },
      chunks: ready.chunks,
      rss: { beforeBytes: before.rssBytes, afterBytes: after.rssBytes, peakBytes: after.peakRssBytes },
      serverLoggedErrors: loggedErrors,
      runs,
    },
    markdown,
  );
} finally {
  child.send({ stop: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 15_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
