// A real `alpaca-rag serve` process (stories260K generating, one answer at a time, two waiting) under load: floods of
// asks, streams and chat completions are shed with 503 beyond the queue, nothing fails otherwise, the process survives
// with its memory back near where it started; clients that leave (streaming, waiting in line, or plain JSON) stop
// their generation at once.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, type RunningCli } from "../cliProcess.js";
import { storiesModel, tempDir, writeFiles } from "../helpers.js";
import { englishSamples, metricValue, postJson } from "../server/serverFixture.js";
import { megabytes, residentBytes } from "./fixtures.js";

const question = "When was the Gull Point lighthouse built?";
/** Growth of the server's resident memory allowed across all the floods, measured after they are over. */
const rssGrowthLimit = 100 * 1024 * 1024;

let cli: RunningCli;
let url: string;
const figures: string[] = [];

beforeAll(async () => {
  const dir = tempDir("alpaca-rag-load-");
  writeFiles(path.join(dir, "inbox"), englishSamples);
  const config = path.join(dir, "alpaca-rag.config.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      store: "store",
      inbox: "inbox",
      threads: 1,
      gpu: false,
      embedding: { model: storiesModel },
      // Long greedy answers keep the one generation slot busy while the flood arrives.
      generator: { model: storiesModel, maxTokens: 400, temperature: 0, parallel: 1 },
      chunk: { size: 120, overlap: 16 },
      retrieval: { k: 2 },
      server: { port: 0, queueSize: 2 },
    }),
  );
  cli = startCli(["serve", "--config", config]);
  await cli.waitFor(/serving on http:\/\/127\.0\.0\.1:\d+\//, 120_000);
  url = /serving on (http:\/\/\S+)/.exec(cli.stdout())![1];
}, 180_000);

afterAll(async () => {
  if (!cli) return;
  console.log(`[reliability] load: ${figures.join("; ")}`);
  cli.child.kill("SIGINT");
  const result = await cli.done;
  // A clean stop after everything: no crash, exit 0.
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
}, 60_000);

const metrics = async () => (await fetch(`${url}metrics`)).text();

/** Waits until nothing generates or waits, or fails after `timeoutMs`; returns the milliseconds it took. */
async function untilIdle(timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const text = await metrics();
    if (metricValue(text, "alpaca_rag_generation_running") === 0 && metricValue(text, "alpaca_rag_generation_queue_waiting") === 0)
      return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`still generating after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One request of the flood; resolves with its status once the whole body has arrived. Every fifth is a search. */
async function floodRequest(i: number): Promise<{ kind: "search" | "answer"; status: number; body: string; retryAfter: string | null }> {
  if (i % 5 === 4) {
    const res = await postJson(`${url}v1/search`, { query: question });
    return { kind: "search", status: res.status, body: await res.text(), retryAfter: null };
  }
  const kinds = [
    () => postJson(`${url}v1/ask`, { question }),
    () => postJson(`${url}v1/ask`, { question, stream: true }),
    () => postJson(`${url}v1/chat/completions`, { messages: [{ role: "user", content: question }] }),
    () => postJson(`${url}v1/chat/completions`, { messages: [{ role: "user", content: question }], stream: true }),
  ];
  const res = await kinds[i % kinds.length]();
  return { kind: "answer", status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after") };
}

describe("a flood of answers", () => {
  it("is shed with 503 beyond the queue, never fails otherwise, and the server's memory comes back", { timeout: 240_000 }, async () => {
    // Warm up (first answers allocate the context and caches), then take the baseline.
    for (let i = 0; i < 2; i++) expect((await postJson(`${url}v1/ask`, { question })).status).toBe(200);
    await untilIdle(30_000);
    const rssBefore = residentBytes(cli.child.pid!);
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(cli.child.pid!))), 50);

    const waves = 4;
    const perWave = 60;
    let ok = 0;
    let shed = 0;
    let searches = 0;
    try {
      for (let wave = 0; wave < waves; wave++) {
        const all = await Promise.all(Array.from({ length: perWave }, (_, i) => floodRequest(wave * perWave + i)));
        // Searches generate nothing and never queue: every one is answered, flood or not.
        for (const r of all.filter((x) => x.kind === "search")) {
          expect(r.status, r.body.slice(0, 300)).toBe(200);
          searches += 1;
        }
        const results = all.filter((x) => x.kind === "answer");
        for (const r of results) {
          expect([200, 503], r.body.slice(0, 300)).toContain(r.status);
          if (r.status === 503) {
            shed += 1;
            expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
            expect(JSON.parse(r.body)).toEqual({ error: { code: "overloaded", message: expect.any(String) } });
          } else {
            ok += 1;
            // A stream that was admitted ran to its end: no error event, a proper finish.
            expect(r.body).not.toMatch(/event: error|"error":/);
          }
        }
        // One slot and two places in line: at least three of each wave get in, most are shed at once.
        expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
        expect(results.filter((r) => r.status === 503).length).toBeGreaterThan(results.length / 2);
      }
    } finally {
      clearInterval(sampler);
    }
    await untilIdle(30_000);
    const text = await metrics();
    expect(metricValue(text, "alpaca_rag_generation_rejected_total")).toBe(shed);
    expect(cli.child.exitCode).toBeNull();
    expect(await (await fetch(`${url}healthz`)).json()).toMatchObject({ status: "ok", ingest: { running: false } });
    expect((await postJson(`${url}v1/ask`, { question })).status).toBe(200);

    // Let the collector run, then compare with the baseline.
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = residentBytes(cli.child.pid!);
    figures.push(
      `${waves * perWave} flood requests: ${ok} answers given, ${shed} shed with 503, ${searches} searches answered; server RSS ${megabytes(rssBefore)} MB before, ` +
        `peak ${megabytes(peak)} MB, ${megabytes(rssAfter)} MB after (allowed growth ${megabytes(rssGrowthLimit)} MB)`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(rssGrowthLimit);
    expect(cli.stderr()).not.toMatch(/request failed/);
  });
});

describe("clients that leave", () => {
  /** Tokens generated so far, from the server's own counter. */
  const tokens = async () => metricValue(await metrics(), "alpaca_rag_generated_tokens_total");

  it("stop their generation at once: a stream, a chat stream, a plain JSON request and one waiting in line", { timeout: 120_000 }, async () => {
    await untilIdle(30_000);
    // The length of an answer nobody interrupts, in tokens and time.
    let t0 = await tokens();
    const full = (await (await postJson(`${url}v1/ask`, { question })).json()) as { usage: { completionTokens: number }; timings: { totalMs: number } };
    expect(full.usage.completionTokens).toBeGreaterThan(150);
    expect((await tokens()) - t0).toBe(full.usage.completionTokens);

    const leaveAfterFirstChunk = async (res: Response) => {
      const reader = res.body!.getReader();
      await reader.read();
      const left = performance.now();
      await reader.cancel();
      return left;
    };
    const cases: Array<[name: string, leave: () => Promise<number>]> = [
      ["ask stream", async () => leaveAfterFirstChunk(await postJson(`${url}v1/ask`, { question, stream: true }))],
      ["chat stream", async () => leaveAfterFirstChunk(await postJson(`${url}v1/chat/completions`, { messages: [{ role: "user", content: question }], stream: true }))],
      [
        "plain JSON",
        async () => {
          const abort = new AbortController();
          const pending = fetch(`${url}v1/ask`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question }), signal: abort.signal }).catch(() => null);
          // Leave once generation has started (the running gauge says so).
          while (metricValue(await metrics(), "alpaca_rag_generation_running") !== 1) await new Promise((r) => setTimeout(r, 5));
          const left = performance.now();
          abort.abort();
          await pending;
          return left;
        },
      ],
    ];
    for (const [name, leave] of cases) {
      t0 = await tokens();
      const left = await leave();
      const freedMs = performance.now() - left + (await untilIdle(10_000));
      const generated = (await tokens()) - t0;
      figures.push(`${name} left: slot free after ${Math.round(freedMs)} ms, ${generated} of ${full.usage.completionTokens} tokens generated (full answer ${Math.round(full.timings.totalMs)} ms)`);
      expect(generated, name).toBeLessThan(full.usage.completionTokens / 2);
      expect(freedMs, name).toBeLessThan(Math.max(300, full.timings.totalMs / 2));
    }

    // A request waiting in line leaves: it gives its place back and never generates.
    t0 = await tokens();
    const running = postJson(`${url}v1/ask`, { question });
    while (metricValue(await metrics(), "alpaca_rag_generation_running") !== 1) await new Promise((r) => setTimeout(r, 5));
    const abort = new AbortController();
    const waiting = fetch(`${url}v1/ask`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question }), signal: abort.signal }).catch(() => null);
    while (metricValue(await metrics(), "alpaca_rag_generation_queue_waiting") !== 1) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await waiting;
    while (metricValue(await metrics(), "alpaca_rag_generation_queue_waiting") !== 0) await new Promise((r) => setTimeout(r, 5));
    expect((await running).status).toBe(200);
    await untilIdle(10_000);
    expect((await tokens()) - t0).toBe(full.usage.completionTokens);
    expect(cli.stderr()).toMatch(/POST \/v1\/ask 499 .*\(client closed\)/);
  });
});
