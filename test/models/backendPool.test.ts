// Pools of real llama.cpp servers (llama-server built from node-llama-cpp's bundled source, stories260K): answers
// spread over two servers, one killed during a load of answers (no request that had not started streaming fails) and
// brought back; embeddings through a pool equal to a local model's; a server whose backends are all down says 503.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/load.js";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { chooseEmbeddingModel, loadEmbedder, resolveEmbedderFile, type Embedder } from "../../src/models/embedder.js";
import { RemoteGenerator } from "../../src/models/remoteGenerator.js";
import { openEngine } from "../../src/qa/engine.js";
import { searchChunks } from "../../src/qa/search.js";
import { projectRoot, storiesModel, tempDir, writeFiles } from "../helpers.js";
import { englishSamples, metricValue, postJson, startTestServer } from "../server/serverFixture.js";
import { freePort, llamaServerBinary, startLlamaServer, type LlamaServer } from "../../bench/lib/llama-server.js";

const prompt = { kind: "completion" as const, text: "Once upon a time" };
const greedy = { temperature: 0, topK: 1, topP: 1, repeatPenalty: 1 };

beforeAll(() => {
  llamaServerBinary();
}, 45 * 60_000);

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a pool of two llama-servers answering", () => {
  let a: LlamaServer;
  let b: LlamaServer;
  let generator: RemoteGenerator;

  beforeAll(async () => {
    [a, b] = await Promise.all([startLlamaServer({ model: storiesModel, parallel: 2 }), startLlamaServer({ model: storiesModel, parallel: 2 })]);
    generator = new RemoteGenerator({ baseUrls: [a.url, b.url], maxFailures: 1, probeIntervalMs: 200 });
  }, 120_000);

  afterAll(async () => {
    await generator?.dispose();
    await Promise.all([a?.kill(), b?.kill()]);
  });

  it("spreads requests over both servers, asks each for its model name, and gives the same greedy text", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => generator.generate({ prompt, maxTokens: 24, sampling: greedy })));
    const texts = new Set(results.map((r) => r.text));
    expect(texts.size).toBe(1);
    expect([...texts][0]).toMatch(/\w+ \w+/);
    const [sa, sb] = generator.backends();
    expect(sa.served).toBeGreaterThan(0);
    expect(sb.served).toBeGreaterThan(0);
    expect(sa.served + sb.served).toBe(6);
    expect(sa.model).toMatch(/stories260K\.gguf$/);
    expect(generator.name).toMatch(/stories260K\.gguf$/);
  });

  it("loses no request that had not started streaming when a server is killed, and takes the server back", async () => {
    const streaming = new Array<boolean>(10).fill(false);
    let firstPiece!: () => void;
    const somethingStreamed = new Promise<void>((resolve) => (firstPiece = resolve));
    const requests = streaming.map((_, i) =>
      generator.generate({
        prompt,
        maxTokens: 96,
        sampling: greedy,
        onText: () => {
          streaming[i] = true;
          firstPiece();
        },
      }),
    );
    await somethingStreamed;
    const servedBefore = generator.backends()[0].served;
    await a.kill("SIGKILL");
    const outcomes = await Promise.allSettled(requests);
    const failed = outcomes.flatMap((o, i) => (o.status === "rejected" ? [i] : []));
    // Only requests that had shown text may fail; every other one finished on the surviving server.
    for (const i of failed) expect(streaming[i], `request ${i} failed before streaming: ${(outcomes[i] as PromiseRejectedResult).reason}`).toBe(true);
    for (const o of outcomes) if (o.status === "fulfilled") expect(o.value.text.length).toBeGreaterThan(0);
    const [downA] = generator.backends();
    expect(downA.up).toBe(false);
    expect(downA.failures).toBeGreaterThan(0);
    // The kill hit requests on that server: some were retried or failed there, so the test is not vacuous.
    expect(failed.length + downA.failures).toBeGreaterThan(0);
    expect(downA.served).toBe(servedBefore);

    // Back on the same port: the probe brings it in and it takes load again.
    a = await startLlamaServer({ model: storiesModel, port: a.port, parallel: 2 });
    await waitFor(() => generator.backends()[0].up, 20_000);
    await Promise.all(Array.from({ length: 6 }, () => generator.generate({ prompt, maxTokens: 8, sampling: greedy })));
    expect(generator.backends()[0].served).toBeGreaterThan(servedBefore);
  }, 180_000);
});

describe("a pool of two llama-servers embedding", () => {
  let e1: LlamaServer;
  let e2: LlamaServer;
  let local: Embedder;
  let remote: Embedder;
  const dir = tempDir("alpaca-rag-embed-pool-");

  function settingsFor(store: string, url?: string[]) {
    return loadSettings({
      cwd: projectRoot,
      env: {},
      overrides: {
        store,
        inbox: path.join(dir, "inbox"),
        threads: 1,
        gpu: false,
        "embedding.model": storiesModel,
        "embedding.url": url,
        "generator.model": "none",
        "chunk.size": 64,
        "chunk.overlap": 8,
      },
    });
  }

  beforeAll(async () => {
    // stories260K has no pooling of its own: node-llama-cpp then takes the last token's vector, so the servers do too.
    [e1, e2] = await Promise.all([0, 1].map(() => startLlamaServer({ model: storiesModel, embeddings: { pooling: "last" } })));
    writeFiles(path.join(dir, "inbox"), englishSamples);
    const settings = settingsFor(path.join(dir, "remote-store"), [e1.url, e2.url]);
    const choice = await chooseEmbeddingModel(settings);
    if (choice.kind !== "model") throw new Error(choice.reason);
    const file = await resolveEmbedderFile(settings, choice);
    remote = await loadEmbedder(settings, choice, file);
    local = await loadEmbedder(settingsFor(path.join(dir, "local-store")), choice, file);
  }, 120_000);

  afterAll(async () => {
    await remote?.dispose();
    await local?.dispose();
    await Promise.all([e1?.kill(), e2?.kill()]);
  });

  it("gives the vectors of a local model of the same file, for passages and questions", async () => {
    expect(remote.identity).toEqual(local.identity);
    const texts = [...Object.values(englishSamples), "When was the lighthouse built?", "果园里有多少棵苹果树？"];
    for (const text of texts) {
      const tokens = local.tokenizer.tokenize(text);
      const [p1, p2] = await Promise.all([local.embedPassageTokens(tokens), remote.embedPassageTokens(tokens)]);
      const [q1, q2] = await Promise.all([local.embedQuery(text), remote.embedQuery(text)]);
      for (const [x, y] of [[p1, p2], [q1, q2]]) {
        let dot = 0;
        for (let i = 0; i < x.length; i++) dot += x[i] * y[i];
        expect(dot, text).toBeGreaterThan(0.9999);
      }
    }
  });

  it("ingests through both servers and searches like a store embedded locally", async () => {
    const remoteSettings = settingsFor(path.join(dir, "remote-store"), [e1.url, e2.url]);
    const localSettings = settingsFor(path.join(dir, "local-store"));
    const before = remote.backends!().map((s) => s.served);
    const summary = await ingestFolder({ settings: remoteSettings, embedder: remote });
    await ingestFolder({ settings: localSettings, embedder: local });
    expect(summary.embedded).toBeGreaterThan(4);
    const after = remote.backends!().map((s) => s.served);
    expect(after[0]).toBeGreaterThan(before[0]);
    expect(after[1]).toBeGreaterThan(before[1]);
    const engines = await Promise.all([openEngine(remoteSettings), openEngine(localSettings)]);
    try {
      for (const question of ["When was the lighthouse automated?", "How many apple trees are in the orchard?"]) {
        const [r, l] = await Promise.all(engines.map((e) => searchChunks(e, question, ["default"], 3)));
        expect(r.mode).toBe("hybrid");
        expect(r.results.map((h) => [h.source, h.chunkIds])).toEqual(l.results.map((h) => [h.source, h.chunkIds]));
      }
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
    expect(fs.existsSync(path.join(dir, "remote-store"))).toBe(true);
  }, 120_000);
});

describe("a server whose model servers are all down", () => {
  it("answers 503 backends_unavailable, says so on /readyz and /metrics, and recovers when one comes up", async () => {
    const ports = [await freePort(), await freePort()];
    // stories260K's window is 512 tokens and Chinese costs it 3 a character: a short English system prompt, and a
    // window packed for less than 512 (the remote side's token count is only an estimate).
    const system = path.join(tempDir(), "system.txt");
    fs.writeFileSync(system, "Answer from the sources.");
    const t = await startTestServer({
      embedding: "none",
      settings: {
        "generator.url": ports.map((p) => `http://127.0.0.1:${p}/v1`),
        "generator.remoteModel": "stories",
        "generator.contextSize": 200,
        "retrieval.k": 1,
        "prompts.system": system,
      },
    });
    let server: LlamaServer | null = null;
    try {
      const res = await postJson(`${t.url}v1/ask`, { question: "When was the lighthouse built?" });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("backends_unavailable");
      expect(body.error.message).toMatch(/generator\.url: no backend could take the request .*ECONNREFUSED/);

      const ready = await fetch(`${t.url}readyz`);
      expect(ready.status).toBe(503);
      const readiness = (await ready.json()) as { checks: { backends: boolean }; backends: { generator: Array<{ backend: number; up: boolean; failures: number }> } };
      expect(readiness.checks.backends).toBe(false);
      expect(readiness.backends.generator.map((b) => [b.backend, b.up])).toEqual([[1, false], [2, false]]);
      const metrics = await (await fetch(`${t.url}metrics`)).text();
      expect(metricValue(metrics, "alpaca_rag_backend_up", { pool: "generator", url: `http://127.0.0.1:${ports[0]}/v1` })).toBe(0);
      expect(metricValue(metrics, "alpaca_rag_backend_failures", { pool: "generator", url: `http://127.0.0.1:${ports[1]}/v1` })).toBeGreaterThan(0);

      server = await startLlamaServer({ model: storiesModel, port: ports[1] });
      await waitFor(async () => (await fetch(`${t.url}readyz`)).status === 200, 20_000);
      const answered = await postJson(`${t.url}v1/ask`, { question: "When was the lighthouse built?" });
      expect(answered.status).toBe(200);
      const answer = (await answered.json()) as { mode: string; answer: string };
      expect(answer.mode).toBe("generated");
      expect(answer.answer.length).toBeGreaterThan(0);
      const after = await (await fetch(`${t.url}metrics`)).text();
      expect(metricValue(after, "alpaca_rag_backend_up", { pool: "generator", url: `http://127.0.0.1:${ports[1]}/v1` })).toBe(1);
    } finally {
      await t.close();
      await server?.kill();
    }
  }, 120_000);
});
