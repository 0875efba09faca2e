// The embedded store's float16 vector index (`vectorPrecision: "float16"`): a usearch HNSW graph over half-precision
// vectors, labelled by chunk id, in vectors.usearch. A vector takes 768 bytes at 384 dimensions instead of 1,536, and
// recall@10 stays that of float32 (bench/search-scale.ts measures both).
// What usearch's Node binding lacks, and how this file makes up for it:
//   - it reads a damaged file by aborting the process, so every file carries a trailer (length, CRC-32, counts) that is
//     verified before usearch sees the file;
//   - its search breadth is fixed when an index object is made, so another breadth reloads the saved file;
//   - it cannot filter inside a search, so a scoped search asks for more neighbours and keeps the allowed ones, or
//     scores a small scope exactly from SQLite's vectors;
//   - it cannot list its keys, so reconciling counts the labels SQLite lacks, and the store rebuilds the index when
//     there are any.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import usearch from "usearch";
import type { VectorHit } from "../contract.js";
import { defaultEfSearch } from "../ranking.js";
import { replaceFileAtomically } from "./indexFile.js";
import {
  cosine,
  sampleIds,
  type IndexFileCheck,
  type Orphans,
  type VectorIndex,
  type VectorIndexOptions,
  type VectorSource,
} from "./vectorIndex.js";

type UsearchIndex = InstanceType<typeof usearch.Index>;

const trailerMagic = "ARVI";
const trailerVersion = 1;
/** magic 4, version 4, CRC-32 of the usearch bytes 4, removed 4, usearch bytes 8, live vectors 4, dimension 4. */
const trailerBytes = 32;

interface Trailer {
  dataBytes: number;
  crc: number;
  removed: number;
  count: number;
  dimension: number;
}

function readTrailer(file: string): Trailer {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    if (size < trailerBytes) throw new Error(`${size} bytes, too short`);
    const t = Buffer.alloc(trailerBytes);
    fs.readSync(fd, t, 0, trailerBytes, size - trailerBytes);
    if (t.toString("latin1", 0, 4) !== trailerMagic) throw new Error("no alpaca-rag trailer (not a vector index, or cut short)");
    if (t.readUInt32LE(4) !== trailerVersion) throw new Error(`trailer version ${t.readUInt32LE(4)}`);
    const trailer = { crc: t.readUInt32LE(8), removed: t.readUInt32LE(12), dataBytes: Number(t.readBigUInt64LE(16)), count: t.readUInt32LE(24), dimension: t.readUInt32LE(28) };
    if (trailer.dataBytes !== size - trailerBytes) throw new Error(`${size} bytes where the trailer promises ${trailer.dataBytes + trailerBytes}`);
    if (crcOf(fd, trailer.dataBytes) !== trailer.crc) throw new Error("checksum mismatch (the file is damaged)");
    return trailer;
  } finally {
    fs.closeSync(fd);
  }
}

/** CRC-32 of the first `bytes` bytes of an open file, read in pieces. */
function crcOf(fd: number, bytes: number): number {
  const piece = Buffer.alloc(Math.min(bytes, 8 << 20) || 1);
  let crc = 0;
  for (let at = 0; at < bytes; ) {
    const n = fs.readSync(fd, piece, 0, Math.min(piece.length, bytes - at), at);
    if (n <= 0) throw new Error("unexpected end of file");
    crc = zlib.crc32(piece.subarray(0, n), crc);
    at += n;
  }
  return crc;
}

export class UsearchVectorIndex implements VectorIndex {
  readonly precision = "float16";
  private index: UsearchIndex;
  /** The breadth `index` was made with. */
  private breadth: number;
  private removed = 0;
  private dirty = false;
  /** The file this index was last read from or saved to, unchanged since: where another breadth reloads from. */
  private file: string | null = null;
  private readonly m: number;
  private readonly efConstruction: number;
  private readonly efSearch: number | undefined;
  private readonly source: VectorSource | undefined;

  private constructor(readonly dimension: number, options: VectorIndexOptions) {
    this.m = options.m ?? 16;
    this.efConstruction = options.efConstruction ?? 100;
    this.efSearch = options.efSearch;
    this.source = options.source;
    this.breadth = this.efSearch ?? defaultEfSearch(0);
    this.index = this.emptyGraph(this.breadth);
  }

  private emptyGraph(breadth: number): UsearchIndex {
    return new usearch.Index({
      dimensions: this.dimension,
      metric: usearch.MetricKind.Cos,
      quantization: usearch.ScalarKind.F16,
      connectivity: this.m,
      expansion_add: this.efConstruction,
      expansion_search: breadth,
      multi: false,
    });
  }

  static create(options: VectorIndexOptions): UsearchVectorIndex {
    return new UsearchVectorIndex(options.dimension, options);
  }

  /** Reads the index file; a missing file yields an empty index, a damaged or mismatched one an empty index and why. */
  static load(file: string, options: VectorIndexOptions): { index: UsearchVectorIndex; problem: string | null } {
    const { index, error } = UsearchVectorIndex.tryLoad(file, options);
    return { index, problem: error && `vector index ${path.basename(file)} unreadable (${error.message}); rebuilding it` };
  }

  /** The file's index, or an empty one and the reason the file was refused (read leaves the index as it was). */
  private static tryLoad(file: string, options: VectorIndexOptions): { index: UsearchVectorIndex; error: Error | null } {
    const vi = new UsearchVectorIndex(options.dimension, options);
    if (!fs.existsSync(file)) return { index: vi, error: null };
    try {
      const trailer = readTrailer(file);
      vi.read(file, vi.efSearch ?? defaultEfSearch(trailer.count), trailer);
      return { index: vi, error: null };
    } catch (e) {
      return { index: vi, error: e as Error };
    }
  }

  /** `check` of a vectors.usearch file against SQLite's live vectors, without changing it. */
  static check(file: string, dimension: number, live: ReadonlySet<number>, vectorOf: (id: number) => Float32Array): IndexFileCheck {
    const name = path.basename(file);
    const { index, error } = UsearchVectorIndex.tryLoad(file, { dimension, efSearch: 64 });
    if (error) return { problems: [`${name} unreadable: ${error.message}`], vectors: 0 };
    const problems: string[] = [];
    const missing = [...live].filter((id) => !index.holds(id));
    if (missing.length) problems.push(`chunks missing from ${name}: ${sampleIds(missing)}`);
    // Every live label the file holds beyond SQLite's live chunks is an orphan.
    const orphanCount = index.size - (live.size - missing.length);
    if (orphanCount) problems.push(`${orphanCount} vectors in ${name} with no chunk (orphans)`);
    // Spot-check that the index holds the vectors SQLite holds: each is its own nearest neighbour, to float16 precision.
    for (const id of [...live].slice(0, 20)) {
      if (!index.holds(id)) continue;
      const [best] = index.search(vectorOf(id), 1);
      if (best?.chunkId !== id && !(best && best.similarity > 1 - 1e-3)) {
        problems.push(`vector of chunk ${id} differs between SQLite and ${name}`);
        break;
      }
    }
    return { problems, vectors: live.size - missing.length };
  }

  /** Replaces the graph with the file's, made with search breadth `breadth` (`trailer`: the file's, just verified). */
  private read(file: string, breadth: number, trailer = readTrailer(file)): void {
    if (trailer.dimension !== this.dimension) throw new Error(`dimension ${trailer.dimension}, the store's is ${this.dimension}`);
    const graph = this.emptyGraph(breadth);
    graph.load(file);
    if (graph.dimensions() !== this.dimension || graph.size() !== trailer.count)
      throw new Error(`holds ${graph.size()} vectors of dimension ${graph.dimensions()}, its trailer says ${trailer.count} of ${trailer.dimension}`);
    this.index = graph;
    this.breadth = breadth;
    this.removed = trailer.removed;
    this.file = file;
    this.dirty = false;
  }

  get size(): number {
    return this.index.size();
  }

  get searchEf(): number {
    return this.efSearch ?? defaultEfSearch(this.size);
  }

  get deletedCount(): number {
    return this.removed;
  }

  get hasUnsavedChanges(): boolean {
    return this.dirty;
  }

  holds(chunkId: number): boolean {
    return this.index.contains(BigInt(chunkId)) as boolean;
  }

  orphans(live: ReadonlySet<number>): Orphans {
    if (this.size === 0) return { count: 0 };
    const keys = BigUint64Array.from(live, (id) => BigInt(id));
    const held = keys.length === 0 ? [] : toArray(this.index.contains(keys));
    return { count: this.size - held.filter(Boolean).length };
  }

  private changed(): void {
    this.dirty = true;
    this.file = null;
  }

  add(chunkId: number, vector: Float32Array): void {
    const key = BigInt(chunkId);
    // usearch refuses a key twice; hnswlib replaces the vector, and so does this.
    if (this.index.contains(key)) {
      this.index.remove(key);
      this.removed += 1;
    }
    this.index.add(key, vector, 1);
    this.changed();
  }

  remove(chunkIds: Iterable<number>): void {
    for (const id of chunkIds) {
      const key = BigInt(id);
      if (!this.index.contains(key)) continue;
      this.index.remove(key);
      this.removed += 1;
      this.changed();
    }
  }

  search(query: Float32Array, k: number, ef?: number, allowed?: ReadonlySet<number>): VectorHit[] {
    const live = this.size;
    if (live === 0 || k <= 0 || allowed?.size === 0) return [];
    const breadth = ef ?? this.searchEf;
    if (!allowed) {
      this.useBreadth(breadth);
      return this.nearest(query, Math.min(k, live));
    }
    // Neighbours enough that k of them fall in the scope if it is spread evenly, and twice that.
    let n = Math.min(live, Math.ceil((2 * k * live) / allowed.size));
    // Scoring the scope exactly reads each of its vectors from SQLite (about 12 µs apiece at 1M chunks, against about
    // 8 µs per neighbour asked of usearch): cheaper while the scope is under √(k · live). No graph: no reload for ef.
    if (n > Math.max(256, breadth) && this.source && allowed.size * allowed.size <= k * live) return this.exact(query, k, allowed);
    this.useBreadth(breadth);
    const want = Math.min(k, allowed.size);
    for (;;) {
      const hits = this.nearest(query, n).filter((h) => allowed.has(h.chunkId));
      if (hits.length >= want || n >= live) return hits.slice(0, k);
      n = Math.min(live, n * 4);
    }
  }

  private nearest(query: Float32Array, n: number): VectorHit[] {
    const found = this.index.search(query, n, 1);
    return Array.from(found.keys, (key, i) => ({ chunkId: Number(key), similarity: 1 - found.distances[i] }));
  }

  /** A scope's vectors scored from SQLite, exactly (those the index holds, as a graph search would). */
  private exact(query: Float32Array, k: number, allowed: ReadonlySet<number>): VectorHit[] {
    const hits: VectorHit[] = [];
    for (const { chunkId, vector } of this.source!.vectors(allowed)) if (this.holds(chunkId)) hits.push({ chunkId, similarity: cosine(query, vector) });
    return hits.sort((a, b) => b.similarity - a.similarity || a.chunkId - b.chunkId).slice(0, k);
  }

  /** usearch takes its breadth only when an index is made: another one reads the saved file again, if it is current. */
  private useBreadth(breadth: number): void {
    if (breadth === this.breadth || this.file === null || this.dirty) return;
    this.read(this.file, breadth);
  }

  save(file: string): void {
    replaceFileAtomically(file, (tmp) => {
      this.index.save(tmp);
      const fd = fs.openSync(tmp, "r+");
      try {
        const dataBytes = fs.fstatSync(fd).size;
        const t = Buffer.alloc(trailerBytes);
        t.write(trailerMagic, 0, "latin1");
        t.writeUInt32LE(trailerVersion, 4);
        t.writeUInt32LE(crcOf(fd, dataBytes), 8);
        t.writeUInt32LE(this.removed, 12);
        t.writeBigUInt64LE(BigInt(dataBytes), 16);
        t.writeUInt32LE(this.size, 24);
        t.writeUInt32LE(this.dimension, 28);
        fs.writeSync(fd, t, 0, trailerBytes, dataBytes);
      } finally {
        fs.closeSync(fd);
      }
    });
    this.dirty = false;
    this.file = file;
  }

  rebuild(vectors: Iterable<{ chunkId: number; vector: Float32Array }>, expected: number): void {
    this.breadth = this.efSearch ?? defaultEfSearch(expected);
    this.index = this.emptyGraph(this.breadth);
    this.removed = 0;
    // Added in batches, on every core: a rebuild runs alone (a store opened for writing, or a conversion).
    const batch = 4096;
    const keys = new BigUint64Array(batch);
    const matrix = new Float32Array(batch * this.dimension);
    let filled = 0;
    const flush = () => {
      if (filled === 0) return;
      this.index.add(keys.subarray(0, filled), matrix.subarray(0, filled * this.dimension), os.availableParallelism());
      filled = 0;
    };
    for (const { chunkId, vector } of vectors) {
      keys[filled] = BigInt(chunkId);
      matrix.set(vector, filled * this.dimension);
      filled += 1;
      if (filled === batch) flush();
    }
    flush();
    this.changed();
  }
}

function toArray(result: boolean | boolean[]): boolean[] {
  return Array.isArray(result) ? result : [result];
}
