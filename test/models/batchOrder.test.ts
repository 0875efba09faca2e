// Continuous batching in a generator context (real llama.cpp, stories260K, greedy): while a long prompt is evaluated
// in pieces, the answer already being written gets its next token in every batch, and both still get the tokens they
// get alone. Before, the prompt queued first filled whole batches and the answer waited until it was done. And the
// sequences' tokens go into each batch in ascending sequence order, whatever order they were queued in: llama.cpp
// decodes a run of consecutive sequence ids as one micro-batch and starts another at each break in the order.
import { getLlama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answersFirst } from "../../src/models/batchOrder.js";
import { serialiseNativeCalls } from "../../src/models/serialNative.js";
import { storiesModel } from "../helpers.js";
import { greedyTokens, storyPrompts } from "./greedyTokens.js";

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

/** Each batch decoded by `context`: tokens per sequence id, in the order they were added. */
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
    const answerAlone = await greedyTokens(solo, answerPrompt, 40);
    const longAlone = await greedyTokens(solo, longPrompt, 5);
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
      const answer = await greedyTokens(context, answerPrompt, 40, (n) => {
        // The long prompt arrives once the answer is being written.
        if (n === 2) {
          batchesBeforeLong = batches.length;
          longStarted = greedyTokens(context, longPrompt, 5);
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

  it("adds the sequences' tokens to each batch in ascending sequence order, whatever order they were queued in", async () => {
    const prompts = storyPrompts;
    const solo = await model.createContext({ contextSize: 256, sequences: 1, threads: 1 });
    const alone: Token[][] = [];
    for (const p of prompts) alone.push(await greedyTokens(solo, p, 16));
    await solo.dispose();

    const context = await model.createContext({
      contextSize: 256,
      sequences: prompts.length,
      threads: 1,
      batching: { dispatchSchedule: "nextCycle", itemPrioritizationStrategy: answersFirst() },
    });
    try {
      serialiseNativeCalls(context);
      const batches = recordBatches(context);
      // Sequences 0..3 are made first and start in the opposite order, each once the one after it has a token, so
      // their next tokens are queued highest id first.
      const sequences = prompts.map(() => context.getSequence());
      const results: Token[][] = [];
      const generate = async (i: number): Promise<void> => {
        const out: Token[] = [];
        let next: Promise<void> | null = null;
        for await (const token of sequences[i].evaluate(model.tokenize(prompts[i], true), { temperature: 0 })) {
          out.push(token);
          if (out.length === 1 && i > 0) next = generate(i - 1);
          if (out.length >= 16) break;
        }
        results[i] = out;
        await next;
      };
      await generate(prompts.length - 1);
      results.forEach((tokens, i) => expect(tokens, prompts[i]).toEqual(alone[i]));

      const ids = sequences.map((s) => (s as unknown as { _sequenceId: number })._sequenceId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const several = batches.filter((b) => b.size > 1);
      expect(several.length).toBeGreaterThan(10);
      for (const batch of several) {
        const added = [...batch.keys()];
        expect(added).toEqual([...added].sort((a, b) => a - b));
      }
    } finally {
      await context.dispose();
    }
  });
});
