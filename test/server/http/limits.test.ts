// Request limits on a real server: JSON body size (413), question length (400), malformed JSON (400), and the
// request deadline (504, or an error event once a stream has begun), after which the server still answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue, parseSse, postJson, startTestServer, type TestServer } from "../serverFixture.js";

let t: TestServer;
const question = "When was the Gull Point lighthouse built?";

beforeAll(async () => {
  t = await startTestServer({
    settings: { "server.maxBodyBytes": 2048, "server.maxQuestionChars": 100, "server.requestTimeoutMs": 150, "generator.maxTokens": 400 },
  });
});

afterAll(async () => {
  await t?.close();
});

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  return body.error;
}

describe("limits", () => {
  it("refuses a JSON body over server.maxBodyBytes with 413", async () => {
    const res = await postJson(`${t.url}v1/ask`, { question: "q", history: [{ user: "x".repeat(3000), assistant: "y" }] });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: "body_too_large" });
    const chat = await postJson(`${t.url}v1/chat/completions`, { messages: [{ role: "user", content: "z".repeat(5000) }] });
    expect(chat.status).toBe(413);
  });

  it("refuses a question over server.maxQuestionChars with 400, on every endpoint", async () => {
    const long = "why ".repeat(30);
    for (const [url, body] of [
      ["v1/ask", { question: long }],
      ["v1/search", { query: long }],
      ["v1/chat/completions", { messages: [{ role: "user", content: long }] }],
    ] as const) {
      const res = await postJson(`${t.url}${url}`, body);
      expect(res.status, url).toBe(400);
      expect((await errorOf(res)).message).toMatch(/longer than 100 characters/);
    }
  });

  it("refuses malformed JSON with 400 and never shows a stack", async () => {
    const res = await fetch(`${t.url}v1/ask`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"question": ' });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_json");
    expect(JSON.stringify(error)).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
  });

  it("stops an answer at the deadline: 504 as JSON, an error event in a stream; the slot is free again", async () => {
    const res = await postJson(`${t.url}v1/ask`, { question });
    expect(res.status).toBe(504);
    expect(await errorOf(res)).toMatchObject({ code: "timeout" });

    const stream = await postJson(`${t.url}v1/ask`, { question, stream: true });
    expect(stream.status).toBe(200);
    const events = parseSse(await stream.text());
    const last = events[events.length - 1];
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data)).toMatchObject({ error: { code: "timeout" } });
    expect(events.map((e) => e.event)).not.toContain("done");

    const chat = await postJson(`${t.url}v1/chat/completions`, { messages: [{ role: "user", content: question }] });
    expect(chat.status).toBe(504);

    const metrics = await (await fetch(`${t.url}metrics`)).text();
    expect(metricValue(metrics, "alpaca_rag_generation_running")).toBe(0);
    expect(metricValue(metrics, "alpaca_rag_generation_queue_waiting")).toBe(0);
    // Search has no generation and no deadline to meet.
    expect((await postJson(`${t.url}v1/search`, { query: question })).status).toBe(200);
  });
});
