// The embedded store's float32 vector index (the default): an hnswlib-node cosine graph whose labels are chunk ids,
// in vectors.hnsw. hnswlib forgets its search breadth on every load, so the breadth is set per search.
import fs from "node:fs";
import path from "node:path";
import hnswlib from "hnswlib-node";
import type { VectorHit } from "../contract.js";
import { defaultEfSearch } from "../ranking.js";
import { replaceFileAtomically } from "./indexFile.js";
import { cosine, sampleIds, type IndexFileCheck, type Orphans, type VectorIndex, type VectorIndexOptions } from "./vectorIndex.js";

const initialCapacity = 1024;

export class HnswVectorIndex implements VectorIndex {
  readonly precision = "float32";
  private index: hnswlib.HierarchicalNSW;
  private readonly m: number;
  private readonly efConstruction: number;
  /** Explicit search breadth, or undefined for defaultEfSearch(size). */
  private readonly efSearch: number | undefined;
  /** Labels known to the graph, live or deleted. */
  private labels = new Set<number>();
  /** Labels marked deleted in the graph (hnswlib keeps them until a rebuild). */
  private deleted = new Set<number>();
  private dirty = false;

  private constructor(readonly dimension: number, options: VectorIndexOptions) {
    this.m = options.m ?? 16;
    this.efConstruction = options.efConstruction ?? 100;
    this.efSearch = options.efSearch;
    this.index = this.emptyGraph(initialCapacity);
  }

  private emptyGraph(capacity: number): hnswlib.HierarchicalNSW {
    const graph = new hnswlib.HierarchicalNSW("cosine", this.dimension);
    graph.initIndex({ maxElements: capacity, m: this.m, efConstruction: this.efConstruction, randomSeed: 100 });
    return graph;
  }

  static create(options: VectorIndexOptions): HnswVectorIndex {
    return new HnswVectorIndex(options.dimension, options);
  }

  /** Reads the index file; a missing, unreadable or mismatched file yields an empty index (SQLite can refill it). */
  static load(file: string, options: VectorIndexOptions): { index: HnswVectorIndex; problem: string | null } {
    const vi = new HnswVectorIndex(options.dimension, options);
    if (!fs.existsSync(file)) return { index: vi, problem: null };
    try {
      const graph = new hnswlib.HierarchicalNSW("cosine", options.dimension);
      graph.readIndexSync(file);
      if (graph.getNumDimensions() !== options.dimension) throw new Error(`dimension ${graph.getNumDimensions()}`);
      vi.index = graph;
      vi.labels = new Set(graph.getIdsList());
      return { index: vi, problem: null };
    } catch (e) {
      return { index: vi, problem: `vector index ${path.basename(file)} unreadable (${(e as Error).message}); rebuilding it` };
    }
  }

  get size(): number {
    return this.labels.size - this.deleted.size;
  }

  /** The breadth a search uses when given none. */
  get searchEf(): number {
    return this.efSearch ?? defaultEfSearch(this.size);
  }

  get deletedCount(): number {
    return this.deleted.size;
  }

  get hasUnsavedChanges(): boolean {
    return this.dirty;
  }

  holds(chunkId: number): boolean {
    return this.labels.has(chunkId) && !this.deleted.has(chunkId);
  }

  orphans(live: ReadonlySet<number>): Orphans {
    const ids: number[] = [];
    for (const label of this.labels) if (!live.has(label) && !this.deleted.has(label)) ids.push(label);
    return { ids };
  }

  add(chunkId: number, vector: Float32Array | number[]): void {
    if (this.labels.size >= this.index.getMaxElements()) this.index.resizeIndex(Math.max(initialCapacity, this.index.getMaxElements() * 2));
    // hnswlib-node copies from a plain array; it rejects typed arrays.
    this.index.addPoint(Array.from(vector), chunkId);
    this.labels.add(chunkId);
    this.deleted.delete(chunkId);
    this.dirty = true;
  }

  /** Marks labels deleted; unknown or already-deleted labels are ignored (reconciliation may repeat a delete). */
  remove(chunkIds: Iterable<number>): void {
    for (const id of chunkIds) {
      if (!this.labels.has(id) || this.deleted.has(id)) continue;
      try {
        this.index.markDelete(id);
        this.dirty = true;
      } catch {
        // Already deleted in the saved graph; only our bookkeeping was missing it.
      }
      this.deleted.add(id);
    }
  }

  /**
   * The k nearest live labels. `allowed`: only these labels are candidates, checked inside hnswlib's search (a
   * filter, not a post-filter), so a small subset still gets up to k hits.
   */
  search(query: Float32Array, k: number, ef?: number, allowed?: ReadonlySet<number>): VectorHit[] {
    const live = allowed ? Math.min(this.size, allowed.size) : this.size;
    if (live === 0 || k <= 0) return [];
    this.index.setEf(Math.max(ef ?? this.searchEf, k));
    const n = Math.min(k, live);
    const result = allowed
      ? this.index.searchKnn(Array.from(query), n, (label: number) => allowed.has(label))
      : this.index.searchKnn(Array.from(query), n);
    return result.neighbors.map((chunkId, i) => ({ chunkId, similarity: 1 - result.distances[i] }));
  }

  save(file: string): void {
    replaceFileAtomically(file, (tmp) => this.index.writeIndexSync(tmp));
    this.dirty = false;
  }

  /** A fresh graph holding only live vectors, dropping deleted labels for good. */
  rebuild(vectors: Iterable<{ chunkId: number; vector: Float32Array }>, expected: number): void {
    this.index = this.emptyGraph(Math.max(initialCapacity, Math.ceil(expected * 1.25)));
    this.labels = new Set();
    this.deleted = new Set();
    for (const { chunkId, vector } of vectors) this.add(chunkId, vector);
    this.dirty = true;
  }
}

/** `check` of a vectors.hnsw file against SQLite's live vectors, without changing it. */
export function checkHnswFile(file: string, dimension: number, live: ReadonlySet<number>, vectorOf: (id: number) => Float32Array): IndexFileCheck {
  const name = path.basename(file);
  const problems: string[] = [];
  const graph = new hnswlib.HierarchicalNSW("cosine", dimension);
  try {
    graph.readIndexSync(file);
  } catch (e) {
    return { problems: [`${name} unreadable: ${(e as Error).message}`], vectors: 0 };
  }
  graph.setEf(64);
  const labels = graph.getIdsList();
  const labelSet = new Set(labels);
  const missing = [...live].filter((id) => !labelSet.has(id));
  if (missing.length) problems.push(`chunks missing from ${name}: ${sampleIds(missing)}`);
  // A label with no chunk is fine only if it is marked deleted: a live one would surface in searches.
  const liveOrphans: number[] = [];
  let vectors = 0;
  for (const label of labels) {
    if (live.has(label)) {
      vectors += 1;
      continue;
    }
    let point: number[];
    try {
      point = graph.getPoint(label);
    } catch {
      continue; // hnswlib refuses to return deleted points: this one is marked deleted
    }
    const hit = graph.searchKnn(point, 1, (l: number) => l === label);
    if (hit.neighbors.includes(label)) liveOrphans.push(label);
  }
  if (liveOrphans.length) problems.push(`vectors in ${name} with no chunk (orphans): ${sampleIds(liveOrphans)}`);
  // Spot-check that the index holds the vectors SQLite holds.
  for (const id of [...live].slice(0, 20)) {
    if (!labelSet.has(id)) continue;
    if (cosine(graph.getPoint(id), vectorOf(id)) < 1 - 1e-3) {
      problems.push(`vector of chunk ${id} differs between SQLite and ${name}`);
      break;
    }
  }
  return { problems, vectors };
}
