// The embedded store (SqliteStore): documents, chunks, lexical terms and vectors under one folder (storage/ by
// default). SQLite holds everything, vectors included; the HNSW file is a derived index reconciled with SQLite on open.
// Composes documents.ts (rows), lexical.ts (FTS5 BM25) and vectors.ts (the vector index: hnswlib or usearch); the
// contract is contract.ts.
import fs from "node:fs";
import path from "node:path";
import type { EmbedderIdentity } from "../../models/embedder.js";
import type {
  DocumentStore,
  ExportedDocument,
  FileListing,
  FileRecord,
  KbScope,
  KnowledgeBase,
  LexicalHit,
  LexicalIndexRefresh,
  NewDocument,
  OpenStoreOptions,
  ReconcileReport,
  SavedCalibration,
  StoredChunk,
  StoreEmbedding,
  StoreTable,
  VectorHit,
  VectorPrecision,
  VectorStatus,
} from "../contract.js";
import { embeddingMismatch, parseEmbedding, sameEmbedding } from "../embedding.js";
import { StoreLock } from "../lock.js";
import { openDatabase, readMeta, writeMeta, type StoreDatabase } from "./database.js";
import { SqliteDocuments } from "./documents.js";
import { SqliteLexical } from "./lexical.js";
import { refreshPackedPostings, type PackedOptions } from "./packedPostings.js";
import type { VectorIndex } from "./vectorIndex.js";
import { SqliteVectors } from "./vectors.js";

export const databaseFileName = "index.sqlite";
export { vectorFileName } from "./vectors.js";

export class SqliteStore implements DocumentStore {
  private readonly documents: SqliteDocuments;
  private readonly lexical: SqliteLexical;
  private readonly vectors: SqliteVectors;
  private lastReconcile: ReconcileReport | null = null;
  /** A scoped vector search's candidate ids, kept until the store's content changes (see scopeVersion). */
  private scopeCache: { key: string; version: string; ids: Set<number> } | null = null;

  private constructor(
    /** The store's folder, absolute. */
    readonly dir: string,
    /** The SQLite connection: for check and for tests that inspect or damage the file on purpose. */
    readonly db: StoreDatabase,
    private readonly lock: StoreLock | null,
    /** The precision asked for (OpenStoreOptions.vectorPrecision), or undefined to keep the store's. */
    private readonly wantedPrecision: VectorPrecision | undefined,
  ) {
    this.documents = new SqliteDocuments(db);
    this.lexical = new SqliteLexical(db);
    this.vectors = new SqliteVectors(db, dir, lock !== null);
  }

  /** Opens (creating when needed) the store in folder `dir`; synchronous, as SQLite is. */
  static open(dir: string, options: OpenStoreOptions = {}): SqliteStore {
    const absolute = path.resolve(dir);
    fs.mkdirSync(absolute, { recursive: true });
    const lock = options.write ? StoreLock.acquire(absolute, options.purpose ?? "ingest") : null;
    try {
      const db = openDatabase(path.join(absolute, databaseFileName));
      const store = new SqliteStore(absolute, db, lock, options.vectorPrecision);
      if (options.vectors !== false) {
        store.loadVectors();
        store.convertVectors();
      }
      return store;
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  get location(): string {
    return this.dir;
  }

  get writable(): boolean {
    return this.lock !== null;
  }

  get reconcileReport(): ReconcileReport | null {
    return this.lastReconcile;
  }

  /** The lexical search itself, for benchmarks and tests that read how a search ran (its lastPlan). */
  get lexicalIndex(): SqliteLexical {
    return this.lexical;
  }

  /** The loaded vector index itself, for benchmarks that time it alone (null: none loaded). */
  get vectorIndex(): VectorIndex | null {
    return this.vectors.loaded;
  }

  /** How the vector index keeps vectors, and its file. */
  get vectorPrecision(): VectorPrecision {
    return this.vectors.precision;
  }

  get vectorFile(): string {
    return this.vectors.file;
  }

  private currentEmbedding(): StoreEmbedding {
    return parseEmbedding(readMeta(this.db, "embedding"));
  }

  private loadVectors(): void {
    this.lastReconcile = this.vectors.load(this.currentEmbedding()?.dimension ?? null);
  }

  /** A writer asked for the other precision rebuilds the index in it from SQLite's vectors. */
  private convertVectors(): void {
    const dimension = this.currentEmbedding()?.dimension;
    if (!this.writable || !dimension || !this.wantedPrecision || this.wantedPrecision === this.vectors.precision) return;
    this.vectors.convert(dimension, this.wantedPrecision);
  }

  private requireWriter(what: string): void {
    if (!this.writable) throw new Error(`${this.dir}: ${what} needs the write lock (open the store with write: true)`);
  }

  async embedding(): Promise<StoreEmbedding> {
    return this.currentEmbedding();
  }

  async assertEmbedding(expected: { name: string; fingerprint: string } | null): Promise<void> {
    const current = this.currentEmbedding();
    const refusal = current === undefined ? null : embeddingMismatch(this.dir, current, this.documents.count("documents"), expected);
    if (refusal) throw refusal;
  }

  async bindEmbedding(identity: EmbedderIdentity | null): Promise<void> {
    if (sameEmbedding(this.currentEmbedding(), identity)) return;
    this.requireWriter("binding an embedding model");
    await this.assertEmbedding(identity);
    writeMeta(this.db, "embedding", identity === null ? "none" : JSON.stringify(identity));
    this.vectors.replace(identity === null ? null : identity.dimension, this.wantedPrecision);
  }

  async reset(): Promise<void> {
    this.requireWriter("reset");
    this.db.transaction(() => {
      this.documents.deleteAll();
      this.db.exec("DELETE FROM meta WHERE key LIKE 'calibration:%';");
      writeMeta(this.db, "embedding", null);
    })();
    this.vectors.replace(null, this.wantedPrecision);
  }

  async listKbs(): Promise<KnowledgeBase[]> {
    return this.documents.listKbs();
  }

  async kbNames(): Promise<string[]> {
    return this.documents.kbNames();
  }

  async createKb(name: string): Promise<void> {
    this.requireWriter("creating a knowledge base");
    this.documents.createKb(name);
  }

  async renameKb(from: string, to: string): Promise<void> {
    this.requireWriter("renaming a knowledge base");
    this.documents.renameKb(from, to);
  }

  async deleteKb(name: string): Promise<number> {
    this.requireWriter("deleting a knowledge base");
    const removed = this.documents.deleteKb(name);
    this.vectors.apply([], removed);
    return removed.length;
  }

  /**
   * The bases a search must be limited to, or null when the scope names every base (no filter: the fast path of a
   * single-base store).
   */
  private searchKbs(scope: KbScope): readonly string[] | null {
    const all = this.documents.kbNames();
    return all.every((name) => scope.kbs.includes(name)) ? null : scope.kbs;
  }

  /** Changes whenever the content may have: another connection's commit (data_version) or this one's own writes. */
  private contentVersion(): string {
    return `${this.db.pragma("data_version", { simple: true })}:${this.db.prepare("SELECT total_changes()").pluck().get()}`;
  }

  private scopedVectorIds(kbs: readonly string[]): Set<number> {
    const key = JSON.stringify([...kbs].sort());
    const version = this.contentVersion();
    if (this.scopeCache?.key !== key || this.scopeCache.version !== version)
      this.scopeCache = { key, version, ids: this.documents.vectorChunkIdsIn(kbs) };
    return this.scopeCache.ids;
  }

  async count(table: StoreTable): Promise<number> {
    return this.documents.count(table);
  }

  async files(kb: string): Promise<Map<string, FileRecord>> {
    return this.documents.files(kb);
  }

  async listFiles(scope: KbScope): Promise<FileListing[]> {
    return this.documents.listFiles(scope);
  }

  async documentIdForSha(sha256: string): Promise<number | undefined> {
    return this.documents.documentIdForSha(sha256);
  }

  async commitFile(
    file: { kb: string; path: string; size: number; mtimeMs: number },
    content: { document: NewDocument } | { documentId: number },
  ): Promise<{ documentId: number; chunkIds: number[]; sameAs: string | null }> {
    this.requireWriter("commitFile");
    const { documentId, chunkIds, sameAs, added, removed } = this.documents.commitFile(file, content);
    // The vector index follows only after SQLite committed; a crash in between is repaired by the next open.
    this.vectors.apply(added, removed);
    return { documentId, chunkIds, sameAs };
  }

  async touchFiles(kb: string, files: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>): Promise<void> {
    this.requireWriter("touchFiles");
    this.documents.touchFiles(kb, files);
  }

  async removeFiles(kb: string, paths: readonly string[]): Promise<number> {
    this.requireWriter("removeFiles");
    const removed = this.documents.removeFiles(kb, paths);
    this.vectors.apply([], removed);
    return removed.length;
  }

  async chunksByIds(ids: readonly number[], scope: KbScope): Promise<StoredChunk[]> {
    return this.documents.chunksByIds(ids, scope);
  }

  async documentText(documentId: number): Promise<{ text: string; pageStarts: number[] } | undefined> {
    return this.documents.documentText(documentId);
  }

  async sampleVectorChunkIds(count: number): Promise<number[]> {
    return this.documents.sampleVectorChunkIds(count);
  }

  async *exportDocuments(options: { batchSize?: number } = {}): AsyncGenerator<ExportedDocument> {
    let after = 0;
    for (;;) {
      const { exported, last } = this.documents.exportBatch(after, options.batchSize ?? 64);
      if (exported.length === 0) return;
      for (const d of exported) if (d.files.length > 0) yield d;
      after = last;
    }
  }

  async lexicalSearch(terms: readonly string[], limit: number, scope: KbScope): Promise<LexicalHit[]> {
    if (scope.kbs.length === 0) return [];
    return this.lexical.search(terms, limit, this.searchKbs(scope));
  }

  async vectorStatus(): Promise<VectorStatus | null> {
    const index = this.vectors.loaded;
    return index ? { dimension: index.dimension, count: index.size } : null;
  }

  async vectorSearch(query: Float32Array, k: number, options: KbScope & { ef?: number }): Promise<VectorHit[]> {
    if (options.kbs.length === 0 || !this.vectors.loaded) return [];
    const kbs = this.searchKbs(options);
    return this.vectors.search(query, k, options.ef, kbs === null ? undefined : this.scopedVectorIds(kbs));
  }

  async refreshVectors(): Promise<void> {
    this.loadVectors();
  }

  async saveVectors(): Promise<void> {
    this.vectors.save();
  }

  /** See DocumentStore.refreshLexicalIndex; `options` (floor, minimum store size) for tests of small stores. */
  async refreshLexicalIndex(options: PackedOptions = {}): Promise<LexicalIndexRefresh> {
    this.requireWriter("refreshing the lexical index");
    return refreshPackedPostings(this.db, options);
  }

  async readCalibration(fingerprint: string): Promise<SavedCalibration | undefined> {
    const raw = readMeta(this.db, `calibration:${fingerprint}`);
    return raw === undefined ? undefined : (JSON.parse(raw) as SavedCalibration);
  }

  async saveCalibration(fingerprint: string, value: SavedCalibration): Promise<void> {
    try {
      writeMeta(this.db, `calibration:${fingerprint}`, JSON.stringify(value));
    } catch {
      // A read-only or busy database only means the probe runs again next time.
    }
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** close() without the promise, for exit paths that cannot wait. */
  closeSync(): void {
    try {
      if (this.writable) this.vectors.save();
    } finally {
      this.db.close();
      this.lock?.release();
    }
  }
}
