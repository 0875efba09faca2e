// Hybrid retrieval: the question goes to the dense retriever (the store's vector index over the embedder's vectors) and
// the lexical one (BM25 over jieba words, both scripts folded), their rankings are fused by weighted RRF, every hit is
// joined with SQLite, and an optional reranker reorders the fused candidates.
import type { Embedder } from "../models/embedder.js";
import type { Reranker } from "../models/reranker.js";
import { lexicalQuery } from "../store/segment.js";
import type { DocumentStore, StoredChunk } from "../store/contract.js";
import { EmbedderMismatchError } from "../store/embedding.js";
import { calibrateDenseWeight, type DenseCalibration } from "./calibrate.js";
import { defaultRrfK, reciprocalRankFusion, type FusionWeights } from "./fusion.js";
import { mergeOverlapping } from "./merge.js";
import type { RetrievedChunk } from "./retrievedChunk.js";

export type { RetrievedChunk } from "./retrievedChunk.js";

export type RetrievalMode = "hybrid" | "lexical" | "dense";

export interface RetrievalTimings {
  /** Probing the embedder for its fusion weight (the first "auto" retrieval per open store and model; 0 after). */
  calibrateMs: number;
  /** Embedding the question. */
  embedMs: number;
  /** The store's vector search. */
  denseMs: number;
  /** Segmenting the question and the FTS5 BM25 query. */
  lexicalMs: number;
  /** Joining with SQLite and fusing. */
  fuseMs: number;
  rerankMs: number;
  totalMs: number;
}

export interface RetrievalResult {
  chunks: RetrievedChunk[];
  /** Which retrievers ran: "lexical" when the store has no vectors, no embedder was given or the dense weight is 0. */
  mode: RetrievalMode;
  /** The weights the fusion used (after "auto" was resolved). */
  weights: FusionWeights;
  /** How the dense weight was earned, when "auto" resolved it. */
  calibration?: DenseCalibration;
  /** Candidates each retriever returned (after dropping ids SQLite no longer has). */
  denseCandidates: number;
  lexicalCandidates: number;
  timings: RetrievalTimings;
}

export interface RetrieveOptions {
  store: DocumentStore;
  /** The store's embedding model; null for lexical-only retrieval. It must be the model the store was built with. */
  embedder: Embedder | null;
  query: string;
  /** The knowledge bases to search (required: a caller that forgot it would search every base). */
  kbs: readonly string[];
  /** Results to return. */
  k: number;
  /** Candidates each retriever contributes to the fusion (and to the reranker). Raised to at least `k`. */
  candidates: number;
  /**
   * Fusion weights; a weight of 0 skips that retriever. Default "auto": lexical 1, and a dense weight the embedder
   * earns on this store (see calibrate.ts): 1 for a model that finds chunks from pieces of them, 0.01 (fill-in only)
   * for one that does not. Measured on CMRC 2018, a weak model at any fixed weight ≥ 0.1 lowers recall@1 and MRR.
   */
  weights?: FusionWeights | "auto";
  /** RRF constant; default 60. */
  rrfK?: number;
  /** Reorders the fused candidates (all `candidates` of them, before cutting to `k`). Default: none. */
  reranker?: Reranker | null;
  /** Merge neighbouring or overlapping chunks of one document into one result (see merge.ts). Default false. */
  mergeNeighbours?: boolean;
}

function toRetrieved(chunk: StoredChunk, score: number): RetrievedChunk {
  return {
    chunkId: chunk.id,
    chunkIds: [chunk.id],
    documentId: chunk.documentId,
    source: chunk.paths[0] ?? "",
    kb: chunk.sources[0]?.kb ?? "",
    paths: chunk.paths,
    index: chunk.index,
    indexEnd: chunk.index,
    page: chunk.page,
    pageEnd: chunk.pageEnd,
    charStart: chunk.charStart,
    charEnd: chunk.charEnd,
    section: chunk.section,
    location: chunk.location,
    text: chunk.text,
    score,
    tokenCount: chunk.tokenCount,
  };
}

/** The chunks that best answer `query`, best first. */
export async function retrieve(options: RetrieveOptions): Promise<RetrievedChunk[]> {
  return (await retrieveDetailed(options)).chunks;
}

/** As `retrieve`, with the mode that ran, candidate counts and per-retriever timings. */
export async function retrieveDetailed(options: RetrieveOptions): Promise<RetrievalResult> {
  const started = performance.now();
  const { store, embedder, query } = options;
  const scope = { kbs: options.kbs };
  const k = Math.max(0, Math.floor(options.k));
  const candidates = Math.max(k, Math.floor(options.candidates));
  const timings: RetrievalTimings = { calibrateMs: 0, embedMs: 0, denseMs: 0, lexicalMs: 0, fuseMs: 0, rerankMs: 0, totalMs: 0 };

  // A blank question has no meaning to embed (llama.cpp returns an empty vector) and no words to match.
  const blank = query.trim() === "";
  const vectors = blank || embedder === null ? null : await store.vectorStatus();
  const canDense = embedder !== null && vectors !== null && vectors.count > 0;
  if (canDense) await assertSameEmbedder(store, embedder);
  let weights: FusionWeights;
  let calibration: DenseCalibration | undefined;
  if (options.weights === undefined || options.weights === "auto") {
    const t = performance.now();
    calibration = canDense ? await calibrationFor(store, embedder) : undefined;
    timings.calibrateMs = performance.now() - t;
    weights = { dense: calibration?.denseWeight ?? 0, lexical: 1 };
  } else weights = options.weights;
  const useDense = canDense && weights.dense > 0;
  const useLexical = weights.lexical > 0 || !useDense;

  let denseIds: number[] = [];
  if (useDense && candidates > 0) {
    let t = performance.now();
    const vector = await embedder.embedQuery(query);
    timings.embedMs = performance.now() - t;
    if (vector.length !== vectors.dimension)
      throw new Error(`the embedder returned a ${vector.length}-dimensional vector for the question; the store holds ${vectors.dimension}`);
    t = performance.now();
    denseIds = (await store.vectorSearch(vector, candidates, scope)).map((h) => h.chunkId);
    timings.denseMs = performance.now() - t;
  }

  let lexicalIds: number[] = [];
  if (useLexical && candidates > 0) {
    const t = performance.now();
    lexicalIds = (await store.lexicalSearch(lexicalQuery(query), candidates, scope)).map((h) => h.chunkId);
    timings.lexicalMs = performance.now() - t;
  }

  const t = performance.now();
  // Every hit is joined with SQLite; a vector whose chunk is gone (a crashed run, a concurrent delete) is dropped
  // before ranks are counted, so it neither surfaces nor pushes live chunks down.
  const stored = new Map((await store.chunksByIds([...new Set([...denseIds, ...lexicalIds])], scope)).map((c) => [c.id, c]));
  denseIds = denseIds.filter((id) => stored.has(id));
  lexicalIds = lexicalIds.filter((id) => stored.has(id));
  const fused = reciprocalRankFusion(
    [
      { weight: useDense ? weights.dense : 0, ids: denseIds },
      // Lexical-only retrieval keeps BM25's order whatever its weight.
      { weight: useDense ? weights.lexical : 1, ids: lexicalIds },
    ],
    options.rrfK ?? defaultRrfK,
  );
  let chunks = fused.map((e) => {
    const r = toRetrieved(stored.get(e.id)!, e.score);
    if (e.ranks[0] !== undefined) r.denseRank = e.ranks[0];
    if (e.ranks[1] !== undefined) r.lexicalRank = e.ranks[1];
    return r;
  });
  timings.fuseMs = performance.now() - t;

  if (options.reranker && chunks.length > 0) {
    const t = performance.now();
    chunks = await rerank(options.reranker, query, chunks);
    timings.rerankMs = performance.now() - t;
  }
  chunks = chunks.slice(0, k);
  if (options.mergeNeighbours) chunks = mergeOverlapping(chunks);
  timings.totalMs = performance.now() - started;
  return {
    chunks,
    mode: !useDense ? "lexical" : useLexical ? "hybrid" : "dense",
    weights,
    ...(calibration ? { calibration } : {}),
    denseCandidates: denseIds.length,
    lexicalCandidates: lexicalIds.length,
    timings,
  };
}

/** Orders chunks by the reranker's score (stable: equal scores keep the fused order). */
export async function rerank(reranker: Reranker, query: string, chunks: readonly RetrievedChunk[]): Promise<RetrievedChunk[]> {
  // The section heading is part of what a chunk is about (it is indexed lexically too); a section's first chunk
  // already starts with it.
  const passages = chunks.map((c) => (c.section && !c.text.includes(c.section) ? `${c.section}\n${c.text}` : c.text));
  const scores = await reranker.score(query, passages);
  return chunks
    .map((c, i) => ({ ...c, rerankScore: scores[i] }))
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.rerankScore - a.c.rerankScore || a.i - b.i)
    .map(({ c }) => c);
}

const calibrations = new WeakMap<DocumentStore, Map<string, Promise<DenseCalibration>>>();

/**
 * The dense weight an embedder earned on a store. Probed once (a few dozen question embeddings) and kept in the store's
 * metadata, so a one-question CLI run does not pay for it; probed again when the store has grown or shrunk by a fifth.
 */
export function calibrationFor(store: DocumentStore, embedder: Embedder): Promise<DenseCalibration> {
  let byModel = calibrations.get(store);
  if (!byModel) calibrations.set(store, (byModel = new Map()));
  const key = embedder.identity.fingerprint;
  let calibration = byModel.get(key);
  if (!calibration) {
    calibration = (async () => {
      const chunks = (await store.vectorStatus())?.count ?? 0;
      const saved = await store.readCalibration(key);
      if (saved && Math.abs(saved.chunks - chunks) <= 0.2 * Math.max(saved.chunks, 1)) return saved.calibration as DenseCalibration;
      const c = await calibrateDenseWeight({ store, embedder });
      await store.saveCalibration(key, { chunks, calibration: c });
      return c;
    })();
    // A failed probe (e.g. the model was disposed) is not remembered.
    calibration.catch(() => byModel!.delete(key));
    byModel.set(key, calibration);
  }
  return calibration;
}

/** Vectors of another model would rank noise; the store records which model made its vectors. */
async function assertSameEmbedder(store: DocumentStore, embedder: Embedder): Promise<void> {
  const identity = await store.embedding();
  if (identity && identity.fingerprint !== embedder.identity.fingerprint)
    throw new EmbedderMismatchError(
      `${store.location} was built with embedding model ${identity.name}, but questions are embedded with ${embedder.identity.name}. ` +
        `Set embedding.model back, or re-run ingest with --reembed.`,
    );
}
