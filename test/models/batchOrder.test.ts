// Continuous batching in a generator context (real llama.cpp, stories260K, greedy): while a long prompt is evaluated
// in pieces, the answer already being written gets its next token in every batch, and both still get the tokens they
// get alone. Before, the prompt queued first filled whole batches and the answer waited until it was done.
import { getLlama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answersFirst } from "../../src/models/batchOrder.js";
import { serialiseNativeCalls } from "../../src/models/serialNative.js";
import { storiesModel } from "../helpers.js";

let model: LlamaModel;
const answerPrompt = "Once upon a time";
// About 300 tokens: six times longer than the prompt budget below.
const longPrompt = "Lily and Tom went to the park with their dog. They played with a red ball and ran on the grass. ".repeat(12);

beforeAll(async () => {
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false });
  model = await llama.loadModel({ modelPath: storiesModel });
});

afterAll(async () => {
  await model?.dispose();
});

/** Greedy tokens of `prompt` on a new sequence of `context`; `onToken` after each. */
async function greedy(context: LlamaContext, prompt: string, steps: number, onToken?: (n: number) => void): Promise<Token[]> {
  const sequence = context.getSequence();
  const out: Token[] = [];
  try {
    for await (const token of sequence.evaluate(model.tokenize(prompt, true), { temperature: 0 })) {
      out.push(token);
      onToken?.(out.length);
      if (out.length >= steps) break;
    }
  } finally {
    await sequence.dispose();
  }
  return out;
}

/** Each batch decoded by `context`: tokens per sequence id. */
function recordBatches(context: LlamaContext): Array<Map<number, number>> {
  const native = (context as unknown as { _ctx: Record<string, (...args: unknown[]) => unknown> })._ctx;
  const batches: Array<Map<number, number>> = [];
  const init = native.initBatch.bind(native);
  const add = native.addToBatch.bind(native);
  Object.defineProperty(native, "initBatch", { configurable: true, value: (...args: unknown[]) => (batches.push(new Map()), init(...args)) });
  Object.defineProperty(native, "addToBatch", {
    configurable: true,
    value: (sequenceId: number, first: number, tokens: Uint32Array, logits: Uint32Array) => {
      const batch = batches.at(-1)!;
      batch.set(sequenceId, (batch.get(sequenceId) ?? 0) + tokens.length);
      return add(sequenceId, first, tokens, logits);
    },
  });
  return batches;
}

describe("batches with answers under way", () => {
  it("give the answer being written its next token in every batch while a long prompt is evaluated in pieces", async () => {
    const solo = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
    const answerAlone = await greedy(solo, answerPrompt, 40);
    const longAlone = await greedy(solo, longPrompt, 5);
    await solo.dispose();
    const longTokens = model.tokenize(longPrompt, true).length;
    expect(longTokens).toBeGreaterThan(250);

    const budget = 48;
    const context = await model.createContext({
      contextSize: 512,
      sequences: 2,
      threads: 1,
      batchSize: 512,
      batching: { dispatchSchedule: "nextCycle", itemPrioritizationStrategy: answersFirst(budget) },
    });
    try {
      serialiseNativeCalls(context);
      const batches = recordBatches(context);
      let longStarted: Promise<Token[]> | null = null;
      let batchesBeforeLong = 0;
      const answer = await greedy(context, answerPrompt, 40, (n) => {
        // The long prompt arrives once the answer is being written.
        if (n === 2) {
          batchesBeforeLong = batches.length;
          longStarted = greedy(context, longPrompt, 5);
        }
      });
      const long = await longStarted!;
      expect(answer).toEqual(answerAlone);
      expect(long).toEqual(longAlone);

      // The sequence ids: the answer's is the one in the first batch; the long prompt's is the other.
      const answerId = [...batches[0].keys()][0];
      const withPrompt = batches.slice(batchesBeforeLong).filter((b) => [...b.entries()].some(([id, n]) => id !== answerId && n > 1));
      // Evaluated in pieces of at most the budget, each beside one token of the answer under way.
      expect(withPrompt.length).toBeGreaterThanOrEqual(Math.ceil(longTokens / budget));
      for (const batch of withPrompt) {
        expect(batch.get(answerId)).toBe(1);
        expect([...batch.entries()].filter(([id]) => id !== answerId).reduce((n, [, t]) => n + t, 0)).toBeLessThanOrEqual(budget);
      }
    } finally {
      await context.dispose();
    }
  });
});
