// Writes bench/models/synthetic-22m.gguf: a llama-architecture model with seeded random weights and the cost of a small
// sentence embedder (6 layers × 384, SwiGLU FFN 1024, ~23M parameters), carrying LLaMA-2's tokenizer; with
// --spec generator, bench/models/synthetic-110m.gguf, a generator-sized one (12 layers × 768, ~110M parameters).
// Run: npx tsx bench/make-synthetic-model.ts [--spec embedder|generator] [--out PATH] [--force] [--no-verify]
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeHeader, encodePair, GgmlType, layoutTensors, llamaBlockTensors, tokenizerPairs, type TensorLayout, type TensorSpec } from "./lib/gguf.js";
import { benchDir, sharedPath } from "./lib/paths.js";
import { constantF32, fnv1a, normalF16 } from "./lib/random-weights.js";

/** Shape of a synthetic model; changing any value changes the file (and invalidates the stored checksum). */
export interface SyntheticSpec {
  readonly name: string;
  readonly layers: number;
  readonly width: number;
  readonly heads: number;
  readonly ffn: number;
  readonly contextLength: number;
  readonly rmsEpsilon: number;
  readonly weightStd: number;
  readonly seed: number;
  readonly alignment: number;
  readonly tokenizerSource: string;
}

/** The embedder-sized model of the ingest benchmark. */
export const syntheticSpec = {
  name: "alpaca-rag synthetic embedder 22M (random weights)",
  layers: 6,
  width: 384,
  heads: 6, // head dim 64
  ffn: 1024, // SwiGLU with 3 matrices of 384×1024 costs what a 384×1536 GELU FFN (MiniLM-L6) costs
  contextLength: 512,
  rmsEpsilon: 1e-5,
  weightStd: 0.02,
  seed: 20180, // arbitrary, fixed
  alignment: 32, // GGUF default; not written as a key
  tokenizerSource: "models/llama-2-tiny-random.gguf",
} as const satisfies SyntheticSpec;

export const defaultSyntheticModelPath = path.join(benchDir, "models", "synthetic-22m.gguf");

/**
 * A generator-sized model for the generation benchmark: 12 layers × 768 (GPT-2-small width), SwiGLU FFN 2048,
 * ~110M parameters (220 MB in F16), a 2048-token context: large enough that decoding costs what real models cost per
 * parameter, small enough to write and run on two cores in seconds.
 */
export const generatorSpec = {
  ...syntheticSpec,
  name: "alpaca-rag synthetic generator 110M (random weights)",
  layers: 12,
  width: 768,
  heads: 12, // head dim 64
  ffn: 2048,
  contextLength: 2048,
  seed: 20181,
} as const satisfies SyntheticSpec;

export const defaultGeneratorModelPath = path.join(benchDir, "models", "synthetic-110m.gguf");

export interface SyntheticModel {
  path: string;
  params: number;
  bytes: number;
  sha256: string;
  /** false when an existing file matched its stored size and checksum. */
  generated: boolean;
}

/** Tensor list in converter order. No output.weight: llama.cpp ties the output to token_embd, keeping params near 23M. */
function tensorSpecs(vocab: number, spec: SyntheticSpec): TensorSpec[] {
  const { width: d, ffn, layers } = spec;
  const specs: TensorSpec[] = [{ name: "token_embd.weight", dims: [d, vocab], type: GgmlType.F16 }];
  for (let i = 0; i < layers; i++) specs.push(...llamaBlockTensors(i, d, ffn));
  specs.push({ name: "output_norm.weight", dims: [d], type: GgmlType.F32 });
  return specs;
}

/** Metadata: the llama hyperparameters, then every tokenizer.* pair of the source copied byte for byte. */
function metadataPairs(s: SyntheticSpec): { kvs: Buffer[]; vocab: number } {
  const { pairs: tokenizer, vocab } = tokenizerPairs(sharedPath(s.tokenizerSource));
  const kvs = [
    encodePair((e) => e.kvString("general.architecture", "llama")),
    encodePair((e) => e.kvString("general.name", s.name)),
    encodePair((e) => e.kvU32("general.file_type", 1)), // mostly F16
    encodePair((e) => e.kvU32("llama.context_length", s.contextLength)),
    encodePair((e) => e.kvU32("llama.embedding_length", s.width)),
    encodePair((e) => e.kvU32("llama.block_count", s.layers)),
    encodePair((e) => e.kvU32("llama.feed_forward_length", s.ffn)),
    encodePair((e) => e.kvU32("llama.rope.dimension_count", s.width / s.heads)),
    encodePair((e) => e.kvU32("llama.attention.head_count", s.heads)),
    encodePair((e) => e.kvU32("llama.attention.head_count_kv", s.heads)),
    encodePair((e) => e.kvF32("llama.attention.layer_norm_rms_epsilon", s.rmsEpsilon)),
    encodePair((e) => e.kvU32("llama.vocab_size", vocab)),
    ...tokenizer,
  ];
  return { kvs, vocab };
}

function tensorData(t: TensorLayout, spec: SyntheticSpec): Buffer {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.type === GgmlType.F32) return constantF32(count, 1); // RMSNorm weights
  return normalF16(count, spec.weightStd, (fnv1a(t.name) ^ spec.seed) >>> 0);
}

function sha256File(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Writes the model of `spec` (default the embedder's) unless `outPath` already holds it (same size and the checksum stored beside it). */
export function ensureSyntheticModel(
  outPath = defaultSyntheticModelPath,
  { force = false, spec = syntheticSpec as SyntheticSpec } = {},
): SyntheticModel {
  const { kvs, vocab } = metadataPairs(spec);
  const specs = tensorSpecs(vocab, spec);
  const { tensors, dataBytes } = layoutTensors(specs, spec.alignment);
  const header = encodeHeader(kvs, tensors, spec.alignment);
  const bytes = header.length + dataBytes;
  const params = specs.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  const stampPath = `${outPath}.json`;

  if (!force && fs.existsSync(outPath) && fs.existsSync(stampPath) && fs.statSync(outPath).size === bytes) {
    const stamp = JSON.parse(fs.readFileSync(stampPath, "utf8")) as { sha256?: string; bytes?: number };
    if (stamp.bytes === bytes && stamp.sha256 && stamp.sha256 === sha256File(outPath))
      return { path: outPath, params, bytes, sha256: stamp.sha256, generated: false };
  }

  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const tmp = `${outPath}.tmp`;
  const fd = fs.openSync(tmp, "w");
  const hash = crypto.createHash("sha256");
  const write = (b: Buffer) => {
    fs.writeSync(fd, b);
    hash.update(b);
  };
  try {
    write(header);
    let written = 0;
    for (const t of tensors) {
      if (t.offset > written) write(Buffer.alloc(t.offset - written)); // alignment padding between tensors
      const data = tensorData(t, spec);
      write(data);
      written = t.offset + data.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, outPath);
  const sha256 = hash.digest("hex");
  const stamp = { bytes, sha256, params, spec };
  fs.writeFileSync(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
  return { path: outPath, params, bytes, sha256, generated: true };
}

/** The generator-sized model, written on first use. */
export function ensureGeneratorModel(outPath = defaultGeneratorModelPath): SyntheticModel {
  return ensureSyntheticModel(outPath, { spec: generatorSpec });
}

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf("--out");
  if (outIndex >= 0 && !argv[outIndex + 1]) throw new Error("--out needs a path");
  const specIndex = argv.indexOf("--spec");
  const which = specIndex >= 0 ? argv[specIndex + 1] : "embedder";
  if (which !== "embedder" && which !== "generator") throw new Error("--spec: embedder or generator");
  const spec: SyntheticSpec = which === "generator" ? generatorSpec : syntheticSpec;
  const fallback = which === "generator" ? defaultGeneratorModelPath : defaultSyntheticModelPath;
  const outPath = outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : fallback;
  const started = performance.now();
  const model = ensureSyntheticModel(outPath, { force: argv.includes("--force"), spec });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${model.generated ? "wrote" : "kept existing"} ${model.path} in ${seconds}s`);
  console.log(`parameters: ${model.params.toLocaleString("en-US")} (${(model.params / 1e6).toFixed(2)}M); ` +
    `${model.bytes.toLocaleString("en-US")} bytes; sha256 ${model.sha256}`);
  if (!argv.includes("--no-verify")) {
    const { verifySyntheticModel } = await import("./lib/verify-model.js");
    await verifySyntheticModel(model.path, sharedPath(spec.tokenizerSource));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
