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

  it("tries a backend once more when it closes the connection before answering, as with a kept-alive one it just closed", async () => {
    const target = new URL(server.url);
    let dropped = 0;
    // In front of the server: the first completion request's connection is closed unanswered, the rest pass through.
    const proxy = net.createServer((client) => {
      client.on("error", () => client.destroy());
      client.once("data", (first: Buffer) => {
        if (dropped === 0 && first.toString("latin1").startsWith("POST")) {
          dropped += 1;
          client.destroy();
          return;
        }
        const upstream = net.connect(Number(target.port), target.hostname, () => {
          upstream.write(first);
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on("error", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as net.AddressInfo).port;
    const remote = new RemoteGenerator({ baseUrls: [`http://127.0.0.1:${port}/v1`], model: "alpaca-rag", apiKey: "remote-key-123" });
    try {
      const result = await remote.generate({ prompt, maxTokens: 16, sampling: { temperature: 0 } });
      expect(result.text.length).toBeGreaterThan(0);
      expect(dropped).toBe(1);
      expect(remote.backends()[0]).toMatchObject({ failures: 1, served: 1 });
    } finally {
      await remote.dispose();
      await new Promise((resolve) => proxy.close(resolve));
    }
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
