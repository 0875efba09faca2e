// The raw limit of ingestion: node-llama-cpp embedding given chunks in a tight loop on one embedding context (or, with
// `contexts`, on several side by side), with no parsing, splitting or storage. Model load is timed apart from embedding.
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { preferActiveOpenMpWait } from "../src/models/llama.js";
import { serveChild } from "./lib/measure.js";

export interface RawEmbedOptions {
  modelPath: string;
  /** llama.cpp threads for the embedding context (always explicit: the library default oversubscribes small CPUs). */
  threads: number;
  /** Chunk texts, or chunk token ids without BOS (BOS is added the way node-llama-cpp always adds it). */
  chunks: string[] | number[][];
  /** Embedding context size in tokens. Default: 512. */
  contextSize?: number;
  /**
   * Contexts evaluating chunks side by side, the threads split between them (what alpaca-rag does on a CPU). Default 1:
   * the plain loop, one context with every thread.
   */
  contexts?: number;
}

export interface RawEmbedResult {
  /** Wall time of the embedding loop alone. */
  seconds: number;
  chunks: number;
  /** Tokens evaluated, BOS included. */
  tokens: number;
  /** Model load plus context creation, not part of `seconds`. */
  loadSeconds: number;
  dimensions: number;
  /** Threads the context actually uses, as node-llama-cpp reports them. */
  threads: number;
  /** Whether every vector was finite and not all zeros (a sanity check; ~384 comparisons per chunk, negligible). */
  vectorsOk: boolean;
}

export async function runRawEmbed(opts: RawEmbedOptions): Promise<RawEmbedResult> {
  // The OpenMP wait policy alpaca-rag's runtime sets (src/models/llama.ts), so the sides differ only in their own work.
  preferActiveOpenMpWait();
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  const loadStart = performance.now();
  const model = await llama.loadModel({ modelPath: opts.modelPath });
  const count = Math.max(1, opts.contexts ?? 1);
  const contexts = [];
  for (let i = 0; i < count; i++)
    contexts.push(await model.createEmbeddingContext({ threads: Math.max(1, Math.floor(opts.threads / count)), contextSize: opts.contextSize ?? 512 }));
  const context = contexts[0];
  const loadSeconds = (performance.now() - loadStart) / 1000;
  try {
    const inputs = opts.chunks.map((c) => (typeof c === "string" ? c : (c as Token[])));
    // Counted before the loop so that tokenizing for the count is not timed.
    const tokens = inputs.reduce((sum, input) => sum + context.calculateInputLength(input), 0);
    let dimensions = 0;
    let vectorsOk = true;
    const start = performance.now();
    // Each context takes the next chunk as soon as it is free (one context: the plain loop).
    let next = 0;
    await Promise.all(
      contexts.map(async (ctx) => {
        while (next < inputs.length) {
          const { vector } = await ctx.getEmbeddingFor(inputs[next++]);
          dimensions = vector.length;
          if (vectorsOk && (!vector.every(Number.isFinite) || vector.every((v) => v === 0))) vectorsOk = false;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    return {
      seconds,
      chunks: inputs.length,
      tokens,
      loadSeconds,
      dimensions,
      threads: (context as unknown as { _llamaContext: { idealThreads: number } })._llamaContext.idealThreads,
      vectorsOk: vectorsOk && dimensions > 0,
    };
  } finally {
    for (const ctx of contexts) await ctx.dispose();
    await model.dispose();
  }
}

serveChild(import.meta.url, runRawEmbed);
