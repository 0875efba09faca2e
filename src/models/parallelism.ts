// How many requests one generator context serves at once when `generator.parallel` is "auto": each sequence needs its
// own KV cache (context size x layers x the K and V widths, from the GGUF), and only so many fit in the memory that is
// free, and on a CPU a cap keeps each answer's time in bounds.
import type { GgufMetadataLike } from "./rope.js";

/** Most sequences "auto" gives on a CPU: a bigger batch still adds throughput (the weights are read once per step for
 * every sequence), but each answer then takes longer; 16 matches llama-server run with -np 16. */
export const cpuParallelCap = 16;
/** Most sequences "auto" gives on a GPU. */
export const gpuParallelCap = 32;
/** Share of free memory the KV caches may take; the rest is left to the weights' pages, the store and other programs. */
const kvShareOfFree = 0.5;

/** The attention shape of a GGUF's architecture block (`llama.block_count`, `llama.attention.head_count_kv`, ...). */
interface AttentionShape {
  block_count?: number;
  embedding_length?: number;
  attention?: { head_count?: number; head_count_kv?: number; key_length?: number; value_length?: number };
}

/** Bytes one sequence's KV cache takes for `contextSize` tokens (f16 K and V, llama.cpp's default cache types). */
export function kvBytesPerSequence(metadata: GgufMetadataLike, contextSize: number): number {
  const arch = metadata.general?.architecture;
  const shape = (arch ? (metadata as Record<string, unknown>)[arch] : undefined) as AttentionShape | undefined;
  const layers = shape?.block_count;
  const width = shape?.embedding_length;
  const heads = shape?.attention?.head_count;
  if (!layers || !width || !heads) throw new Error(`generator.parallel "auto": the GGUF's ${arch ?? "architecture"} metadata has no block_count, embedding_length or attention.head_count to size the KV cache from; set generator.parallel to a number`);
  const kvHeads = shape.attention?.head_count_kv ?? heads;
  const keyWidth = (shape.attention?.key_length ?? width / heads) * kvHeads;
  const valueWidth = (shape.attention?.value_length ?? width / heads) * kvHeads;
  const bytesPerElement = 2;
  return contextSize * layers * (keyWidth + valueWidth) * bytesPerElement;
}

export interface AutoParallelInput {
  metadata: GgufMetadataLike;
  /** Context per sequence. */
  contextSize: number;
  /** Memory free for the caches: free RAM on a CPU, free VRAM on a GPU. */
  freeBytes: number;
  gpu: boolean;
}

export interface AutoParallel {
  parallel: number;
  kvBytesPerSequence: number;
  /** One line for people: the figure and what bounded it. */
  note: string;
}

/** Sequences for "auto": as many KV caches as fit in half the free memory, at least 1, at most the CPU or GPU cap. */
export function autoParallel({ metadata, contextSize, freeBytes, gpu }: AutoParallelInput): AutoParallel {
  const perSequence = kvBytesPerSequence(metadata, contextSize);
  const cap = gpu ? gpuParallelCap : cpuParallelCap;
  const fit = Math.floor((freeBytes * kvShareOfFree) / perSequence);
  const parallel = Math.max(1, Math.min(cap, fit));
  const mib = (n: number) => Math.round(n / 2 ** 20);
  const bound = fit >= cap ? `the ${gpu ? "GPU" : "CPU"} cap of ${cap}` : `half of ${mib(freeBytes)} MiB free`;
  return { parallel, kvBytesPerSequence: perSequence, note: `${parallel} sequences at once (${mib(perSequence)} MiB of KV cache each; bounded by ${bound})` };
}
