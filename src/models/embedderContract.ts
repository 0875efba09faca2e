// What the rest of the code knows of an embedding model, whichever computes the vectors: a GGUF loaded into this
// process (embedder.ts) or a pool of OpenAI-compatible servers running the same file (remoteEmbedder.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import type { Token } from "node-llama-cpp";
import type { BackendStatus } from "./backendPool.js";
import type { TextTokenizer } from "./tokenizer.js";

/** What the store records about the model that made its vectors. */
export interface EmbedderIdentity {
  /** File name, for people. */
  name: string;
  /** SHA-256 (hex) of the file's first 4 MiB and its size: cheap, and different for any other model. */
  fingerprint: string;
  dimension: number;
}

export interface Embedder {
  readonly identity: EmbedderIdentity;
  readonly dimension: number;
  /** The model's own tokenizer: chunk sizes are measured with it. */
  readonly tokenizer: TextTokenizer;
  /** Most passage tokens one call can take (context minus prefix, BOS/EOS). */
  readonly maxPassageTokens: number;
  /** Contexts evaluated at once. */
  readonly parallel: number;
  readonly threads: number;
  readonly gpu: string | false;
  /** Unit vector of a passage given as tokens (counted once by the chunker, never re-tokenized here). */
  embedPassageTokens(tokens: readonly Token[]): Promise<Float32Array>;
  /** Unit vector of a question (with the model's query prefix). */
  embedQuery(text: string): Promise<Float32Array>;
  /** The servers computing the vectors and their state, when they are remote (embedding.url). */
  backends?(): BackendStatus[];
  dispose(): Promise<void>;
}

/** The local file of the chosen embedding model and its fingerprint, found (or downloaded) without loading it. */
export interface EmbedderFile {
  path: string;
  name: string;
  fingerprint: string;
}

/** SHA-256 (hex) of a model file's first 4 MiB and its size: the identity the store records. */
export function fingerprintFile(filePath: string): string {
  const fd = fs.openSync(filePath, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4 * 1024 * 1024));
    fs.readSync(fd, head, 0, head.length, 0);
    return crypto.createHash("sha256").update(head).update(String(size)).digest("hex");
  } finally {
    fs.closeSync(fd);
  }
}

/** The vector scaled to unit length (cosine similarity becomes a dot product); a zero vector stays zero. */
export function normalise(vector: readonly number[]): Float32Array {
  const out = Float32Array.from(vector);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * out[i];
  const norm = Math.sqrt(sum);
  if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}
