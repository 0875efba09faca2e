// startServer: ingests the inbox at start-up when it changed (a new store before the models load, an existing one with
// the engine's own embedder), listens on loopback, and close() ends running streams and frees the port.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "../../src/server/serve.js";
import { tempDir } from "../helpers.js";
import { parseSse, postJson, startTestServer, testServerSettings } from "./serverFixture.js";

describe("startServer", () => {
  it("ingests what changed in the inbox at each start, loading the embedder once when the store already exists", async () => {
    const first = await startTestServer();
    const { dir } = first;
    try {
      expect(first.server.ingest).toMatchObject({ added: 2, unchanged: 0, failed: [] });
      expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(first.server.host).toBe("127.0.0.1");
    } finally {
      await first.close();
    }

    fs.writeFileSync(path.join(dir, "inbox", "bakery.txt"), "The village bakery sells rye bread before dawn.");
    const second = await startTestServer({ dir });
    try {
      expect(second.server.ingest).toMatchObject({ added: 1, unchanged: 2, removed: 0 });
      // The ingest used the engine's embedder: it never announced loading one of its own.
      expect(second.notices.filter((n) => /^embedding with/.test(n))).toEqual([]);
      const found = (await (await postJson(`${second.url}v1/search`, { query: "village bakery rye bread" })).json()) as { results: Array<{ source: string }> };
      expect(found.results[0].source).toBe("bakery.txt");
    } finally {
      await second.close();
    }

    const third = await startTestServer({ dir, start: { ingest: false } });
    try {
      expect(third.server.ingest).toBeNull();
      expect((await fetch(`${third.url}readyz`)).status).toBe(200);
    } finally {
      await third.close();
    }
  });

  it("creates a missing inbox and serves an empty store", async () => {
    const dir = tempDir();
    const settings = testServerSettings(dir, { generator: "none" });
    const server = await startServer(settings, { log: () => {}, onNotice: () => {}, download: false });
    try {
      expect(fs.existsSync(path.join(dir, "inbox"))).toBe(true);
      expect(await (await fetch(`${server.url}v1/documents`)).json()).toEqual({ documents: [], extensions: expect.arrayContaining([".pdf", ".txt", ".md"]) });
      const answer = (await (await postJson(`${server.url}v1/ask`, { question: "anything there?" })).json()) as { mode: string; citations: unknown[] };
      expect(answer).toMatchObject({ mode: "extractive", citations: [] });
      // The new store was tied to the configured embedder, so uploads are embedded too.
      expect(server.engine.embedder?.identity.name).toBe("stories260K.gguf");
      const form = new FormData();
      form.append("files", new Blob(["The ferry leaves the pier at noon."]), "ferry.txt");
      expect((await fetch(`${server.url}v1/documents`, { method: "POST", body: form })).status).toBe(201);
      const found = (await (await postJson(`${server.url}v1/search`, { query: "ferry pier noon" })).json()) as { mode: string; results: Array<{ source: string }> };
      expect(found.mode).toBe("hybrid");
      expect(found.results[0].source).toBe("ferry.txt");
    } finally {
      await server.close();
    }
  });

  it("close() ends a running stream with an error event, then frees the port; a port in use is named", async () => {
    const t = await startTestServer({ settings: { "generator.maxTokens": 400 } });
    const busy = startServer(testServerSettings(t.dir, { settings: { "server.port": t.server.port } }), { ingest: false, log: () => {}, onNotice: () => {}, download: false });
    await expect(busy).rejects.toThrow(new RegExp(`port ${t.server.port} .* is in use`));

    const res = await postJson(`${t.url}v1/ask`, { question: "Tell me a long story about the lighthouse.", stream: true });
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!];
    const closing = t.close();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    await closing;
    const events = parseSse(Buffer.concat(chunks).toString("utf8"));
    expect(events[events.length - 1]).toMatchObject({ event: "error" });
    expect(JSON.parse(events[events.length - 1].data)).toMatchObject({ error: { code: "shutting_down" } });
    await expect(fetch(`${t.url}healthz`)).rejects.toThrow();
  });
});
