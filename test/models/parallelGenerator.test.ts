// Several requests at once in one context (stories260K, real llama.cpp, greedy): each gets exactly the text it gets
// alone; a cancelled request frees its sequence for the next; the kept sequences' shared prompt prefix is reused
// without one request's text ever reaching another's answer; "auto" sizes the sequences from the GGUF's KV shape.
import { readGgufFileInfo } from "node-llama-cpp";
import { ConfigError, loadSettings } from "../../src/config/load.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLocalGenerator, type GenerateRequest, type Generator, type PromptInput } from "../../src/models/generator.js";
import { autoParallel, cpuParallelCap, kvBytesPerSequence } from "../../src/models/parallelism.js";
import { storiesModel, tempDir } from "../helpers.js";

/** Chat prompts sharing one system prompt (the shared prefix) and differing in the question. */
const system = "You answer questions about the stories below. Keep the answer short and use the words of the stories.";
const questions = [
  "Lily went to the park with her dog. What did Lily do in the park?",
  "Tom had a red ball and a big box. Where did Tom put the ball?",
  "The little bird sat in the tree all day. Why was the bird sad?",
  "Sue and Ben baked a cake for their mom. Who ate the cake?",
];
const chat = (user: string): PromptInput => ({ kind: "chat", chat: { system, history: [], user } });
const request = (user: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  prompt: chat(user),
  maxTokens: 40,
  sampling: { temperature: 0 },
  ...extra,
});

let solo: Generator;
let parallel: Generator;
/** Each question's answer from a one-sequence generator, one request at a time. */
const alone = new Map<string, string>();

beforeAll(async () => {
  solo = await loadLocalGenerator({ modelPath: storiesModel, preset: null, gpu: false, threads: 1, parallel: 1 });
  parallel = await loadLocalGenerator({ modelPath: storiesModel, preset: null, gpu: false, threads: 1, parallel: 4 });
  for (const q of questions) alone.set(q, (await solo.generate(request(q))).text);
});

afterAll(async () => {
  await solo?.dispose();
  await parallel?.dispose();
});

describe("the parallel generator", () => {
  it("gives several requests at once exactly the text each gives alone", async () => {
    expect(parallel.parallel).toBe(4);
    // Different answers, or the comparison below could not tell one request's text from another's.
    expect(new Set(alone.values()).size).toBe(questions.length);
    for (const text of alone.values()) expect(text.length).toBeGreaterThan(10);
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(questions.map((q) => parallel.generate(request(q))));
      results.forEach((r, i) => expect(r.text, questions[i]).toBe(alone.get(questions[i])));
    }
    // More requests than sequences: the rest wait for a sequence and still get their own text.
    const twice = [...questions, ...questions.slice().reverse()];
    const results = await Promise.all(twice.map((q) => parallel.generate(request(q))));
    results.forEach((r, i) => expect(r.text, twice[i]).toBe(alone.get(twice[i])));
  });

  it("frees a cancelled request's sequence: the next request runs and gets its own answer", async () => {
    const controller = new AbortController();
    let pieces = 0;
    const cancelled = solo.generate(
      request(questions[0], {
        maxTokens: 400,
        signal: controller.signal,
        onText: () => {
          pieces += 1;
          if (pieces === 3) controller.abort(new Error("client left"));
        },
      }),
    );
    // Queued behind the cancelled one on the single sequence: it can only run once that sequence is given back.
    const next = solo.generate(request(questions[1]));
    const stopped = await cancelled;
    expect(stopped.stopReason).toBe("abort");
    expect(stopped.completionTokens).toBeLessThan(400);
    expect(alone.get(questions[0])!.startsWith(stopped.text)).toBe(true);
    expect((await next).text).toBe(alone.get(questions[1]));
    // And once more after it: nothing of the cancelled request is left behind.
    expect((await solo.generate(request(questions[0]))).text).toBe(alone.get(questions[0]));
  });

  it("reuses the shared prompt prefix without leaking one request's text into another's answer", async () => {
    // One sequence, questions interleaved: each request starts from the sequence the previous one left.
    const order = [questions[0], questions[1], questions[0], questions[2], questions[1], questions[3]];
    const prefix = solo.countPromptTokens(chat(""));
    await solo.generate(request(questions[3]));
    for (const q of order) {
      const result = await solo.generate(request(q));
      expect(result.text, q).toBe(alone.get(q));
      // The system prompt and template were already there; the previous question's tokens were not reused.
      expect(result.cachedPromptTokens).toBeGreaterThanOrEqual(prefix - 2);
      expect(result.cachedPromptTokens).toBeLessThan(result.promptTokens - 5);
    }
    // The same question again reuses everything but the last prompt token (which must be evaluated to sample).
    const again = await solo.generate(request(questions[3]));
    expect(again.cachedPromptTokens).toBe(again.promptTokens - 1);
    expect(again.text).toBe(alone.get(questions[3]));
    // Interleaved and concurrent, on the four kept sequences of the parallel generator.
    const mixed = [questions[2], questions[0], questions[3], questions[1], questions[0], questions[2]];
    const results = await Promise.all(mixed.map((q) => parallel.generate(request(q))));
    results.forEach((r, i) => expect(r.text, mixed[i]).toBe(alone.get(mixed[i])));
    expect(results.some((r) => (r.cachedPromptTokens ?? 0) > 0)).toBe(true);
  });

  it("starts a new request on a kept sequence while other answers are being written, not after them", async () => {
    // Every sequence of the parallel generator now holds an earlier request's tokens, so a new request first erases
    // what it does not share: that takes the context's lock, which the batch loop must give up between batches.
    await Promise.all(questions.map((q) => parallel.generate(request(q))));
    let shortFirstToken = 0;
    let shortStarted: ReturnType<Generator["generate"]> | null = null;
    const startShort = () => {
      shortStarted ??= parallel.generate(request(questions[1], { onText: () => (shortFirstToken ||= performance.now()) }));
    };
    const ended: number[] = [];
    const longs = [questions[0], questions[2]].map((q) =>
      parallel.generate(request(q, { maxTokens: 120, onText: startShort })).then((r) => (ended.push(performance.now()), r)),
    );
    const longResults = await Promise.all(longs);
    const short = await shortStarted!;
    for (const r of longResults) expect(r.completionTokens).toBeGreaterThan(60);
    expect(short.text).toBe(alone.get(questions[1]));
    expect(short.cachedPromptTokens).toBeGreaterThan(0);
    expect(shortFirstToken).toBeGreaterThan(0);
    expect(shortFirstToken).toBeLessThan(Math.min(...ended));
  });
});

describe("generator.parallel \"auto\"", () => {
  it("decodes every answer under way in each batch: four answers advance together, a token each per step", async () => {
    // The batches llama.cpp is given, seen at the native context (node-llama-cpp 3.21.1 keeps it in `_ctx`).
    const native = (parallel as unknown as { context: { _ctx: Record<string, (...args: unknown[]) => unknown> } }).context._ctx;
    const add = native.addToBatch;
    const decode = native.decodeBatch;
    const batches: number[][] = [];
    let current: number[] = [];
    Object.defineProperty(native, "addToBatch", {
      configurable: true,
      value: (sequenceId: unknown, first: unknown, tokens: Uint32Array, ...rest: unknown[]) => {
        current.push(tokens.length);
        return add.call(native, sequenceId, first, tokens, ...rest);
      },
    });
    Object.defineProperty(native, "decodeBatch", {
      configurable: true,
      value: (...args: unknown[]) => {
        batches.push(current);
        current = [];
        return decode.apply(native, args);
      },
    });
    try {
      const results = await Promise.all(questions.map((q) => parallel.generate(request(q))));
      results.forEach((r, i) => expect(r.text, questions[i]).toBe(alone.get(questions[i])));
      const steps = batches.filter((b) => b.every((tokens) => tokens === 1));
      const longest = Math.max(...results.map((r) => r.completionTokens));
      // Each step gives every answer still being written its next token, so the steps are as many as the longest
      // answer's tokens (its first comes with the prompts). Filled before the samplings of the last step had ended,
      // a step held some answers and left the rest for the next: three answers a step, two of them taking turns.
      expect(steps.length).toBeLessThanOrEqual(longest);
      expect(steps.filter((b) => b.length === questions.length).length).toBeGreaterThan(longest / 2);
    } finally {
      Object.defineProperty(native, "addToBatch", { configurable: true, value: add });
      Object.defineProperty(native, "decodeBatch", { configurable: true, value: decode });
    }
  });

  it("is the default of server.queueSize, and both settings take a number or auto from the environment", () => {
    const cwd = tempDir();
    const defaults = loadSettings({ cwd, env: {} });
    expect(defaults.generator.parallel).toBe(1);
    expect(defaults.server.queueSize).toBe("auto");
    expect(defaults.server.queueTargetWaitMs).toBe(10_000);
    const env = loadSettings({ cwd, env: { ALPACA_RAG_GENERATOR_PARALLEL: "auto", ALPACA_RAG_SERVER_QUEUE_SIZE: "12" } });
    expect([env.generator.parallel, env.server.queueSize]).toEqual(["auto", 12]);
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_GENERATOR_PARALLEL: "many" } })).toThrow(ConfigError);
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_GENERATOR_PARALLEL: "many" } })).toThrow(/ALPACA_RAG_GENERATOR_PARALLEL.*number or auto/);
  });

  it("sizes one sequence's KV cache from the GGUF and fits the sequences in half the free memory, capped on a CPU", async () => {
    const { metadata } = await readGgufFileInfo(storiesModel, { readTensorInfo: false, logWarnings: false });
    const llamaShape = (metadata as unknown as { llama: { block_count: number; embedding_length: number; attention: { head_count: number; head_count_kv?: number } } }).llama;
    const { block_count: layers, embedding_length: width, attention } = llamaShape;
    const kvWidth = (width / attention.head_count) * (attention.head_count_kv ?? attention.head_count);
    const perSequence = kvBytesPerSequence(metadata, 512);
    expect(perSequence).toBe(512 * layers * 2 * kvWidth * 2);
    expect(autoParallel({ metadata, contextSize: 512, freeBytes: 64 * 2 ** 30, gpu: false }).parallel).toBe(cpuParallelCap);
    const three = autoParallel({ metadata, contextSize: 512, freeBytes: perSequence * 7, gpu: false });
    expect(three.parallel).toBe(3);
    expect(three.note).toMatch(/3 sequences at once/);
    expect(autoParallel({ metadata, contextSize: 512, freeBytes: 1, gpu: false }).parallel).toBe(1);
    expect(() => kvBytesPerSequence({ general: { architecture: "llama" } }, 512)).toThrow(/block_count.*set generator.parallel to a number/);
  });

  it("loads a generator with the sequences it sized and answers as the fixed one does", async () => {
    const auto = await loadLocalGenerator({ modelPath: storiesModel, preset: null, gpu: false, threads: 1, parallel: "auto" });
    try {
      expect(auto.parallel).toBeGreaterThanOrEqual(1);
      expect(auto.parallel).toBeLessThanOrEqual(cpuParallelCap);
      expect(auto.note).toMatch(/sequences at once/);
      // Which llama.cpp binary runs: one built for this CPU (scripts/llama-native.sh) or node-llama-cpp's prebuilt one.
      expect(auto.note).toMatch(/; llama\.cpp (built for this CPU|portable prebuilt \(scripts\/llama-native\.sh builds one for this CPU\)|prebuilt for \w+)$/);
      const results = await Promise.all(questions.map((q) => auto.generate(request(q))));
      results.forEach((r, i) => expect(r.text).toBe(alone.get(questions[i])));
    } finally {
      await auto.dispose();
    }
  });
});
