// Context size and RoPE settings for loading a generator: the catalog's linear/YaRN scaling supplied through GGUF
// metadata overrides when a file lacks it, and NTK-aware scaling when a 4K model is asked for a longer context.
import type { LlamaModelOptions } from "node-llama-cpp";
import type { GeneratorPreset, RopeSpec } from "./catalog.js";

export type MetadataOverrides = NonNullable<LlamaModelOptions["metadataOverrides"]>;

/** The part of a GGUF's metadata this module reads (node-llama-cpp's `GgufMetadata` fits). */
export interface GgufMetadataLike {
  general?: { architecture?: string };
}

export interface ContextOptionsInput {
  /** The catalog preset the file belongs to, when known; its context and RoPE win over the file's metadata. */
  preset?: Pick<GeneratorPreset, "contextSize" | "rope">;
  /** From `readGgufFileInfo(path).metadata` or `model.fileInfo.metadata`. */
  ggufMetadata: GgufMetadataLike;
  /** Context the caller wants. Default: the preset's context, else the file's (scaled) training context. */
  requestedContext?: number;
}

export interface ContextOptions {
  /** Pass to `model.createContext({contextSize})`. */
  contextSize: number;
  /** Pass to `llama.loadModel({metadataOverrides})`; absent when the file's own metadata is right. */
  metadataOverrides?: MetadataOverrides;
  /** What llama.cpp will use: `freq_base` and `freq_scale` as it logs them when the context is created. */
  rope: { type: RopeSpec["type"] | "ntk"; freqBase: number; freqScale: number };
  /** One line for people saying what was applied. */
  note: string;
}

/** llama.cpp's RoPE base when a LLaMA GGUF does not record one. */
const defaultFreqBase = 10000;

/**
 * A JS number node-llama-cpp will send to llama.cpp as a float. It types an override by `Number.isInteger`, and
 * llama.cpp refuses an integer override for a float key (the override is then ignored), so 4 must travel as
 * 4.000001. The nudge is far below float32 precision for RoPE purposes (a scale of 0.24999994 instead of 0.25).
 */
export function ggufFloat(value: number): number {
  return Number.isInteger(value) ? value + 1e-6 : value;
}

/** The seed project's adaptive NTK rule: alpha = L / (native / 2) − 1, never below 1. */
export function ntkAlpha(requestedContext: number, nativeContext: number): number {
  return Math.max(1, requestedContext / (nativeContext / 2) - 1);
}

/** NTK-aware RoPE base: base · alpha^(d / (d − 2)), d being the attention head dimension. */
export function ntkFreqBase(base: number, alpha: number, headDim: number): number {
  return base * Math.pow(alpha, headDim / (headDim - 2));
}

interface ArchitectureMetadata {
  context_length?: number | bigint;
  embedding_length?: number | bigint;
  attention?: { head_count?: number | bigint };
  rope?: {
    dimension_count?: number | bigint;
    freq_base?: number;
    scaling?: { type?: string; factor?: number; original_context_length?: number | bigint };
  };
}

function num(value: number | bigint | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function architectureOf(metadata: GgufMetadataLike): { arch: string; meta: ArchitectureMetadata } {
  const arch = metadata.general?.architecture ?? "llama";
  const meta = ((metadata as Record<string, unknown>)[arch] ?? {}) as ArchitectureMetadata;
  return { arch, meta };
}

/** RoPE scaling the file itself declares, if any. */
function fileRope(meta: ArchitectureMetadata): RopeSpec | undefined {
  const s = meta.rope?.scaling;
  const factor = s?.factor;
  if (!s || !factor || factor <= 1) return undefined;
  // llama.cpp treats a missing type as linear.
  const type = s.type === "yarn" ? "yarn" : s.type === "none" ? "none" : "linear";
  if (type === "none") return undefined;
  const originalContext = num(s.original_context_length) ?? num(meta.context_length) ?? 4096;
  return { type, factor, originalContext };
}

function headDimension(meta: ArchitectureMetadata): number {
  const embd = num(meta.embedding_length);
  const heads = num(meta.attention?.head_count);
  if (embd && heads) return embd / heads;
  return num(meta.rope?.dimension_count) ?? 128;
}

/** Decides context size and RoPE overrides for loading a generator. Pure: reads metadata, loads nothing. */
export function contextOptionsFor({ preset, ggufMetadata, requestedContext }: ContextOptionsInput): ContextOptions {
  const { arch, meta } = architectureOf(ggufMetadata);
  const fileBase = meta.rope?.freq_base ?? defaultFreqBase;
  const declared = fileRope(meta);
  const scaled = preset && preset.rope.type !== "none" ? preset.rope : declared;

  if (scaled) {
    const extended = scaled.originalContext * scaled.factor;
    const wanted = requestedContext ?? preset?.contextSize ?? extended;
    const contextSize = Math.min(wanted, extended);
    const scaling: Record<string, number | string> = {};
    const have = meta.rope?.scaling;
    // Supply only what the file lacks or states differently; llama.cpp defaults a missing type to linear.
    if (have?.factor === undefined || Math.abs(have.factor - scaled.factor) > 1e-3) scaling.factor = ggufFloat(scaled.factor);
    if (num(have?.original_context_length) !== scaled.originalContext) scaling.original_context_length = scaled.originalContext;
    // The type is sent only when it must be: node-llama-cpp's addon prints every string override to stdout.
    const fileType = have?.type ?? "linear";
    if (fileType !== scaled.type) scaling.type = scaled.type;
    const supplied = Object.keys(scaling).length > 0;
    const parts = [`${scaled.type} RoPE scaling ×${scaled.factor} over ${scaled.originalContext} tokens, context ${contextSize}`];
    if (supplied) parts.push(`(the GGUF lacks or disagrees on ${Object.keys(scaling).map((k) => `rope.scaling.${k}`).join(", ")}; supplied as overrides)`);
    if (wanted > extended) parts.push(`(asked for ${wanted}, more than the model's ${extended})`);
    return {
      contextSize,
      ...(supplied ? { metadataOverrides: { [arch]: { rope: { scaling } } } as MetadataOverrides } : {}),
      rope: { type: scaled.type, freqBase: fileBase, freqScale: 1 / scaled.factor },
      note: parts.join(" "),
    };
  }

  const nativeContext = preset?.contextSize ?? num(meta.context_length) ?? 4096;
  const contextSize = requestedContext ?? nativeContext;
  if (contextSize <= nativeContext)
    return {
      contextSize,
      rope: { type: "none", freqBase: fileBase, freqScale: 1 },
      note: `native RoPE, context ${contextSize} of ${nativeContext}`,
    };

  const alpha = ntkAlpha(contextSize, nativeContext);
  const headDim = headDimension(meta);
  const freqBase = ntkFreqBase(fileBase, alpha, headDim);
  return {
    contextSize,
    metadataOverrides: { [arch]: { rope: { freq_base: ggufFloat(freqBase) } } } as MetadataOverrides,
    rope: { type: "ntk", freqBase, freqScale: 1 },
    note:
      `NTK-aware RoPE scaling for context ${contextSize} beyond the native ${nativeContext}: ` +
      `alpha ${alpha.toFixed(3)}, freq_base ${fileBase} → ${freqBase.toFixed(1)} (head dimension ${headDim})`,
  };
}
