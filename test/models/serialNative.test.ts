// A generator context's llama.cpp jobs one at a time (real llama.cpp, stories260K, greedy): with four sequences
// generating, no decode or sampling ever starts while another is running, and each sequence still gets the tokens it
// gets alone.
import { getLlama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serialiseNativeCalls } from "../../src/models/serialNative.js";
import { storiesModel } from "../helpers.js";

let model: LlamaModel;
const prompts = ["Once upon a time", "Lily and Tom went to the park", "The little dog was sad", "One day a bird"];

beforeAll(async () => {
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false });
  model = await llama.loadModel({ modelPath: storiesModel });
});

afterAll(async () => {
  await model?.dispose();
});

async function greedy(context: LlamaContext, prompt: string, steps = 20): Promise<Token[]> {
  const sequence = context.getSequence();
  const out: Token[] = [];
  try {
    for await (const token of sequence.evaluate(model.tokenize(prompt, true), { temperature: 0 })) {
      out.push(token);
      if (out.length >= steps) break;
    }
  } finally {
    await sequence.dispose();
  }
  return out;
}

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
    for (const p of prompts) alone.push(await greedy(solo, p));
    await solo.dispose();

    const context = await model.createContext({ contextSize: 128, sequences: prompts.length, threads: 1 });
    try {
      const watch = watchInFlight(context);
      expect(serialiseNativeCalls(context)).toBe(true);
      const results = await Promise.all(prompts.map((p) => greedy(context, p)));
      results.forEach((tokens, i) => expect(tokens, prompts[i]).toEqual(alone[i]));
      expect(watch.calls()).toBeGreaterThan(prompts.length * 19);
      expect(watch.most()).toBe(1);
    } finally {
      await context.dispose();
    }
  });
});
