// The embedded store's dense vectors: SQLite's chunks.vector is the truth, the index file (vectors.hnsw for float32,
// vectors.usearch for float16; the store records which in meta) a derived index loaded on open and reconciled with
// SQLite (vectors a crashed run never saved are added back, labels of chunks that are gone are removed, an unreadable
// file is rebuilt), saved atomically by the writer.
import fs from "node:fs";
import path from "node:path";
import type { ReconcileReport, VectorHit } from "../contract.js";
import { readMeta, writeMeta, type StoreDatabase } from "./database.js";
import { blobToVector } from "./documents.js";
import type { VectorIndex, VectorPrecision, VectorSource } from "./vectorIndex.js";
import { vectorIndexKinds } from "./vectorIndexKinds.js";

/** The default (float32) index file. */
export const vectorFileName = vectorIndexKinds.float32.fileName;
const precisionKey = "vectorPrecision";

/** A graph with this many deleted labels (or a quarter of its labels, whichever is more) is rebuilt without them. */
function needsCompaction(index: VectorIndex): boolean {
  return index.deletedCount > Math.max(256, 0.25 * (index.size + index.deletedCount));
}

/** The precision a store's meta records; stores from before the choice existed are float32. */
export function storedPrecision(db: StoreDatabase): VectorPrecision {
  const value = readMeta(db, precisionKey);
  return value === "float16" ? "float16" : "float32";
}

export class SqliteVectors {
  private index: VectorIndex | null = null;
  /** SQLite's vectors by id, for a scoped search an index scores exactly. */
  private readonly source: VectorSource;

  /** `writable`: this process holds the write lock, and may make repairs durable. */
  constructor(
    private readonly db: StoreDatabase,
    private readonly dir: string,
    private readonly writable: boolean,
  ) {
    const byId = db.prepare("SELECT vector FROM chunks WHERE id = ? AND vector IS NOT NULL").pluck();
    this.source = {
      *vectors(ids) {
        for (const chunkId of ids) {
          const blob = byId.get(chunkId) as Buffer | undefined;
          if (blob) yield { chunkId, vector: blobToVector(blob) };
        }
      },
    };
  }

  get precision(): VectorPrecision {
    return storedPrecision(this.db);
  }

  /** The index file of the store's precision. */
  get file(): string {
    return path.join(this.dir, vectorIndexKinds[this.precision].fileName);
  }

  /** The loaded index, or null (lexical-only store, undecided, or not loaded). */
  get loaded(): VectorIndex | null {
    return this.index;
  }

  /** Loads the index file of a store of `dimension` (null: no vectors) and makes it agree with SQLite. */
  load(dimension: number | null): ReconcileReport | null {
    if (dimension === null) {
      this.index = null;
      return null;
    }
    const { index, problem } = vectorIndexKinds[this.precision].load(this.file, { dimension, source: this.source });
    this.index = index;
    return this.reconcile(problem);
  }

  /**
   * Starts an empty index for a newly bound model (null: none), dropping the old file; `precision` (default: the
   * store's) becomes the store's.
   */
  replace(dimension: number | null, precision: VectorPrecision = this.precision): void {
    this.removeFiles();
    writeMeta(this.db, precisionKey, precision);
    this.index = dimension === null ? null : vectorIndexKinds[precision].create({ dimension, source: this.source });
  }

  /**
   * Moves the store's vectors into an index of another precision, built from SQLite's vectors. The new file is saved
   * before the store records the change, so a crash leaves the old index in use (and a stray new file, replaced next
   * time).
   */
  convert(dimension: number, precision: VectorPrecision): void {
    if (precision === this.precision) return;
    const index = vectorIndexKinds[precision].create({ dimension, source: this.source });
    index.rebuild(this.liveVectors(), this.db.prepare("SELECT count(*) FROM chunks WHERE vector IS NOT NULL").pluck().get() as number);
    index.save(path.join(this.dir, vectorIndexKinds[precision].fileName));
    const old = this.file;
    writeMeta(this.db, precisionKey, precision);
    fs.rmSync(old, { force: true });
    this.index = index;
  }

  private removeFiles(): void {
    for (const kind of Object.values(vectorIndexKinds)) fs.rmSync(path.join(this.dir, kind.fileName), { force: true });
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
    const orphans = index.orphans(live);
    // An index that cannot list its labels only says how many it holds without a chunk; it is rebuilt without them.
    const unlisted = "count" in orphans && orphans.count > 0;
    if ("ids" in orphans) index.remove(orphans.ids);
    const orphansRemoved = "ids" in orphans ? orphans.ids.length : orphans.count;
    let restored = 0;
    // With no orphans left, every label is live: as many labels as live chunks means none is missing.
    if (unlisted || index.size !== live.size) {
      const getVector = this.db.prepare("SELECT vector FROM chunks WHERE id = ?").pluck();
      for (const id of live) {
        if (index.holds(id)) continue;
        restored += 1;
        if (!unlisted) index.add(id, blobToVector(getVector.get(id) as Buffer));
      }
    }
    let rebuilt = false;
    if (problem !== null || unlisted || needsCompaction(index)) {
      index.rebuild(this.liveVectors(), live.size);
      rebuilt = true;
    }
    // Readers only repair their in-memory copy; the writer makes the repair durable.
    if (this.writable && index.hasUnsavedChanges) index.save(this.file);
    return { restored, orphansRemoved, rebuilt, problem };
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
