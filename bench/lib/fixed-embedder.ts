// Benchmark scaffolding: an Embedder that answers questions with vectors computed beforehand, so retrieval over a
// synthetic store can be timed without a model (its embedding time is zero; the store's search is what is measured).
import type { Token } from "node-llama-cpp";
import type { Embedder, EmbedderIdentity } from "../../src/models/embedder.js";
import { EstimatingTokenizer } from "../../src/models/tokenizer.js";

export class FixedQueryEmbedder implements Embedder {
  readonly dimension: number;
  readonly tokenizer = new EstimatingTokenizer();
  readonly maxPassageTokens = 512;
  readonly parallel = 1;
  readonly threads = 1;
  readonly gpu = false as const;

  constructor(
    readonly identity: EmbedderIdentity,
    private readonly vectors: ReadonlyMap<string, Float32Array>,
  ) {
    this.dimension = identity.dimension;
  }

  embedQuery(text: string): Promise<Float32Array> {
    const vector = this.vectors.get(text);
    if (!vector) return Promise.reject(new Error(`no precomputed vector for the question "${text}"`));
    return Promise.resolve(vector);
  }

  embedPassageTokens(_tokens: readonly Token[]): Promise<Float32Array> {
    return Promise.reject(new Error("FixedQueryEmbedder only embeds known questions"));
  }

  async dispose(): Promise<void> {}
}
