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

/** The queue of a context's native calls. */
export interface NativeCallQueue {
  /** Settles once every call asked for so far has ended. */
  idle(): Promise<void>;
}

/**
 * Makes `context`'s batch decodes and token samplings run one at a time, in the order they are asked for; null when
 * the context does not have the native calls this expects.
 */
export function serialiseNativeCalls(context: LlamaContext): NativeCallQueue | null {
  const native = (context as unknown as { _ctx?: Record<string, unknown> })._ctx;
  if (!native || serialised.some((name) => typeof native[name] !== "function")) return null;
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
  return { idle: () => tail.then(() => undefined) };
}

/**
 * A dispatch schedule for node-llama-cpp's batching: the next batch is filled once the queue is idle and one more turn
 * of the event loop has passed. A decode is followed by one sampling per sequence in it, run in turn; filled on the
 * next turn as node-llama-cpp does, the batch took the answers whose sampling had ended and left the rest for the
 * batch after (with four answers under way, two of them took turns: batches of three, never four).
 */
export function afterNativeCalls(queue: () => NativeCallQueue | null): (dispatch: () => void) => void {
  return (dispatch) => {
    const pending = queue();
    if (!pending) setImmediate(dispatch);
    else void pending.idle().then(() => setImmediate(dispatch));
  };
}
