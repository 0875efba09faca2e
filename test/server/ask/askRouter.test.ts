// POST /v1/ask on a real server with stories260K: the JSON answer object, the SSE framing and order (token…,
// citations, done), that the stream adds up to the JSON answer, history, and request validation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Answer } from "../../../src/qa/answer.js";
import { parseSse, postJson, startTestServer, type TestServer } from "../serverFixture.js";

let t: TestServer;
const question = "When was the Gull Point lighthouse built?";

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

describe("POST /v1/ask", () => {
  it("answers with the answer object: text, generated mode, numbered citations with file and snippet, timings, usage", async () => {
    const res = await postJson(`${t.url}v1/ask`, { question });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const answer = (await res.json()) as Answer;
    expect(answer.question).toBe(question);
    expect(answer.mode).toBe("generated");
    expect(answer.model).toBe("stories260K.gguf");
    expect(answer.answer.length).toBeGreaterThan(0);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.citations.map((c) => c.n)).toEqual(answer.citations.map((_, i) => i + 1));
    expect(answer.citations[0].source).toBe("lighthouse.txt");
    expect(answer.citations[0].snippet).toMatch(/lighthouse/);
    expect(answer.usage.completionTokens).toBeGreaterThan(0);
    expect(answer.usage.completionTokens).toBeLessThanOrEqual(48);
    expect(answer.timings.totalMs).toBeGreaterThan(0);
  });

  it("streams Server-Sent Events: token events, then one citations event, then done; they add up to the JSON answer", async () => {
    const res = await postJson(`${t.url}v1/ask`, { question, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toMatch(/no-cache/);
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    const firstNonToken = names.findIndex((n) => n !== "token");
    expect(firstNonToken).toBeGreaterThan(1);
    expect(names.slice(firstNonToken)).toEqual(["citations", "done"]);
    const text = events.filter((e) => e.event === "token").map((e) => (JSON.parse(e.data) as { text: string }).text).join("");
    const citations = (JSON.parse(events[firstNonToken].data) as { citations: Answer["citations"] }).citations;
    const done = JSON.parse(events[firstNonToken + 1].data) as Omit<Answer, "citations">;
    expect(done).not.toHaveProperty("citations");
    expect(done.answer).toBe(text.trim());
    expect(done.timings.totalMs).toBeGreaterThan(0);
    expect(done.usage.completionTokens).toBeGreaterThan(0);

    const json = (await (await postJson(`${t.url}v1/ask`, { question })).json()) as Answer;
    expect(done.answer).toBe(json.answer);
    expect(citations.map((c) => [c.n, c.source, c.chunkId])).toEqual(json.citations.map((c) => [c.n, c.source, c.chunkId]));
  });

  it("takes k and earlier turns", async () => {
    const res = await postJson(`${t.url}v1/ask`, {
      question: "And who lit the lamp?",
      k: 1,
      history: [{ user: "Tell me about the lighthouse.", assistant: "It was built in 1871." }],
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer.citations.length).toBeLessThanOrEqual(1);
  });

  it("refuses bad requests with 400 and a JSON error naming the field", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /question/],
      [{ question: "   " }, /question: empty/],
      [{ question: 42 }, /question/],
      [{ question, k: 0 }, /k:/],
      [{ question, k: 1000 }, /k:/],
      [{ question, stream: "yes" }, /stream/],
      [{ question, colour: "blue" }, /unknown field "colour"/],
      [{ question, history: [{ user: "hi" }] }, /history\.0\.assistant/],
      [["not", "an", "object"], /body|Expected object/],
    ];
    for (const [body, message] of cases) {
      const res = await postJson(`${t.url}v1/ask`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (await res.json()) as { error: { code: string; message: string } };
      expect(error.error.code).toBe("invalid_request");
      expect(error.error.message).toMatch(message);
    }
  });

  it("logs one access line per request: method, path, status, milliseconds", async () => {
    await postJson(`${t.url}v1/ask`, { question: "" });
    const line = t.log.findLast((l) => l.includes("POST /v1/ask 400"));
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \S+ POST \/v1\/ask 400 \d+\.\dms$/);
  });
});
