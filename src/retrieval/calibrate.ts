// How much the dense retriever may count in the fusion, decided by letting the embedder prove itself on the store's
// own chunks: short verbatim pieces of chunks are used as questions, and the dense retriever's MRR at finding them is
// compared with the lexical retriever's on the same pieces. Measured on CMRC 2018, fusing a dense retriever clearly
// weaker than BM25 lowers MRR at any weight above ~0.02, so only a model about as good as BM25 earns real weight;
// every other one only fills in where BM25 found too little. The bar is high on purpose: a good model that fails it
// is under-used (set the weights explicitly), but a weak one can never make results worse than lexical alone.
import type { Embedder } from "../models/embedder.js";
import { lexicalQuery } from "../store/segment.js";
import type { DocumentStore, KbScope } from "../store/contract.js";
import { everyKb } from "../store/kb.js";

export interface DenseCalibration {
  /** The dense weight for fusion (lexical weight 1). */
  denseWeight: number;
  /** Probes run. */
  probes: number;
  /** MRR@10 of the dense and the lexical retriever at finding a chunk that holds the probe's text. */
  denseMrr: number;
  lexicalMrr: number;
  /** denseMrr / lexicalMrr, capped at 1; null when the store is too small to tell. */
  relative: number | null;
}

export interface CalibrateOptions {
  store: DocumentStore;
  embedder: Embedder;
  /** Chunks probed, spread evenly over the store. Default 64. */
  samples?: number;
  /** Characters per probe. Default 8: short enough that BM25's exact-word advantage shows (see relativeThresholds). */
  probeLength?: number;
}

/**
 * Weight of an embedder that has not proved itself. Small enough that its ranks never reorder the lexical top results
 * (w / 61 is below the gap between BM25 ranks 1 and 2 under RRF's k = 60 while w < 0.016), so a weak model can only
 * add chunks the lexical side did not find, after the ones it did.
 */
export const unprovenDenseWeight = 0.01;
/** Weight of an embedder as good as BM25 on the probes: plain RRF, dense and lexical alike. */
export const provenDenseWeight = 1;
/**
 * Relative MRR at or below which an embedder is unproven, and at or above which it is proven; linear in between.
 * On CMRC 2018 stores of 137 to 2443 chunks, stories260K scores 0.00–0.02 and a character-bigram test embedder
 * 0.64–0.84 with 8-character probes; on CMRC's real questions the bigram model's MRR is 0.73 of BM25's, and fusing it
 * at any weight above 0.02 lowered MRR. Only a model within 10% of BM25 on the probes earns weight.
 */
export const relativeThresholds = { unproven: 0.9, proven: 1 } as const;
/**
 * Below this many chunks, probes are found by either retriever almost by default (the bigram model's relative score
 * rose to 0.89 on 68 chunks): nothing can be proved, and ranking matters little anyway.
 */
export const minimumChunks = 100;

export function weightForRelative(relative: number | null): number {
  if (relative === null || relative <= relativeThresholds.unproven) return unprovenDenseWeight;
  if (relative >= relativeThresholds.proven) return provenDenseWeight;
  const t = (relative - relativeThresholds.unproven) / (relativeThresholds.proven - relativeThresholds.unproven);
  return unprovenDenseWeight + t * (provenDenseWeight - unprovenDenseWeight);
}

const normalise = (text: string) => text.replace(/\s+/g, " ").trim();

/** A verbatim piece of `length` characters, from a position that varies with `seed` in [0, 1). */
export function probeText(text: string, length: number, seed: number): string {
  const chars = [...normalise(text)];
  const n = Math.min(length, chars.length);
  const start = Math.floor(seed * (chars.length - n + 1));
  return chars.slice(start, start + n).join("");
}

/** Reciprocal rank of the first chunk holding `probe` among the first 10 ids. */
async function reciprocalRank(store: DocumentStore, ids: number[], probe: string, scope: KbScope): Promise<number> {
  const at = (await store.chunksByIds(ids.slice(0, 10), scope)).findIndex((c) => normalise(c.text).includes(probe));
  return at < 0 ? 0 : 1 / (at + 1);
}

export async function calibrateDenseWeight(options: CalibrateOptions): Promise<DenseCalibration> {
  const { store, embedder } = options;
  const samples = options.samples ?? 64;
  const probeLength = options.probeLength ?? 8;
  const vectors = await store.vectorStatus();
  const unproven: DenseCalibration = { denseWeight: unprovenDenseWeight, probes: 0, denseMrr: 0, lexicalMrr: 0, relative: null };
  if (!vectors || vectors.count < minimumChunks) return unproven;

  // Calibration runs once per store and model (then is kept in the store's metadata), so its few store calls per
  // probe (a search each way and a join of the top 10) are not batched.
  const picked = await store.sampleVectorChunkIds(samples);
  // The weight belongs to the model on this store's text as a whole, whichever bases hold it.
  const scope = await everyKb(store);
  let probes = 0;
  let dense = 0;
  let lexical = 0;
  for (const [i, chunk] of (await store.chunksByIds(picked, scope)).entries()) {
    // Golden-ratio steps spread the probes' positions over the chunks' starts, middles and ends.
    const probe = probeText(chunk.text, probeLength, (i * 0.618034) % 1);
    const match = lexicalQuery(probe);
    if (probe.length < probeLength / 2 || match.length === 0) continue;
    probes += 1;
    dense += await reciprocalRank(store, (await store.vectorSearch(await embedder.embedQuery(probe), 10, scope)).map((h) => h.chunkId), probe, scope);
    lexical += await reciprocalRank(store, (await store.lexicalSearch(match, 10, scope)).map((h) => h.chunkId), probe, scope);
  }
  if (probes < 8) return { ...unproven, probes };
  const denseMrr = dense / probes;
  const lexicalMrr = lexical / probes;
  // BM25 finds verbatim pieces almost always; should it not (text with few words), the dense side is judged alone.
  const relative = Math.min(1, denseMrr / Math.max(lexicalMrr, 0.5));
  return { denseWeight: weightForRelative(relative), probes, denseMrr, lexicalMrr, relative };
}
