// The OpenAI-compatible endpoints, driven by the official `openai` npm client pointed at a real server: models,
// chat completions JSON and streamed (standard fields plus citations), history, errors; the raw stream's framing too.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Citation } from "../../../src/qa/answer.js";
import { chatToAskRequest } from "../../../src/server/openai/openaiService.js";
import { parseSse, postJson, startTestServer, type TestServer } from "../serverFixture.js";

let t: TestServer;
let client: OpenAI;
const question = "When was the Gull Point lighthouse built?";

beforeAll(async () => {
  t = await startTestServer();
  client = new OpenAI({ baseURL: `${t.url}v1`, apiKey: "not-needed-on-loopback", maxRetries: 0 });
});

afterAll(async () => {
  await t?.close();
});

describe("the openai client against /v1", () => {
  it("lists a model per knowledge base (here the default one)", async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models).toEqual([expect.objectContaining({ id: "alpaca-rag/default", object: "model", owned_by: "alpaca-rag" })]);
    const one = await client.models.retrieve("alpaca-rag/default");
    expect(one.id).toBe("alpaca-rag/default");
    await expect(client.models.retrieve("gpt-4")).rejects.toMatchObject({ status: 404 });
  });

  it("creates a chat completion with the standard fields and a citations array", async () => {
    const completion = await client.chat.completions.create({ model: "anything", messages: [{ role: "user", content: question }] });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("stories260K.gguf");
    expect(typeof completion.created).toBe("number");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0].message.role).toBe("assistant");
    expect(completion.choices[0].message.content!.length).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(completion.choices[0].finish_reason);
    const usage = completion.usage!;
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    const citations = (completion as unknown as { citations: Citation[] }).citations;
    expect(citations.length).toBeGreaterThan(0);
    expect(citations[0]).toMatchObject({ n: 1, source: "lighthouse.txt" });
  });

  it("streams chunks: the role first, content deltas, then finish_reason with citations and a usage chunk; same text as unstreamed", async () => {
    const stream = await client.chat.completions.create({
      model: "anything",
      messages: [{ role: "user", content: question }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    const last = withChoices[withChoices.length - 1];
    expect(["stop", "length"]).toContain(last.choices[0].finish_reason);
    expect(withChoices.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    const citations = (last as unknown as { citations: Citation[] }).citations;
    expect(citations[0]).toMatchObject({ n: 1, source: "lighthouse.txt" });
    const usageChunk = chunks[chunks.length - 1];
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage!.completion_tokens).toBeGreaterThan(0);
    const streamed = withChoices.map((c) => c.choices[0].delta.content ?? "").join("");

    const plain = await client.chat.completions.create({ model: "anything", messages: [{ role: "user", content: question }] });
    expect(streamed.trim()).toBe(plain.choices[0].message.content);
  });

  it("answers the last user message with the earlier turns as history; system messages are accepted", async () => {
    const completion = await client.chat.completions.create({
      model: "anything",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Tell me about the orchard." },
        { role: "assistant", content: "It has forty apple trees." },
        { role: "user", content: [{ type: "text", text: "When are the trees pruned?" }] },
      ],
    });
    expect(completion.choices[0].message.content!.length).toBeGreaterThan(0);
  });

  it("reports bad requests as the client's typed errors", async () => {
    await expect(
      client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/last message/) });
    await expect(client.chat.completions.create({ model: "x", messages: [] })).rejects.toMatchObject({ status: 400 });
  });
});

describe("the raw chat completion stream", () => {
  it("is data-only SSE ending with data: [DONE]", async () => {
    const res = await postJson(`${t.url}v1/chat/completions`, { messages: [{ role: "user", content: question }], stream: true });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.every((e) => e.event === null)).toBe(true);
    expect(events[events.length - 1].data).toBe("[DONE]");
    for (const e of events.slice(0, -1)) expect(() => JSON.parse(e.data)).not.toThrow();
  });
});

describe("chatToAskRequest", () => {
  it("pairs earlier user and assistant messages and joins a user message left without a reply", () => {
    const request = chatToAskRequest([
      { role: "system", content: "ignored" },
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
      { role: "user", content: "c" },
      { role: "user", content: "d" },
    ], { kbs: ["default"] });
    expect(request).toEqual({ question: "c\nd", kbs: ["default"], history: [{ user: "a", assistant: "b" }], k: undefined });
  });
});
