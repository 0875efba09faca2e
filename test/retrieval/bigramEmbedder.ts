// A test embedder that is competent by construction: hashed character unigrams and bigrams (script-folded), unit
// length. Tokens are code points, so ingest can chunk with it. It stands in for a good embedding model where the
// machine has none, to exercise the "embedder proves itself" path; it is not a model and ships nowhere.
import crypto from "node:crypto";
import type { Token } from "node-llama-cpp";
import type { Embedder } from "../../src/models/embedder.js";
import { foldScript } from "../../src/store/segment.js";

function hash(s: string, dimension: number): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) % dimension;
}

export function bigramVector(text: string, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  const chars = [...foldScript(text).toLowerCase()].filter((c) => /[\p{L}\p{N}]/u.test(c));
  for (let i = 0; i < chars.length; i++) {
    v[hash(chars[i], dimension)] += 1;
    if (i + 1 < chars.length) v[hash(chars[i] + chars[i + 1], dimension)] += 2;
  }
  const norm = Math.hypot(...v) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

export function bigramEmbedder(dimension = 256): Embedder {
  const name = `char-bigram-${dimension}`;
  return {
    identity: { name, fingerprint: crypto.createHash("sha256").update(name).digest("hex"), dimension },
    dimension,
    tokenizer: { name, tokenize: (text: string) => [...text].map((c) => c.codePointAt(0)! as Token) },
    maxPassageTokens: 4096,
    parallel: 1,
    threads: 1,
    gpu: false,
    embedPassageTokens: async (tokens: readonly Token[]) => bigramVector(String.fromCodePoint(...tokens), dimension),
    embedQuery: async (text: string) => bigramVector(text, dimension),
    dispose: async () => {},
  };
}
