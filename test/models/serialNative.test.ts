// A generator context's llama.cpp jobs one at a time (real llama.cpp, stories260K, greedy): with four sequences
// generating, no decode or sampling ever starts while another is running, and each sequence still gets the tokens it
// gets alone.
import { getLlama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serialiseNativeCalls } from "../../src/models/serialNative.js";
import { storiesModel } from "../helpers.js";
import { greedyTokens, storyPrompts } from "./greedyTokens.js";

let model: LlamaModel;
const prompts = storyPrompts;

beforeAll(async () => {
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false });
  model = await llama.loadModel({ modelPath: storiesModel });
});

afterAll(async () => {
  await model?.dispose();
});

/** Counts the native jobs of `context` in flight (beneath whatever is wrapped over them later). */
function watchInFlight(context: LlamaContext): { most: () => number; calls: () => number } {
  const native = (context as unknown as { _ctx: Record<string, (...args: unknown[]) => Promise<unknown>> })._ctx;
  let now = 0;
  let most = 0;
  let calls = 0;
  for (const name of ["decodeBatch", "sampleToken"]) {
    const call = native[name].bind(native);
    Object.defineProperty(native, name, {
      configurable: true,
      value: async (...args: unknown[]) => {
        calls += 1;
        most = Math.max(most, ++now);
        try {
          return await call(...args);
        } finally {
          now -= 1;
        }
      },
    });
  }
  return { most: () => most, calls: () => calls };
}

describe("serialised llama.cpp jobs", () => {
  it("runs one decode or sampling at a time with four sequences generating, each getting its own tokens", async () => {
    const solo = await model.createContext({ contextSize: 128, sequences: 1, threads: 1 });
    const alone: Token[][] = [];
    for (const p of prompts) alone.push(await greedyTokens(solo, p, 20));
    await solo.dispose();

    const context = await model.createContext({ contextSize: 128, sequences: prompts.length, threads: 1 });
    try {
      const watch = watchInFlight(context);
      expect(serialiseNativeCalls(context)).not.toBeNull();
      const results = await Promise.all(prompts.map((p) => greedyTokens(context, p, 20)));
      results.forEach((tokens, i) => expect(tokens, prompts[i]).toEqual(alone[i]));
      expect(watch.calls()).toBeGreaterThan(prompts.length * 19);
      expect(watch.most()).toBe(1);
    } finally {
      await context.dispose();
    }
  });
});
