// `npm run bench:concurrency`: many people at once, side by side with llama.cpp's own server. At 1, 4 and 16
// closed-loop clients (CMRC trial questions in turn, 30 s each), three sides answer the same packed RAG prompt that
// alpaca-rag builds for each question (k 2), with the same GGUF (the synthetic 110M generator), threads, context per
// sequence, greedy sampling and 48 tokens:
//   - llama-server (built from node-llama-cpp's bundled llama.cpp) with -np <clients>, /completion, cache_prompt;
//   - alpaca-rag's POST /v1/ask (retrieval, packing, generation; generator.parallel and server.queueSize "auto");
//   - the generator alone (no HTTP, no retrieval), with the same "auto" sequences.
// Writes bench/results/concurrency.json (ratios.vsLlamaServer and generatorVsLlamaServer keyed by clients, ours ÷
// llama-server's completion tokens/s; scaling16vs1, our answers/s at 16 clients ÷ at 1) and .md.
// If llama-server cannot be built, the benchmark says so and measures the rest.
// Flags: --quick (stories260K, 5 s rows, 1 and 4 clients), --seconds N, --concurrency 1,4,16, --threads N (default 2),
// --passages N (default 32), --questions N (prompts asked in turn; default 400), --max-tokens N (default 48).
// Results are written after every concurrency (marked incomplete until the last), so a run cut short still leaves data.
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadSettings } from "../src/config/load.js";
import type { PromptInput } from "../src/models/generator.js";
import { prepareQuestion, retrieveForQuestion } from "../src/qa/answer.js";
import { openEngine } from "../src/qa/engine.js";
import { defaultKb } from "../src/store/kb.js";
import { closedLoop, readSse, type LoadRow, type RequestOutcome } from "./lib/closed-loop.js";
import { hasFlag, listFlag, numberFlag } from "./lib/cli.js";
import { writeCmrcQuestionSet } from "./lib/cmrc-questions.js";
import { ensureGeneratorModel } from "./make-synthetic-model.js";
import { llamaServerBinary, startLlamaServer } from "./lib/llama-server.js";
import { formatTable } from "./lib/measure.js";
import { projectRoot, sharedPath } from "./lib/paths.js";
import { describeMachine, writeResults } from "./lib/report.js";
import { median, ratio, round } from "./lib/stats.js";
import type { ServiceServerMessage, ServiceServerOptions } from "./service-server.js";

const quick = hasFlag("--quick");
const seconds = numberFlag("--seconds", quick ? 5 : 30);
const concurrencies = listFlag("--concurrency", quick ? ["1", "4"] : ["1", "4", "16"]).map(Number);
const threads = numberFlag("--threads", 2);
const passages = numberFlag("--passages", quick ? 8 : 32);
const maxTokens = numberFlag("--max-tokens", 48);
const questionCount = numberFlag("--questions", quick ? 40 : 400);
const k = 2;
const work = path.join(os.tmpdir(), "alpaca-rag-bench-concurrency");
const embedderPath = sharedPath("models", "stories260K.gguf");
const generatorPath = quick ? embedderPath : ensureGeneratorModel().path;
const modelName = quick ? "stories260K" : "synthetic-110m";
const loadAverageBefore = os.loadavg();

fs.rmSync(work, { recursive: true, force: true });
const set = writeCmrcQuestionSet(path.join(work, "inbox"), { passages });
const storeDir = path.join(work, "store");
// Greedy, no repeat penalty (llama-server's default), k sources, "auto" sequences and queue: what the benchmark tests.
const sharedSettings = {
  "generator.temperature": 0,
  "generator.repeatPenalty": 1,
  "generator.parallel": "auto",
  "server.queueSize": "auto",
  "retrieval.k": k,
};

console.log(`starting alpaca-rag (${modelName}, ${set.passages} passages, threads ${threads})…`);
const child = fork(path.join(projectRoot, "bench", "service-server.ts"), [], { cwd: projectRoot, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
const ready = await new Promise<Extract<ServiceServerMessage, { ready: true }>>((resolve, reject) => {
  child.once("message", (m) => {
    const msg = m as ServiceServerMessage;
    if ("ready" in msg && msg.ready) resolve(msg);
    else reject(new Error(`the server did not start:\n${"error" in msg ? msg.error : "no reason given"}`));
  });
  child.once("exit", (code) => reject(new Error(`the server exited (code ${code}) before it was ready`)));
  child.send({ storeDir, inbox: set.dir, threads, modelPath: embedderPath, generatorPath, maxTokens, settings: sharedSettings } satisfies ServiceServerOptions);
});

// The same engine in this process, on the same store: the packed prompt of each question, exactly as /v1/ask packs it,
// and the generator alone.
const engine = await openEngine(
  loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: { store: storeDir, inbox: set.dir, threads, gpu: false, "embedding.model": embedderPath, "generator.model": generatorPath, "generator.maxTokens": maxTokens, ...sharedSettings },
  }),
  { download: false },
);
const generator = engine.generator!;
const questions = set.questions.map((q) => q.question).slice(0, questionCount);
const prompts: Array<{ question: string; prompt: PromptInput; tokens: number[] }> = [];
for (const question of questions) {
  const packed = prepareQuestion(engine, await retrieveForQuestion(engine, { question, k, kbs: [defaultKb] })).packed!;
  prompts.push({ question, prompt: packed.prompt, tokens: generator.promptTokenIds!(packed.prompt) });
}
const promptTokens = median(prompts.map((p) => p.tokens.length));
console.log(`alpaca-rag at ${ready.url}; ${prompts.length} packed prompts, median ${promptTokens} tokens; generator: ${generator.note}`);

async function askOurs(i: number): Promise<RequestOutcome> {
  const started = performance.now();
  const response = await fetch(new URL("v1/ask", ready.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ question: prompts[i % prompts.length].question, k, stream: true }),
  });
  if (response.status === 503) {
    await response.body?.cancel();
    return { ok: false, shed: true, completionTokens: 0, firstTokenMs: null, totalMs: performance.now() - started };
  }
  if (!response.ok) return { ok: false, completionTokens: 0, firstTokenMs: null, totalMs: performance.now() - started, error: `HTTP ${response.status}` };
  let firstTokenMs: number | null = null;
  for await (const e of readSse(response)) {
    if (e.event === "token" && firstTokenMs === null) firstTokenMs = performance.now() - started;
    if (e.event === "error") return { ok: false, completionTokens: 0, firstTokenMs, totalMs: performance.now() - started, error: e.data.slice(0, 200) };
    if (e.event === "done") {
      const done = JSON.parse(e.data) as { usage: { promptTokens: number; completionTokens: number } };
      return { ok: true, completionTokens: done.usage.completionTokens, promptTokens: done.usage.promptTokens, firstTokenMs, totalMs: performance.now() - started };
    }
  }
  return { ok: false, completionTokens: 0, firstTokenMs, totalMs: performance.now() - started, error: "stream ended without done" };
}

async function generateAlone(i: number): Promise<RequestOutcome> {
  const started = performance.now();
  let firstTokenMs: number | null = null;
  const r = await generator.generate({
    prompt: prompts[i % prompts.length].prompt,
    maxTokens,
    sampling: { temperature: 0, repeatPenalty: 1 },
    onText: () => {
      firstTokenMs ??= performance.now() - started;
    },
  });
  return { ok: true, completionTokens: r.completionTokens, promptTokens: r.promptTokens, cachedPromptTokens: r.cachedPromptTokens, firstTokenMs, totalMs: performance.now() - started };
}

/** llama-server's per-request timings (prompt and decode speed), for the prompt-side diagnosis. */
const serverTimings: Array<{ clients: number; promptPerSecond: number; predictedPerSecond: number; promptN: number; cachedN: number }> = [];

function askLlamaServer(base: string, clients: number) {
  return async (i: number): Promise<RequestOutcome> => {
    const started = performance.now();
    const response = await fetch(`${base}/completion`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: prompts[i % prompts.length].tokens, n_predict: maxTokens, temperature: 0, repeat_penalty: 1, cache_prompt: true, stream: true }),
    });
    if (!response.ok) return { ok: false, completionTokens: 0, firstTokenMs: null, totalMs: performance.now() - started, error: `HTTP ${response.status}` };
    let firstTokenMs: number | null = null;
    for await (const e of readSse(response)) {
      const data = JSON.parse(e.data) as { content?: string; stop?: boolean; tokens_predicted?: number; tokens_evaluated?: number; timings?: { prompt_n: number; cache_n?: number; prompt_per_second: number; predicted_per_second: number } };
      if (firstTokenMs === null && data.content) firstTokenMs = performance.now() - started;
      if (data.stop) {
        const t = data.timings;
        if (t) serverTimings.push({ clients, promptPerSecond: t.prompt_per_second, predictedPerSecond: t.predicted_per_second, promptN: t.prompt_n, cachedN: t.cache_n ?? 0 });
        const prompt = data.tokens_evaluated ?? prompts[i % prompts.length].tokens.length;
        return { ok: true, completionTokens: data.tokens_predicted ?? 0, promptTokens: prompt, cachedPromptTokens: t?.cache_n ?? undefined, firstTokenMs, totalMs: performance.now() - started };
      }
    }
    return { ok: false, completionTokens: 0, firstTokenMs, totalMs: performance.now() - started, error: "stream ended without stop" };
  };
}

let llamaServerError: string | null = null;
try {
  llamaServerBinary();
} catch (e) {
  llamaServerError = `llama-server could not be built: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
  console.log(`${llamaServerError}; measuring alpaca-rag alone`);
}

interface Row {
  clients: number;
  llamaServer: LoadRow | null;
  ours: LoadRow;
  generator: LoadRow;
}
const rows: Row[] = [];
try {
  // Warm-up: each side allocates its sequences and pages the weights in before anything is timed.
  for (let i = 0; i < 2; i++) {
    await askOurs(i);
    await generateAlone(i);
  }
  for (const clients of concurrencies) {
    let llamaServer: LoadRow | null = null;
    if (!llamaServerError) {
      const server = await startLlamaServer({ model: generatorPath, parallel: clients, contextPerSlot: generator.contextSize, threads });
      try {
        const send = askLlamaServer(server.url.replace(/\/v1$/, ""), clients);
        await send(0);
        serverTimings.length = serverTimings.filter((t) => t.clients !== clients).length;
        console.log(`llama-server, ${clients} clients…`);
        llamaServer = await closedLoop(clients, seconds, send);
      } finally {
        await server.kill();
      }
    }
    console.log(`alpaca-rag /v1/ask, ${clients} clients…`);
    const ours = await closedLoop(clients, seconds, askOurs);
    console.log(`generator alone, ${clients} clients…`);
    const alone = await closedLoop(clients, seconds, generateAlone);
    rows.push({ clients, llamaServer, ours, generator: alone });
    if (rows.length < concurrencies.length) report(false);
  }
} finally {
  child.send({ stop: true });
  await engine.close();
}

function report(complete: boolean): void {
const byClients = (pick: (r: Row) => number | null) => Object.fromEntries(rows.map((r) => [String(r.clients), pick(r)]));
const one = rows.find((r) => r.clients === 1);
const sixteen = rows.find((r) => r.clients === 16);
const ratios = {
  vsLlamaServer: byClients((r) => (r.llamaServer ? ratio(r.ours.tokensPerSecond, r.llamaServer.tokensPerSecond) : null)),
  generatorVsLlamaServer: byClients((r) => (r.llamaServer ? ratio(r.generator.tokensPerSecond, r.llamaServer.tokensPerSecond) : null)),
  firstTokenP50VsLlamaServer: byClients((r) => (r.llamaServer?.firstTokenMs && r.ours.firstTokenMs ? ratio(r.ours.firstTokenMs.p50, r.llamaServer.firstTokenMs.p50) : null)),
  scaling16vs1: one && sixteen ? ratio(sixteen.ours.answersPerSecond, one.ours.answersPerSecond) : null,
  // The measure before the window: every answer begun before the deadline, over the time until the last one ended.
  vsLlamaServerWithDrain: byClients((r) => (r.llamaServer ? ratio(r.ours.withDrain.tokensPerSecond, r.llamaServer.withDrain.tokensPerSecond) : null)),
  generatorVsLlamaServerWithDrain: byClients((r) => (r.llamaServer ? ratio(r.generator.withDrain.tokensPerSecond, r.llamaServer.withDrain.tokensPerSecond) : null)),
};
const goals = {
  vsLlamaServer: { wanted: 0.9, met: Object.values(ratios.vsLlamaServer).every((x) => x !== null && x >= 0.9) },
  generatorVsLlamaServer: { wanted: 0.95, met: Object.values(ratios.generatorVsLlamaServer).every((x) => x !== null && x >= 0.95) },
  firstTokenP50: { wanted: "≤ 1.2× llama-server's", met: Object.values(ratios.firstTokenP50VsLlamaServer).every((x) => x !== null && x <= 1.2) },
  scaling16vs1: { wanted: 2.5, met: ratios.scaling16vs1 !== null && ratios.scaling16vs1 >= 2.5 },
  noFailures: { met: rows.every((r) => r.ours.failed === 0 && r.generator.failed === 0) },
};
const prompt1 = serverTimings.filter((t) => t.clients === 1);
const diagnosis = {
  // Only requests that evaluated a real part of their prompt (not all from the cache) say how fast prompts go.
  llamaServerPromptTokensPerSecond: prompt1.some((t) => t.promptN > 8) ? round(median(prompt1.filter((t) => t.promptN > 8).map((t) => t.promptPerSecond)), 0) : null,
  llamaServerDecodeTokensPerSecond: prompt1.length ? round(median(prompt1.map((t) => t.predictedPerSecond)), 1) : null,
  llamaServerCachedShare: prompt1.length ? round(prompt1.reduce((n, t) => n + t.cachedN, 0) / prompt1.reduce((n, t) => n + t.cachedN + t.promptN, 0), 3) : null,
};
const loadAverageAfter = os.loadavg();
const notes = [
  `Machine shared with other work while measuring: load average ${loadAverageBefore.map((x) => x.toFixed(1)).join(" / ")} before and ${loadAverageAfter.map((x) => x.toFixed(1)).join(" / ")} after (1/5/15 min) on ${os.availableParallelism()} cores; absolute figures are lower than on an idle machine, and both sides ran in turn under the same load.`,
  ...(llamaServerError ? [llamaServerError] : []),
  ...(complete ? [] : [`Incomplete: written after ${rows.length} of ${concurrencies.length} concurrencies; the run went on.`]),
];

const cell = (r: LoadRow | null) => (r ? `${r.tokensPerSecond} tok/s, ${r.answersPerSecond} ans/s, TTFT p50 ${r.firstTokenMs?.p50 ?? "n/a"} ms, ${r.failed} failed${r.shed503 ? `, ${r.shed503} shed` : ""}` : "not run");
const markdown = [
  `# Concurrency: alpaca-rag vs llama.cpp's llama-server (${modelName})`,
  "",
  `${describeMachine()}; threads ${threads}, ${maxTokens} greedy tokens, k ${k}, ${seconds} s per row, packed prompts median ${promptTokens} tokens, ` +
    `context ${generator.contextSize} per sequence; alpaca-rag generator: ${generator.note}; OpenMP wait policy ${process.env.OMP_WAIT_POLICY ?? "unset"} ` +
    "on both sides (alpaca-rag sets it before llama.cpp loads, and llama-server, started afterwards, inherits it).",
  "",
  formatTable(
    ["clients", "llama-server /completion", "alpaca-rag /v1/ask", "generator alone", "ask ÷ server", "generator ÷ server"],
    rows.map((r) => [r.clients, cell(r.llamaServer), cell(r.ours), cell(r.generator), String(ratios.vsLlamaServer[String(r.clients)] ?? "n/a"), String(ratios.generatorVsLlamaServer[String(r.clients)] ?? "n/a")]),
  ),
  "",
  `Our answers/s at 16 clients ÷ at 1: ${ratios.scaling16vs1 ?? "n/a"} (goal ≥ 2.5: ${goals.scaling16vs1.met ? "met" : "not met"}). ` +
    `Goals: /v1/ask ≥ 0.9 of llama-server: ${goals.vsLlamaServer.met ? "met" : "not met"}; generator ≥ 0.95: ${goals.generatorVsLlamaServer.met ? "met" : "not met"}; ` +
    `TTFT p50 ≤ 1.2×: ${goals.firstTokenP50.met ? "met" : "not met"}; no failures: ${goals.noFailures.met ? "met" : "not met"}.`,
  "",
  "Tokens/s count the completion tokens streamed inside each row's window (the first request to the deadline; a request's tokens taken as " +
    "streamed evenly from its first token to its end), so a row measures its N clients at work and not the drain after the deadline. " +
    "The same rows over the time until the last answer ended, drain included, give ask ÷ server " +
    `${rows.map((r) => `${ratios.vsLlamaServerWithDrain[String(r.clients)] ?? "n/a"}`).join(" / ")} and generator ÷ server ` +
    `${rows.map((r) => `${ratios.generatorVsLlamaServerWithDrain[String(r.clients)] ?? "n/a"}`).join(" / ")} at ${rows.map((r) => r.clients).join(" / ")} clients.`,
  "",
  `llama-server at 1 client: prompt ${diagnosis.llamaServerPromptTokensPerSecond ?? "n/a"} tokens/s, decode ${diagnosis.llamaServerDecodeTokensPerSecond ?? "n/a"} tokens/s, ` +
    `${diagnosis.llamaServerCachedShare ?? "n/a"} of prompt tokens from its cache; alpaca-rag's generator at 1 client took ${one?.generator.cachedPromptShare ?? "n/a"} of prompt tokens from its kept sequences.`,
  "",
  ...notes.map((n) => `Note: ${n}`),
].join("\n");

writeResults(
  "concurrency",
  {
    model: modelName,
    complete,
    questions: prompts.length,
    threads,
    maxTokens,
    k,
    seconds,
    medianPromptTokens: promptTokens,
    contextPerSequence: generator.contextSize,
    generatorNote: generator.note,
    rows,
    diagnosis,
    goals,
    notes,
    ratios: ratios as unknown as Record<string, number | null>,
    ratioNote: "vsLlamaServer and generatorVsLlamaServer (keyed by clients): ours ÷ llama-server's aggregate completion tokens/s streamed inside the timed window (…WithDrain: over the time until the last answer ended); firstTokenP50VsLlamaServer: ours ÷ theirs (lower is better); scaling16vs1: our /v1/ask answers/s at 16 clients ÷ at 1",
  },
  markdown,
);
}

report(true);
process.exit(0);
