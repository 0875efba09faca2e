// One llama.cpp job at a time per generator context. node-llama-cpp runs each batch decode and each sequence's token
// sampling as its own job on libuv's thread pool (4 threads), so with several sequences generating, their samplings
// run beside each other and beside the next decode, whose llama.cpp threads already take every core: on a small
// machine the threads then preempt one another at every step. Measured with the 110M generator on 2 cores (decode
// only): 4 sequences made 51 tokens/s that way and 111–131 in turn, 16 made 105 and 221–279 (one sequence alone: 57);
// 16 answers of 410-token prompts at once made 50 tokens/s and 70, what llama.cpp's own llama-server makes on that work
// (it samples in its own loop, between decodes).
// node-llama-cpp 3.21.1 (which this project pins) keeps its native context in `_ctx`; the two calls are wrapped there.
// Other contexts (the embedder's) are untouched: their jobs may still run beside these, as intended.
import type { LlamaContext } from "node-llama-cpp";

const serialised = ["decodeBatch", "sampleToken"] as const;

/** Makes `context`'s batch decodes and token samplings run one at a time, in the order they are asked for. */
export function serialiseNativeCalls(context: LlamaContext): boolean {
  const native = (context as unknown as { _ctx?: Record<string, unknown> })._ctx;
  if (!native || serialised.some((name) => typeof native[name] !== "function")) return false;
  let tail: Promise<unknown> = Promise.resolve();
  for (const name of serialised) {
    const call = (native[name] as (...args: unknown[]) => Promise<unknown>).bind(native);
    // The binding's methods are read-only on its prototype; an own property of the instance takes their place.
    Object.defineProperty(native, name, {
      configurable: true,
      value: (...args: unknown[]) => {
        const run = tail.then(() => call(...args));
        tail = run.then(
          () => undefined,
          () => undefined,
        );
        return run;
      },
    });
  }
  return true;
}
