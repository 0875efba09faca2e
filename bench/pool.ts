// `npm run bench:pool`: a pool of two llama.cpp servers against one, as `generator.url` sees them: 8 clients ask at
// once through one RemoteGenerator (least-busy routing, SSE streaming) for a fixed time; answers/s and completion
// tokens/s per pool size, and the ratio two ÷ one. Each server gets one thread (on two cores, two servers use the
// machine, one server half of it): the pool's gain is the second server's core, minus routing and HTTP overhead.
// Model: the synthetic 110M-parameter llama (bench/models, written on first use), greedy, 32 tokens an answer.
// Writes bench/results/pool.json and .md. Flags: --seconds N (default 20), --clients N (default 8), --max-tokens N
import { numberFlag } from "./lib/cli.js";
import { startLlamaServer, type LlamaServer } from "./lib/llama-server.js";
import { formatTable } from "./lib/measure.js";
import { describeMachine, writeResults } from "./lib/report.js";
import { ratio, round } from "./lib/stats.js";
import { ensureGeneratorModel } from "./make-synthetic-model.js";
import { RemoteGenerator } from "../src/models/remoteGenerator.js";

const seconds = numberFlag("--seconds", 20);
const clients = numberFlag("--clients", 8);
const maxTokens = numberFlag("--max-tokens", 32);
const model = ensureGeneratorModel().path;
const prompt = { kind: "completion" as const, text: "The Lantern Bridge crosses the Mill River in the old town. It was finished in 1921 and" };
const greedy = { temperature: 0, topK: 1, topP: 1, repeatPenalty: 1 };

interface PoolRun {
  backends: number;
  answers: number;
  failed: number;
  completionTokens: number;
  seconds: number;
  answersPerSecond: number;
  tokensPerSecond: number;
  served: number[];
}

async function measure(backends: number): Promise<PoolRun> {
  // Each server: as many slots as clients could send it, one thread.
  const servers: LlamaServer[] = await Promise.all(Array.from({ length: backends }, () => startLlamaServer({ model, parallel: clients, contextPerSlot: 256, threads: 1 })));
  const generator = new RemoteGenerator({ baseUrls: servers.map((s) => s.url), model: "synthetic" });
  try {
    // One warm-up answer per server, outside the clock.
    await Promise.all(servers.map(() => generator.generate({ prompt, maxTokens: 4, sampling: greedy })));
    const servedBefore = generator.backends().map((b) => b.served);
    let answers = 0;
    let failed = 0;
    let tokens = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          try {
            const r = await generator.generate({ prompt, maxTokens, sampling: greedy });
            answers += 1;
            tokens += r.completionTokens;
          } catch {
            failed += 1;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return {
      backends,
      answers,
      failed,
      completionTokens: tokens,
      seconds: round(elapsed, 1),
      answersPerSecond: round(answers / elapsed, 2),
      tokensPerSecond: round(tokens / elapsed, 1),
      served: generator.backends().map((b, i) => b.served - servedBefore[i]),
    };
  } finally {
    await generator.dispose();
    await Promise.all(servers.map((s) => s.kill("SIGTERM")));
  }
}

const runs: PoolRun[] = [];
for (const backends of [1, 2]) {
  console.log(`pool of ${backends}: ${clients} clients for ${seconds} s`);
  runs.push(await measure(backends));
}
const [one, two] = runs;
const ratios = { answersTwoVsOne: ratio(two.answersPerSecond, one.answersPerSecond) };
const table = formatTable(
  ["llama-servers", "answers", "failed", "answers/s", "completion tokens/s", "answers per server"],
  runs.map((r) => [r.backends, r.answers, r.failed, r.answersPerSecond, r.tokensPerSecond, r.served.join(" / ")]),
);
const markdown = [
  `# A pool of llama.cpp servers: two against one`,
  "",
  `${clients} clients at once for ${seconds} s through one RemoteGenerator (generator.url), synthetic 110M llama, greedy, ${maxTokens} tokens an answer; each llama-server one thread, ${clients} slots. ${describeMachine()}.`,
  "",
  table,
  "",
  `Two servers ÷ one: ${ratios.answersTwoVsOne ?? "n/a"}× the answers per second.`,
].join("\n");
writeResults("pool", { clients, seconds, maxTokens, runs, ratios, ratioNote: "answers/s with two llama-servers ÷ with one, same clients" }, markdown);
