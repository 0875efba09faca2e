// The contract of the embedded store's vector index, whose two implementations sit beside it: hnswVectorIndex.ts
// (hnswlib, float32, vectors.hnsw; the default) and usearchVectorIndex.ts (usearch, float16, vectors.usearch: about
// half the memory per chunk at the same recall, for large stores). SQLite's chunks.vector is the truth either way; the
// index is derived from it, labelled by chunk id, saved atomically and reconciled on open (vectors.ts).
import type { VectorHit, VectorPrecision } from "../contract.js";

export type { VectorPrecision } from "../contract.js";

export interface VectorIndexOptions {
  dimension: number;
  /** HNSW graph degree. Default 16. */
  m?: number;
  /**
   * Build-time breadth. Default 100: on clustered 384-dim data it built 2.3× faster than hnswlib's customary 200 with
   * the same recall@10 at search ef 64 (see bench/search-scale.ts).
   */
  efConstruction?: number;
  /** Search breadth; default defaultEfSearch(live vectors). */
  efSearch?: number;
  /**
   * SQLite's vectors by chunk id, for an index that cannot filter inside its graph search: a search scoped to a few
   * chunks scores those exactly instead.
   */
  source?: VectorSource;
}

export interface VectorSource {
  vectors(chunkIds: Iterable<number>): Iterable<{ chunkId: number; vector: Float32Array }>;
}

/** Labels an index holds that SQLite no longer has: their ids when the index can list its labels, else their number. */
export type Orphans = { ids: number[] } | { count: number };

export interface VectorIndex {
  readonly precision: VectorPrecision;
  readonly dimension: number;
  /** Live vectors. */
  readonly size: number;
  /** The breadth a search uses when given none. */
  readonly searchEf: number;
  /** Vectors removed but still taking room until a rebuild. */
  readonly deletedCount: number;
  readonly hasUnsavedChanges: boolean;
  /** Whether the index holds a live vector for this chunk. */
  holds(chunkId: number): boolean;
  /** Live labels not in `live` (chunks a crashed run deleted from SQLite but not from the saved index). */
  orphans(live: ReadonlySet<number>): Orphans;
  /** Adds a vector, replacing the chunk's earlier one. */
  add(chunkId: number, vector: Float32Array): void;
  /** Removes labels; unknown or already-removed ones are ignored (reconciliation may repeat a delete). */
  remove(chunkIds: Iterable<number>): void;
  /**
   * The k nearest live labels, by cosine similarity. `allowed`: only these labels are candidates, and a small subset
   * still gets up to k hits.
   */
  search(query: Float32Array, k: number, ef?: number, allowed?: ReadonlySet<number>): VectorHit[];
  /** Writes to a temporary file, syncs it and renames it over `file`, so a crash leaves the old or the new index. */
  save(file: string): void;
  /** A fresh index holding only these vectors, dropping removed labels for good. */
  rebuild(vectors: Iterable<{ chunkId: number; vector: Float32Array }>, expected: number): void;
}

/** What `check` found in an index file, compared with SQLite's live vectors. */
export interface IndexFileCheck {
  problems: string[];
  /** Live vectors the file holds for chunks SQLite has. */
  vectors: number;
}

/** Up to ten ids for a message, and how many there are. */
export function sampleIds(ids: number[]): string {
  return ids.slice(0, 10).join(", ") + (ids.length > 10 ? ` … (${ids.length})` : "");
}

/** Cosine similarity of two vectors of any length. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.sqrt(na * nb) || 1);
}
