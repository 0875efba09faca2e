// Fair turns in the generation queue: waiting requests are served round-robin across API keys, so one key's burst
// cannot hold back another key's request; "auto" sizes the line from the measured seconds per answer. Unit behaviour,
// then a real server on loopback with two keys and one generating place.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationQueue, QueueFullError } from "../../../src/server/http/generationQueue.js";
import { metricValue, postJson, startTestServer, type TestServer } from "../serverFixture.js";

describe("GenerationQueue across clients", () => {
  it("serves the clients' waiting requests in turn, each client's own in arrival order", async () => {
    const queue = new GenerationQueue({ running: 1, waiting: 10 });
    const first = queue.enter("a");
    await first.turn();
    const order: string[] = [];
    const tickets = ["a1", "a2", "a3", "b1", "b2", "c1"].map((name) => ({ name, ticket: queue.enter(name[0]) }));
    const turns = tickets.map(({ name, ticket }) => ticket.turn().then(() => order.push(name)));
    first.release();
    for (let i = 0; i < tickets.length; i++) {
      await new Promise((r) => setImmediate(r));
      const running = tickets.find((t) => t.name === order[i])!;
      running.ticket.release();
    }
    await Promise.all(turns);
    expect(order).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
    expect([queue.running, queue.waiting]).toEqual([0, 0]);
  });

  it("with waiting \"auto\", holds what the measured throughput answers within the target wait", async () => {
    // Before any answer: 5 s per answer assumed, 2 places: 0.4 answers/s x 20 s = 8 waiting.
    const queue = new GenerationQueue({ running: 2, waiting: "auto", targetWaitSeconds: 20 });
    expect(queue.waitingCapacity).toBe(8);
    const admitted = Array.from({ length: 10 }, () => queue.enter());
    expect(() => queue.enter()).toThrow(QueueFullError);
    // Quick answers raise the measured throughput, and the line grows with it.
    for (const ticket of admitted) {
      await ticket.turn();
      ticket.release();
    }
    expect(queue.waitingCapacity).toBeGreaterThan(8);
    // Never less than one more round of the running places.
    expect(new GenerationQueue({ running: 4, waiting: "auto", targetWaitSeconds: 0.1 }).waitingCapacity).toBe(4);
  });
});

describe("a server with two API keys and one generating place", () => {
  let t: TestServer;
  const alpha = "alpha-key-0123456789abcdef";
  const beta = "beta-key-0123456789abcdef";
  const question = "When was the Gull Point lighthouse built?";

  beforeAll(async () => {
    t = await startTestServer({ settings: { "server.apiKeys": [alpha, beta], "generator.parallel": 1, "server.queueSize": 8, "generator.maxTokens": 400 } });
  });

  afterAll(async () => {
    await t?.close();
  });

  const gauge = async (name: string) => metricValue(await (await fetch(`${t.url}metrics`, { headers: { authorization: `Bearer ${alpha}` } })).text(), name);
  const waiting = () => gauge("alpaca_rag_generation_queue_waiting");

  it("answers the second key's request before the first key's third, though it came last", async () => {
    const finished: string[] = [];
    const ask = (name: string, key: string) =>
      postJson(`${t.url}v1/ask`, { question }, { authorization: `Bearer ${key}` }).then(async (r) => {
        expect(r.status).toBe(200);
        await r.json();
        finished.push(name);
      });
    const a1 = ask("alpha 1", alpha);
    // Enter in a known order: each request is in the queue before the next is sent.
    while ((await gauge("alpaca_rag_generation_running")) < 1) await new Promise((r) => setTimeout(r, 5));
    const a2 = ask("alpha 2", alpha);
    while ((await waiting()) < 1) await new Promise((r) => setTimeout(r, 5));
    const a3 = ask("alpha 3", alpha);
    while ((await waiting()) < 2) await new Promise((r) => setTimeout(r, 5));
    const b1 = ask("beta 1", beta);
    while ((await waiting()) < 3 && finished.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(finished).toEqual([]);
    await Promise.all([a1, a2, a3, b1]);
    expect(finished).toEqual(["alpha 1", "alpha 2", "beta 1", "alpha 3"]);
  });
});
