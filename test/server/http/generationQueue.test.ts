// The bounded generation queue: unit behaviour (capacity, order, aborts, release), then under real load: a flood
// with parallel 1 and queueSize 1 gets 503s with Retry-After and the server still answers; a client that
// disconnects mid-stream stops its generation and frees the slot at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Answer } from "../../../src/qa/answer.js";
import { GenerationQueue, QueueFullError } from "../../../src/server/http/generationQueue.js";
import { metricValue, postJson, startTestServer, type TestServer } from "../serverFixture.js";

describe("GenerationQueue", () => {
  it("admits running + waiting requests, refuses the next at once, and runs waiters in order", async () => {
    const states: string[] = [];
    const queue = new GenerationQueue({ running: 1, waiting: 2, onChange: (s) => states.push(`${s.running}/${s.waiting}`) });
    const a = queue.enter();
    const b = queue.enter();
    const c = queue.enter();
    expect(() => queue.enter()).toThrow(QueueFullError);
    await a.turn();
    const order: string[] = [];
    const bTurn = b.turn().then(() => order.push("b"));
    const cTurn = c.turn().then(() => order.push("c"));
    expect(queue.running).toBe(1);
    expect(queue.waiting).toBe(2);
    a.release();
    await bTurn;
    expect(order).toEqual(["b"]);
    b.release();
    await cTurn;
    expect(order).toEqual(["b", "c"]);
    c.release();
    c.release(); // twice is harmless
    expect([queue.running, queue.waiting]).toEqual([0, 0]);
    await queue.idle();
    expect(states[states.length - 1]).toBe("0/0");
  });

  it("gives a waiting place back when its request aborts, and says when to retry", async () => {
    const queue = new GenerationQueue({ running: 1, waiting: 1 });
    const a = queue.enter();
    await a.turn();
    const b = queue.enter();
    const abort = new AbortController();
    const waiting = b.turn(abort.signal);
    abort.abort(new Error("client left"));
    await expect(waiting).rejects.toThrow("client left");
    b.release();
    expect(queue.waiting).toBe(0);
    const c = queue.enter();
    try {
      queue.enter();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(QueueFullError);
      expect((e as QueueFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    a.release();
    await c.turn();
    c.release();
    expect([queue.running, queue.waiting]).toEqual([0, 0]);
  });
});

describe("under load, parallel 1 and queueSize 1", () => {
  let t: TestServer;
  const question = "When was the Gull Point lighthouse built?";

  beforeAll(async () => {
    // Long answers (no room left for sources, which is fine here) keep the one slot busy.
    t = await startTestServer({ settings: { "generator.parallel": 1, "server.queueSize": 1, "generator.maxTokens": 400 } });
  });

  afterAll(async () => {
    await t?.close();
  });

  const metrics = async () => (await fetch(`${t.url}metrics`)).text();

  it("refuses a flood beyond the queue with 503 and Retry-After, never piles up, and answers afterwards", async () => {
    const timed = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const started = performance.now();
        const response = await postJson(`${t.url}v1/ask`, { question });
        return { response, ms: performance.now() - started };
      }),
    );
    const responses = timed.map((x) => x.response);
    // A refusal is held server.shedDelayMs (default 250) so instant retries cannot monopolise the cores.
    for (const x of timed.filter((y) => y.response.status === 503)) expect(x.ms).toBeGreaterThanOrEqual(240);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const r of responses.filter((x) => x.status === 503)) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toEqual({ error: { code: "overloaded", message: expect.any(String) } });
    }
    await Promise.all(responses.filter((r) => r.status === 200).map((r) => r.json()));
    const text = await metrics();
    expect(metricValue(text, "alpaca_rag_generation_rejected_total")).toBe(statuses.filter((s) => s === 503).length);
    expect(metricValue(text, "alpaca_rag_generation_queue_waiting")).toBe(0);
    expect(metricValue(text, "alpaca_rag_generation_running")).toBe(0);
    expect((await postJson(`${t.url}v1/ask`, { question })).status).toBe(200);
  });

  it("stops generating when a streaming client disconnects, and frees the slot for the next request", async () => {
    const full = (await (await postJson(`${t.url}v1/ask`, { question })).json()) as Answer;
    // The uninterrupted answer runs long enough that an early disconnect is measurable.
    expect(full.usage.completionTokens).toBeGreaterThan(150);

    const before = metricValue(await metrics(), "alpaca_rag_generated_tokens_total");
    const res = await postJson(`${t.url}v1/ask`, { question, stream: true });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/event: token/);
    const leftAt = performance.now();
    await reader.cancel();

    // The slot frees within a fraction of the time the full answer took.
    let text = await metrics();
    while (metricValue(text, "alpaca_rag_generation_running") !== 0 && performance.now() - leftAt < 10_000) {
      await new Promise((r) => setTimeout(r, 10));
      text = await metrics();
    }
    const freedMs = performance.now() - leftAt;
    expect(freedMs).toBeLessThan(Math.max(200, full.timings.totalMs / 2));
    const generated = metricValue(text, "alpaca_rag_generated_tokens_total") - before;
    expect(generated).toBeLessThan(full.usage.completionTokens / 2);

    const next = await postJson(`${t.url}v1/ask`, { question: "Who pruned the trees?" });
    expect(next.status).toBe(200);
    expect(t.log.some((l) => / POST \/v1\/ask 200 .*\(client closed\)$/.test(l))).toBe(true);
  });
});
