// The remote generator against a real OpenAI-compatible server: alpaca-rag's own `serve` (stories260K behind it),
// streamed over SSE, with usage, cancellation, keys and clear errors.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteGenerator } from "../../src/models/remoteGenerator.js";
import { startTestServer, type TestServer } from "../server/serverFixture.js";

describe("RemoteGenerator", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ settings: { "server.apiKeys": ["remote-key-123"], "generator.maxTokens": 64 } });
  });

  afterAll(async () => {
    await server?.close();
  });

  const prompt = { kind: "chat" as const, chat: { system: "", history: [], user: "When was the lighthouse built?" } };

  it("streams a chat completion and agrees with the server's non-streamed answer", async () => {
    const remote = new RemoteGenerator({ baseUrls: [`${server.url}v1`], model: "alpaca-rag", apiKey: "remote-key-123" });
    const pieces: string[] = [];
    const result = await remote.generate({ prompt, maxTokens: 64, sampling: { temperature: 0 }, onText: (t) => pieces.push(t) });
    expect(result.text.length).toBeGreaterThan(0);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(result.text);
    expect(result.firstTokenMs).not.toBeNull();
    expect(result.completionTokens).toBeGreaterThan(0);
    expect(result.completionTokens).toBeLessThanOrEqual(64);
    expect(result.promptTokens).toBeGreaterThan(0);
    const plain = await fetch(`${server.url}v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer remote-key-123" },
      body: JSON.stringify({ model: "alpaca-rag", messages: [{ role: "user", content: "When was the lighthouse built?" }] }),
    }).then((r) => r.json() as Promise<{ choices: Array<{ message: { content: string } }> }>);
    expect(result.text).toBe(plain.choices[0].message.content);
  });

  it("stops when aborted", async () => {
    const remote = new RemoteGenerator({ baseUrls: [`${server.url}v1`], model: "alpaca-rag", apiKey: "remote-key-123" });
    const controller = new AbortController();
    const result = await remote.generate({ prompt, maxTokens: 64, sampling: { temperature: 0 }, signal: controller.signal, onText: () => controller.abort() });
    expect(result.stopReason).toBe("abort");
  });

  it("reports a refused key and an unreachable server with the setting named", async () => {
    const wrongKey = new RemoteGenerator({ baseUrls: [`${server.url}v1`], model: "alpaca-rag", apiKey: "wrong-key-000" });
    await expect(wrongKey.generate({ prompt, maxTokens: 8 })).rejects.toThrow(/generator\.url http:\/\/127\.0\.0\.1:\d+\/v1 answered 401/);
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const nowhere = new RemoteGenerator({ baseUrls: [`http://127.0.0.1:${closedPort}/v1`], model: "x" });
    await expect(nowhere.generate({ prompt, maxTokens: 8 })).rejects.toThrow(/generator\.url: no backend could take the request \(generator\.url http:\/\/127\.0\.0\.1:\d+\/v1: ECONNREFUSED\)/);
  });
});
