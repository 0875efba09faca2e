// The embedded store's dense vectors: SQLite's chunks.vector is the truth, the HNSW file (vectors.hnsw) a derived
// index loaded on open and reconciled with SQLite (vectors a crashed run never saved are added back, labels of chunks
// that are gone are marked deleted, an unreadable file is rebuilt), saved atomically by the writer.
import fs from "node:fs";
import path from "node:path";
import type { ReconcileReport, VectorHit } from "../contract.js";
import { blobToVector } from "./documents.js";
import type { StoreDatabase } from "./database.js";
import { VectorIndex } from "./vectorIndex.js";

export const vectorFileName = "vectors.hnsw";

/** A graph with this many deleted labels (or a quarter of its labels, whichever is more) is rebuilt without them. */
function needsCompaction(index: VectorIndex): boolean {
  return index.deletedCount > Math.max(256, 0.25 * (index.size + index.deletedCount));
}

export class SqliteVectors {
  private index: VectorIndex | null = null;

  /** `writable`: this process holds the write lock, and may make repairs durable. */
  constructor(
    private readonly db: StoreDatabase,
    private readonly dir: string,
    private readonly writable: boolean,
  ) {}

  private get file(): string {
    return path.join(this.dir, vectorFileName);
  }

  /** The loaded index, or null (lexical-only store, undecided, or not loaded). */
  get loaded(): VectorIndex | null {
    return this.index;
  }

  /** Loads the HNSW file of a store of `dimension` (null: no vectors) and makes it agree with SQLite. */
  load(dimension: number | null): ReconcileReport | null {
    if (dimension === null) {
      this.index = null;
      return null;
    }
    const { index, problem } = VectorIndex.load(this.file, { dimension });
    this.index = index;
    return this.reconcile(problem);
  }

  /** Starts an empty index for a newly bound model (null: none), dropping the old file. */
  replace(dimension: number | null): void {
    fs.rmSync(this.file, { force: true });
    this.index = dimension === null ? null : VectorIndex.create({ dimension });
  }

  private liveIds(): Set<number> {
    const ids = new Set<number>();
    for (const row of this.db.prepare("SELECT id FROM chunks WHERE vector IS NOT NULL").raw().iterate()) ids.add((row as [number])[0]);
    return ids;
  }

  private *liveVectors(): Generator<{ chunkId: number; vector: Float32Array }> {
    for (const row of this.db.prepare("SELECT id, vector FROM chunks WHERE vector IS NOT NULL ORDER BY id").raw().iterate()) {
      const [chunkId, blob] = row as [number, Buffer];
      yield { chunkId, vector: blobToVector(blob) };
    }
  }

  private reconcile(problem: string | null): ReconcileReport {
    const index = this.index!;
    const live = this.liveIds();
    const labels = index.allLabels();
    const labelSet = new Set(labels);
    const orphans = labels.filter((l) => !live.has(l));
    index.remove(orphans);
    let restored = 0;
    const getVector = this.db.prepare("SELECT vector FROM chunks WHERE id = ?").pluck();
    for (const id of live) {
      if (labelSet.has(id)) continue;
      index.add(id, blobToVector(getVector.get(id) as Buffer));
      restored += 1;
    }
    let rebuilt = false;
    if (problem !== null || needsCompaction(index)) {
      index.rebuild(this.liveVectors(), live.size);
      rebuilt = true;
    }
    // Readers only repair their in-memory copy; the writer makes the repair durable.
    if (this.writable && index.hasUnsavedChanges) index.save(this.file);
    return { restored, orphansRemoved: orphans.length, rebuilt, problem };
  }

  /** Follows a commit SQLite has made (a crash before this is repaired by the next open's reconcile). */
  apply(added: ReadonlyArray<{ id: number; vector: Float32Array }>, removed: readonly number[]): void {
    if (!this.index) return;
    for (const { id, vector } of added) this.index.add(id, vector);
    this.index.remove(removed);
  }

  /** `allowed`: the chunk ids a scoped search may return (undefined: every live one). */
  search(query: Float32Array, k: number, ef?: number, allowed?: ReadonlySet<number>): VectorHit[] {
    return this.index ? this.index.search(query, k, ef, allowed) : [];
  }

  /** Writes the index if it changed (writers only), compacting it when deleted labels pile up. */
  save(): void {
    const index = this.index;
    if (!index || !this.writable) return;
    if (needsCompaction(index)) index.rebuild(this.liveVectors(), index.size);
    if (index.hasUnsavedChanges) index.save(this.file);
  }
}
