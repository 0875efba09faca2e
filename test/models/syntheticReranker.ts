// A real reranking GGUF for tests, written at test time: no reranker can be downloaded here, and stories260K has no
// classification head. It is a tiny Qwen3-architecture cross-encoder (the architecture of Qwen3-Reranker, whose rank
// head llama.cpp supports) with seeded random weights, a two-label classifier ("yes", "no") and stories260K's
// tokenizer. Its scores mean nothing about relevance, but they are computed by llama.cpp's own ranking graph through
// node-llama-cpp's LlamaRankingContext: the code path a real bge/Qwen3 reranker takes.
import fs from "node:fs";
import path from "node:path";
import { encodeHeader, encodePair, GgmlType, layoutTensors, llamaBlockTensors, tokenizerPairs, type TensorSpec } from "../../bench/lib/gguf.js";
import { constantF32, fnv1a, normalF16 } from "../../bench/lib/random-weights.js";
import { storiesModel } from "../helpers.js";

const spec = { layers: 2, width: 64, heads: 4, ffn: 128, contextLength: 512, weightStd: 0.2, headStd: 1, seed: 2023 } as const;

/** Writes the reranker to `outPath` (about 150 KB) and returns the path. */
export function writeSyntheticReranker(outPath: string): string {
  const { pairs: tokenizer, vocab } = tokenizerPairs(storiesModel);
  const { width: d, heads, ffn, layers } = spec;
  const headDim = d / heads;

  const kvs = [
    encodePair((e) => e.kvString("general.architecture", "qwen3")),
    encodePair((e) => e.kvString("general.name", "alpaca-rag synthetic reranker (random weights)")),
    encodePair((e) => e.kvU32("qwen3.context_length", spec.contextLength)),
    encodePair((e) => e.kvU32("qwen3.embedding_length", d)),
    encodePair((e) => e.kvU32("qwen3.block_count", layers)),
    encodePair((e) => e.kvU32("qwen3.feed_forward_length", ffn)),
    encodePair((e) => e.kvU32("qwen3.attention.head_count", heads)),
    encodePair((e) => e.kvU32("qwen3.attention.head_count_kv", heads)),
    encodePair((e) => e.kvF32("qwen3.attention.layer_norm_rms_epsilon", 1e-6)),
    encodePair((e) => e.kvF32("qwen3.rope.freq_base", 10000.5)),
    encodePair((e) => e.kvU32("qwen3.pooling_type", 4)), // LLAMA_POOLING_TYPE_RANK
    encodePair((e) => e.kvStringArray("qwen3.classifier.output_labels", ["yes", "no"])),
    ...tokenizer,
  ];

  const specs: TensorSpec[] = [
    { name: "token_embd.weight", dims: [d, vocab], type: GgmlType.F16 },
    { name: "output_norm.weight", dims: [d], type: GgmlType.F32 },
    { name: "cls.output.weight", dims: [d, 2], type: GgmlType.F16 },
  ];
  for (let i = 0; i < layers; i++)
    specs.push(
      ...llamaBlockTensors(i, d, ffn),
      // Qwen3 normalises queries and keys per head.
      { name: `blk.${i}.attn_q_norm.weight`, dims: [headDim], type: GgmlType.F32 },
      { name: `blk.${i}.attn_k_norm.weight`, dims: [headDim], type: GgmlType.F32 },
    );
  const alignment = 32;
  const { tensors } = layoutTensors(specs, alignment);
  const parts: Buffer[] = [encodeHeader(kvs, tensors, alignment)];
  let written = 0;
  for (const t of tensors) {
    if (t.offset > written) parts.push(Buffer.alloc(t.offset - written));
    const count = t.dims.reduce((a, b) => a * b, 1);
    const std = t.name === "cls.output.weight" ? spec.headStd : spec.weightStd;
    const data = t.type === GgmlType.F32 ? constantF32(count, 1) : normalF16(count, std, (fnv1a(t.name) ^ spec.seed) >>> 0);
    parts.push(data);
    written = t.offset + data.length;
  }
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  fs.writeFileSync(outPath, Buffer.concat(parts));
  return outPath;
}
