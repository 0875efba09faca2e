// The model catalog: every Chinese-LLaMA-2 / Chinese-Alpaca-2 generator as a named preset (context, RoPE scaling,
// prompt format, published GGUF files), plus the embedding presets, so a user can name a model instead of a URI.
import { embeddingPresets } from "./embeddingPresets.js";

/** How positions are stretched beyond the 4K the family was pre-trained with. */
export interface RopeSpec {
  /** "none": native positions; "linear": position interpolation; "yarn": YaRN. */
  type: "none" | "linear" | "yarn";
  /** Context multiplier over `originalContext` (1 for "none"). */
  factor: number;
  /** Context the base model was trained with before scaling. */
  originalContext: number;
}

/**
 * Quantizations published in every hfl GGUF repository. The "-im" variants were quantized with an importance matrix
 * and exist for the K-quants only.
 */
export const standardQuants = ["Q2_K", "Q3_K", "Q4_0", "Q4_K", "Q5_0", "Q5_K", "Q6_K", "Q8_0", "F16"] as const;
export const imatrixQuants = ["Q2_K-im", "Q3_K-im", "Q4_K-im", "Q5_K-im", "Q6_K-im"] as const;
export type Quantization = (typeof standardQuants)[number] | (typeof imatrixQuants)[number];

export const defaultQuant: Quantization = "Q4_K";

export type PromptFormatName = "llama2-chat" | "completion";

export interface GeneratorPreset {
  /** Catalog name, also the model name of the hfl release (e.g. "chinese-alpaca-2-7b-16k"). */
  name: string;
  /** "llama": pre-trained base model (continues text); "alpaca": instruction/chat model. */
  family: "llama" | "alpaca";
  /** Parameter count label, for people. */
  parameters: "1.3B" | "7B" | "13B";
  /** Context the model is meant to run at (native, or native × RoPE factor). */
  contextSize: number;
  rope: RopeSpec;
  /** Hugging Face repository of the GGUF files (owner/name). */
  repo: string;
  /** Quantizations published in `repo`. */
  quantizations: readonly Quantization[];
  /** Quantization `models pull` and the default URI use. */
  defaultQuant: Quantization;
  /** File name inside `repo` for each published quantization. */
  files: Readonly<Partial<Record<Quantization, string>>>;
  /** True for instruction-tuned models that expect the chat format. */
  chat: boolean;
  promptFormat: PromptFormatName;
  /** Tuned with RLHF on top of the Alpaca model of the same size. */
  rlhf: boolean;
  /**
   * Larger presets this one can serve as a speculative-decoding draft for. The 1.3B models share the family's
   * 55,296-token vocabulary, which is what a draft model needs.
   */
  draftFor?: readonly string[];
  description: string;
}

/** Every hfl release names its files the same way: ggml-model-q4_k.gguf, ggml-model-q4_k-im.gguf, ggml-model-f16.gguf. */
export function ggufFileName(quant: Quantization): string {
  return `ggml-model-${quant.toLowerCase()}.gguf`;
}

const native: RopeSpec = { type: "none", factor: 1, originalContext: 4096 };
const linear16k: RopeSpec = { type: "linear", factor: 4, originalContext: 4096 };
const yarn64k: RopeSpec = { type: "yarn", factor: 16, originalContext: 4096 };

interface PresetInput {
  name: string;
  parameters: GeneratorPreset["parameters"];
  rope: RopeSpec;
  /** Whether the repository has the importance-matrix quantizations (all but one do). Default true. */
  imatrix?: boolean;
  draftFor?: readonly string[];
  description: string;
}

function preset(input: PresetInput): GeneratorPreset {
  const family = input.name.startsWith("chinese-alpaca-2") ? "alpaca" : "llama";
  const quantizations: Quantization[] = [...standardQuants, ...(input.imatrix === false ? [] : imatrixQuants)];
  return {
    name: input.name,
    family,
    parameters: input.parameters,
    contextSize: input.rope.originalContext * input.rope.factor,
    rope: input.rope,
    repo: `hfl/${input.name}-gguf`,
    quantizations,
    defaultQuant,
    files: Object.fromEntries(quantizations.map((q) => [q, ggufFileName(q)])),
    chat: family === "alpaca",
    promptFormat: family === "alpaca" ? "llama2-chat" : "completion",
    rlhf: input.name.endsWith("-rlhf"),
    ...(input.draftFor ? { draftFor: input.draftFor } : {}),
    description: input.description,
  };
}

export const generatorPresets: readonly GeneratorPreset[] = [
  preset({
    name: "chinese-llama-2-1.3b",
    parameters: "1.3B",
    rope: native,
    draftFor: ["chinese-llama-2-7b", "chinese-llama-2-13b"],
    description: "base model, 4K; small enough to draft for the 7B/13B base models",
  }),
  preset({ name: "chinese-llama-2-7b", parameters: "7B", rope: native, description: "base model, 4K" }),
  preset({ name: "chinese-llama-2-13b", parameters: "13B", rope: native, description: "base model, 4K" }),
  preset({ name: "chinese-llama-2-7b-16k", parameters: "7B", rope: linear16k, description: "base model, 16K (linear RoPE ×4)" }),
  // hfl's listing of this repository shows no importance-matrix files, unlike every other release.
  preset({ name: "chinese-llama-2-13b-16k", parameters: "13B", rope: linear16k, imatrix: false, description: "base model, 16K (linear RoPE ×4)" }),
  preset({ name: "chinese-llama-2-7b-64k", parameters: "7B", rope: yarn64k, description: "base model, 64K (YaRN ×16)" }),
  preset({
    name: "chinese-alpaca-2-1.3b",
    parameters: "1.3B",
    rope: native,
    draftFor: ["chinese-alpaca-2-7b", "chinese-alpaca-2-13b"],
    description: "chat model, 4K; small enough to draft for the 7B/13B chat models",
  }),
  preset({ name: "chinese-alpaca-2-7b", parameters: "7B", rope: native, description: "chat model, 4K (recommended)" }),
  preset({ name: "chinese-alpaca-2-13b", parameters: "13B", rope: native, description: "chat model, 4K" }),
  preset({ name: "chinese-alpaca-2-7b-16k", parameters: "7B", rope: linear16k, description: "chat model, 16K (linear RoPE ×4)" }),
  preset({ name: "chinese-alpaca-2-13b-16k", parameters: "13B", rope: linear16k, description: "chat model, 16K (linear RoPE ×4)" }),
  preset({ name: "chinese-alpaca-2-7b-64k", parameters: "7B", rope: yarn64k, description: "chat model, 64K (YaRN ×16)" }),
  preset({
    name: "chinese-alpaca-2-1.3b-rlhf",
    parameters: "1.3B",
    rope: native,
    draftFor: ["chinese-alpaca-2-7b-rlhf", "chinese-alpaca-2-7b", "chinese-alpaca-2-13b"],
    description: "chat model tuned with RLHF, 4K; small enough to draft for the 7B/13B chat models",
  }),
  preset({ name: "chinese-alpaca-2-7b-rlhf", parameters: "7B", rope: native, description: "chat model tuned with RLHF, 4K" }),
];

export function findGeneratorPreset(name: string): GeneratorPreset | undefined {
  const wanted = name.trim().toLowerCase();
  return generatorPresets.find((p) => p.name === wanted);
}

/** Accepts "q4_k", "Q4_K", "q4_k-im", "Q4_K_IM"; undefined when `text` is none of the published quantizations. */
export function parseQuantization(text: string): Quantization | undefined {
  const normal = text.trim().toUpperCase().replace(/[-_]IM$/, "-im");
  return [...standardQuants, ...imatrixQuants].find((q) => q === normal);
}

/** node-llama-cpp model URI (`hf:<repo>/<file>`) of a preset's GGUF; the default quantization when none is given. */
export function generatorModelUri(preset: GeneratorPreset, quant: Quantization = preset.defaultQuant): string {
  const file = preset.files[quant];
  if (!file)
    throw new Error(`${preset.name} has no ${quant} file; published quantizations: ${preset.quantizations.join(", ")}`);
  return `hf:${preset.repo}/${file}`;
}

/** "none", "linear ×4 (4096 → 16384)", "yarn ×16 (4096 → 65536)". */
export function describeRope(rope: RopeSpec): string {
  if (rope.type === "none") return "none";
  return `${rope.type} ×${rope.factor} (${rope.originalContext} → ${rope.originalContext * rope.factor})`;
}

/** One row of `models list`: a generator or an embedder, described the same way. */
export interface CatalogEntry {
  name: string;
  role: "chat" | "base" | "embedding";
  /** URI of the default file. */
  uri: string;
  /** Context in tokens; null where the catalog does not record it (embedders). */
  contextSize: number | null;
  rope: string;
  /** Default quantization; null for embedders (one file each). */
  quant: Quantization | null;
  quantizations: readonly Quantization[];
  draftFor?: readonly string[];
  description: string;
}

/** Generators first (chat, then base), then the embedding presets. */
export function listCatalog(): CatalogEntry[] {
  const generators = generatorPresets.map(
    (p): CatalogEntry => ({
      name: p.name,
      role: p.chat ? "chat" : "base",
      uri: generatorModelUri(p),
      contextSize: p.contextSize,
      rope: describeRope(p.rope),
      quant: p.defaultQuant,
      quantizations: p.quantizations,
      ...(p.draftFor ? { draftFor: p.draftFor } : {}),
      description: `${p.parameters} ${p.description}`,
    }),
  );
  generators.sort((a, b) => (a.role === b.role ? 0 : a.role === "chat" ? -1 : 1));
  const embedders = embeddingPresets.map(
    (e): CatalogEntry => ({
      name: e.name,
      role: "embedding",
      uri: e.uri,
      contextSize: null,
      rope: "none",
      quant: null,
      quantizations: [],
      description: `${e.description}; ${e.dimension}-dimensional vectors`,
    }),
  );
  return [...generators, ...embedders];
}
