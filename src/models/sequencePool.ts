// The generator's context sequences, lent one per request and kept afterwards with what they evaluated, so the next
// request can start from the one sharing the longest prompt prefix (the system prompt and template, the same for every
// question) and evaluate only the rest: llama-server's prompt cache, done with node-llama-cpp's own sequences.
// Nothing of an earlier request survives into a later one: LlamaCompletion erases a sequence's tokens from the first
// one that differs from the new prompt before it evaluates (adaptStateToTokens), and the KV cells of the shared prefix
// hold exactly what evaluating that prefix afresh would put there.
import type { Token } from "node-llama-cpp";

/** What the pool needs of a sequence: the tokens it holds, and how to end it. */
export interface PooledSequence {
  readonly contextTokens: readonly Token[];
  readonly disposed: boolean;
  dispose(): Promise<void> | void;
}

export interface SequenceLease<S extends PooledSequence> {
  readonly sequence: S;
  /** Prompt tokens the sequence already holds (the reusable prefix); 0 for a fresh one. */
  readonly sharedPrefix: number;
  /**
   * Gives the sequence back. `keep: false` (an error mid-evaluation, or reuse turned off) disposes it, and a fresh one
   * is made for a later request.
   */
  release(keep: boolean): Promise<void>;
}

/** Tokens at the start of `a` and `b` that are the same. */
export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i += 1;
  return i;
}

export class SequencePool<S extends PooledSequence> {
  private readonly free: S[] = [];
  private created = 0;
  private readonly waiting: Array<{ prompt: readonly Token[]; grant: (lease: SequenceLease<S>) => void }> = [];

  constructor(
    /** Sequences at most (the context's). */
    readonly size: number,
    private readonly create: () => S,
  ) {}

  /** Sequences not lent right now (made or still to be made). */
  get available(): number {
    return this.free.length + (this.size - this.created);
  }

  /** A sequence for `prompt` (the full token list, BOS included): the free one sharing the longest prefix, else a new one. */
  acquire(prompt: readonly Token[], signal?: AbortSignal): Promise<SequenceLease<S>> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    const lease = this.tryLend(prompt);
    if (lease) return Promise.resolve(lease);
    return new Promise((resolve, reject) => {
      const entry = {
        prompt,
        grant: (granted: SequenceLease<S>) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(granted);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private tryLend(prompt: readonly Token[]): SequenceLease<S> | null {
    let best = -1;
    let bestShared = -1;
    for (let i = 0; i < this.free.length; i++) {
      const shared = commonPrefixLength(this.free[i].contextTokens, prompt);
      if (shared > bestShared) {
        best = i;
        bestShared = shared;
      }
    }
    // A fresh sequence costs nothing to make; a free one that shares nothing is as good, and keeps the count down.
    if (best >= 0) return this.lease(this.free.splice(best, 1)[0], bestShared);
    if (this.created < this.size) {
      this.created += 1;
      try {
        return this.lease(this.create(), 0);
      } catch (e) {
        this.created -= 1;
        throw e;
      }
    }
    return null;
  }

  private lease(sequence: S, sharedPrefix: number): SequenceLease<S> {
    let released = false;
    return {
      sequence,
      sharedPrefix,
      release: async (keep: boolean) => {
        if (released) return;
        released = true;
        if (keep && !sequence.disposed) this.free.push(sequence);
        else {
          // A sequence's id returns to the context only when dispose() resolves: count it free after that, or the next
          // request would find no sequence left.
          try {
            await sequence.dispose();
          } finally {
            this.created -= 1;
          }
        }
        this.handOut();
      },
    };
  }

  private handOut(): void {
    while (this.waiting.length > 0) {
      const lease = this.tryLend(this.waiting[0].prompt);
      if (!lease) return;
      this.waiting.shift()!.grant(lease);
    }
  }
}
