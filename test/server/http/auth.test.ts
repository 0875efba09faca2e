// API keys: loopback without keys is open; a public address without keys is refused before anything loads; with keys,
// the API and metrics need `Authorization: Bearer <key>` (401 otherwise) while probes and the page stay open.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/config/load.js";
import { assertSafeBinding, isLoopbackHost, UnsafeBindingError } from "../../../src/server/http/auth.js";
import { startServer } from "../../../src/server/serve.js";
import { projectRoot, tempDir } from "../../helpers.js";
import { postJson, startTestServer, testServerSettings, type TestServer } from "../serverFixture.js";

const key = "test-key-0123456789";

describe("binding rules", () => {
  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1", "::ffff:10.0.0.1"]) expect(isLoopbackHost(h), h).toBe(false);
  });

  it("refuses a public address without keys, allows it with one", () => {
    expect(() => assertSafeBinding("0.0.0.0", [])).toThrow(UnsafeBindingError);
    expect(() => assertSafeBinding("0.0.0.0", [key])).not.toThrow();
    expect(() => assertSafeBinding("127.0.0.1", [])).not.toThrow();
  });

  it("startServer on 0.0.0.0 or :: without keys fails at once, naming the setting", async () => {
    const dir = tempDir();
    for (const host of ["0.0.0.0", "::", "192.168.1.10"]) {
      const settings = testServerSettings(dir, { settings: { "server.host": host } });
      await expect(startServer(settings, { log: () => {}, onNotice: () => {} })).rejects.toThrow(/server\.apiKeys/);
    }
  });

  it("reads keys from ALPACA_RAG_SERVER_API_KEYS, comma-separated", () => {
    const settings = loadSettings({ cwd: projectRoot, env: { ALPACA_RAG_SERVER_API_KEYS: ` ${key}, second-key-abcdef ,` } });
    expect(settings.server.apiKeys).toEqual([key, "second-key-abcdef"]);
  });
});

describe("a server with a key", () => {
  let t: TestServer;

  beforeAll(async () => {
    // Every interface: allowed because a key is set.
    t = await startTestServer({ generator: "none", settings: { "server.host": "0.0.0.0", "server.apiKeys": [key] } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("prints a loopback URL to open while listening on every interface", () => {
    expect(t.server.host).toBe("0.0.0.0");
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("answers 401 with a JSON error for a missing, malformed or wrong key on the API and metrics", async () => {
    const attempts: Array<Record<string, string>> = [{}, { Authorization: key }, { Authorization: "Basic dXNlcjpwYXNz" }, { Authorization: "Bearer wrong-key-000000000" }, { Authorization: `Bearer ${key}x` }];
    for (const headers of attempts) {
      for (const [method, path] of [["GET", "v1/documents"], ["GET", "v1/models"], ["GET", "metrics"], ["POST", "v1/ingest"], ["DELETE", "v1/documents/1"]]) {
        const res = await fetch(`${t.url}${path}`, { method, headers });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      }
    }
    expect((await postJson(`${t.url}v1/ask`, { question: "lighthouse" })).status).toBe(401);
    expect((await postJson(`${t.url}v1/ask`, { question: "lighthouse" }, { Authorization: "Bearer nope-nope-nope" })).status).toBe(401);
  });

  it("serves the right key, and leaves the probes and the page open", async () => {
    const auth = { Authorization: `Bearer ${key}` };
    expect((await fetch(`${t.url}v1/documents`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${t.url}metrics`, { headers: { authorization: `bearer ${key}` } })).status).toBe(200);
    const ask = await postJson(`${t.url}v1/ask`, { question: "When was the lighthouse built?" }, auth);
    expect(ask.status).toBe(200);
    expect((await fetch(`${t.url}healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}readyz`)).status).toBe(200);
    expect((await fetch(t.url)).status).toBe(200);
  });

  it("works with the openai client given the key, and fails with its AuthenticationError otherwise", async () => {
    const good = new OpenAI({ baseURL: `${t.url}v1`, apiKey: key, maxRetries: 0 });
    const completion = await good.chat.completions.create({ model: "x", messages: [{ role: "user", content: "When was the lighthouse built?" }] });
    expect(completion.choices[0].message.content).toMatch(/1871/);
    const bad = new OpenAI({ baseURL: `${t.url}v1`, apiKey: "wrong-key-000000", maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
