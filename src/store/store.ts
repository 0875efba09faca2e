// The store of documents, chunks, lexical terms and vectors under one directory (storage/ by default).
// SQLite holds everything, vectors included; the HNSW file is a derived index reconciled with SQLite on open.
import fs from "node:fs";
import path from "node:path";
import type { SourceLocation } from "./location.js";
import type { EmbedderIdentity } from "../models/embedder.js";
import { openDatabase, readMeta, writeMeta, type StoreDatabase } from "./database.js";
import { StoreLock } from "./lock.js";
import { matchExpression } from "./segment.js";
import { VectorIndex } from "./vectorIndex.js";

export const databaseFileName = "index.sqlite";
export const vectorFileName = "vectors.hnsw";

/**
 * Terms in more than this share of chunks are left out of lexical queries (see lexicalSearch): their BM25 IDF is at
 * most ln 3 ≈ 1.1 against ~7–9 for the words that tell chunks apart. On CMRC 2018, 0.25 kept recall and MRR (0.975)
 * where 0.5 did, and 0.15 began to lose them.
 */
export const commonTermShare = 0.25;

/** Terms in at least this many chunks have their counts cached by lexicalSearch (counting fewer costs microseconds). */
const commonTermCacheFloor = 1000;

export class EmbedderMismatchError extends Error {
  override name = "EmbedderMismatchError";
}

/** What a chunk is and where it sits in its document, stored or about to be. */
export interface ChunkPlacement {
  index: number;
  text: string;
  page: number | null;
  pageEnd: number | null;
  charStart: number;
  charEnd: number;
  section: string | null;
  /** Where a citation of the chunk points (page, slide, sheet rows, chapter or section); null or absent: nowhere. */
  location?: SourceLocation | null;
  tokenCount: number;
}

export interface NewChunk extends ChunkPlacement {
  /** Space-joined lexical terms (see segment.ts). */
  terms: string;
  /** Unit vector, or null in a lexical-only store. */
  vector: Float32Array | null;
}

export interface NewDocument {
  sha256: string;
  kind: string;
  bytes: number;
  pages: number | null;
  encoding: string | null;
  text: string;
  pageStarts: number[];
  chunks: NewChunk[];
}

export interface FileRecord {
  path: string;
  documentId: number;
  sha256: string;
  size: number;
  mtimeMs: number;
}

export interface StoredChunk extends ChunkPlacement {
  id: number;
  location: SourceLocation | null;
  documentId: number;
  /** The document's files, first one the citation's source. */
  paths: string[];
}

export interface FileListing {
  path: string;
  documentId: number;
  kind: string;
  pages: number | null;
  chunks: number;
  bytes: number;
  ingestedAt: string;
}

export interface ReconcileReport {
  /** Vectors added back to the index from SQLite (written by a run that stopped before saving the index). */
  restored: number;
  /** Labels in the index with no chunk (a run that stopped after deleting) now marked deleted. */
  orphansRemoved: number;
  /** The index was rebuilt to drop deleted labels or because its file was unreadable. */
  rebuilt: boolean;
  problem: string | null;
}

export interface OpenStoreOptions {
  /** Take the write lock (ingest, reset). Readers (search, check) never block writers. */
  write?: boolean;
  /** Named in the lock so a refused writer learns who holds it. */
  purpose?: string;
  /** Load (and reconcile) the vector index. Default true; `check` inspects the file itself instead. */
  vectors?: boolean;
}

/** Which embedding model a store was built with: undefined = not decided yet, null = lexical-only. */
export type StoreEmbedding = EmbedderIdentity | null | undefined;

function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function blobToVector(blob: Buffer): Float32Array {
  // Copy: better-sqlite3's buffers may not be 4-byte aligned.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

export class DocumentStore {
  private vectorIndex: VectorIndex | null = null;
  private lastReconcile: ReconcileReport | null = null;

  private constructor(
    readonly dir: string,
    readonly db: StoreDatabase,
    private readonly lock: StoreLock | null,
  ) {}

  static open(dir: string, options: OpenStoreOptions = {}): DocumentStore {
    const absolute = path.resolve(dir);
    fs.mkdirSync(absolute, { recursive: true });
    const lock = options.write ? StoreLock.acquire(absolute, options.purpose ?? "ingest") : null;
    try {
      const db = openDatabase(path.join(absolute, databaseFileName));
      const store = new DocumentStore(absolute, db, lock);
      if (options.vectors !== false) store.loadVectors();
      return store;
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  get writable(): boolean {
    return this.lock !== null;
  }

  get vectors(): VectorIndex | null {
    return this.vectorIndex;
  }

  get reconcileReport(): ReconcileReport | null {
    return this.lastReconcile;
  }

  get embedding(): StoreEmbedding {
    const raw = readMeta(this.db, "embedding");
    if (raw === undefined) return undefined;
    return raw === "none" ? null : (JSON.parse(raw) as EmbedderIdentity);
  }

  private get vectorFile(): string {
    return path.join(this.dir, vectorFileName);
  }

  /** Load the HNSW file and make it agree with SQLite. */
  private loadVectors(): void {
    const identity = this.embedding;
    if (!identity) {
      this.vectorIndex = null;
      return;
    }
    const { index, problem } = VectorIndex.load(this.vectorFile, { dimension: identity.dimension });
    this.vectorIndex = index;
    this.lastReconcile = this.reconcile(problem);
  }

  private liveVectorIds(): Set<number> {
    const ids = new Set<number>();
    for (const row of this.db.prepare("SELECT id FROM chunks WHERE vector IS NOT NULL").raw().iterate())
      ids.add((row as [number])[0]);
    return ids;
  }

  private *liveVectors(): Generator<{ chunkId: number; vector: Float32Array }> {
    for (const row of this.db.prepare("SELECT id, vector FROM chunks WHERE vector IS NOT NULL ORDER BY id").raw().iterate()) {
      const [chunkId, blob] = row as [number, Buffer];
      yield { chunkId, vector: blobToVector(blob) };
    }
  }

  private reconcile(problem: string | null): ReconcileReport {
    const index = this.vectorIndex!;
    const live = this.liveVectorIds();
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
    if (problem !== null || index.deletedCount > Math.max(256, 0.25 * (index.size + index.deletedCount))) {
      index.rebuild(this.liveVectors(), live.size);
      rebuilt = true;
    }
    // Readers only repair their in-memory copy; the writer makes the repair durable.
    if (this.writable && index.hasUnsavedChanges) index.save(this.vectorFile);
    return { restored, orphansRemoved: orphans.length, rebuilt, problem };
  }

  /** A retrieval calibration saved for an embedding model (see retrieval/calibrate.ts), or undefined. */
  readCalibration(fingerprint: string): { chunks: number; calibration: unknown } | undefined {
    const raw = readMeta(this.db, `calibration:${fingerprint}`);
    return raw === undefined ? undefined : (JSON.parse(raw) as { chunks: number; calibration: unknown });
  }

  /** Keeps a calibration; a reader may call it (a tiny write that waits for a running ingest's commit). */
  saveCalibration(fingerprint: string, value: { chunks: number; calibration: unknown }): void {
    try {
      writeMeta(this.db, `calibration:${fingerprint}`, JSON.stringify(value));
    } catch {
      // A read-only or busy database only means the probe runs again next time.
    }
  }

  /**
   * Re-reads the vector file and reconciles it with SQLite: a long-lived reader (the server) calls this after an
   * ingest, its own or another process's, so new chunks become searchable by vector too.
   */
  refreshVectors(): void {
    this.loadVectors();
  }

  /**
   * Throws EmbedderMismatchError unless the store is empty, undecided, or made with this model (by fingerprint;
   * null: lexical-only). Called before loading a model, so a wrong one is refused at once.
   */
  assertEmbedding(expected: { name: string; fingerprint: string } | null): void {
    const current = this.embedding;
    if (current === undefined || this.count("documents") === 0) return;
    const same = current === null ? expected === null : expected !== null && current.fingerprint === expected.fingerprint;
    if (same) return;
    const was = current === null ? "no embedding model (lexical-only)" : `embedding model ${current.name} (dimension ${current.dimension})`;
    const now = expected === null ? "no embedding model" : expected.name;
    throw new EmbedderMismatchError(
      `${this.dir} was built with ${was}, but the settings now give ${now}. ` +
        `Re-run ingest with --reembed to rebuild the index with the new model, or set embedding.model back.`,
    );
  }

  /**
   * Ties the store to an embedding model (null: lexical-only). A store that already has documents made with
   * another model refuses, naming both and the --reembed remedy.
   */
  bindEmbedding(identity: EmbedderIdentity | null): void {
    const current = this.embedding;
    const same =
      current === null ? identity === null : current !== undefined && identity !== null && current.fingerprint === identity.fingerprint;
    if (same) return;
    this.assertEmbedding(identity);
    writeMeta(this.db, "embedding", identity === null ? "none" : JSON.stringify(identity));
    fs.rmSync(this.vectorFile, { force: true });
    this.vectorIndex = identity === null ? null : VectorIndex.create({ dimension: identity.dimension });
  }

  /** Drops every document, chunk and vector (for --reembed). One transaction: a crash leaves the old or the empty store. */
  reset(): void {
    this.db.transaction(() => {
      this.db.exec("DELETE FROM chunks; DELETE FROM files; DELETE FROM documents; DELETE FROM chunks_fts; DELETE FROM meta WHERE key LIKE 'calibration:%';");
      writeMeta(this.db, "embedding", null);
    })();
    fs.rmSync(this.vectorFile, { force: true });
    this.vectorIndex = null;
  }

  count(table: "documents" | "files" | "chunks"): number {
    return this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  }

  files(): Map<string, FileRecord> {
    const rows = this.db
      .prepare("SELECT f.path, f.document_id, d.sha256, f.size, f.mtime_ms FROM files f JOIN documents d ON d.id = f.document_id")
      .raw()
      .all() as Array<[string, number, string, number, number]>;
    return new Map(rows.map(([p, documentId, sha256, size, mtimeMs]) => [p, { path: p, documentId, sha256, size, mtimeMs }]));
  }

  /** Every file of the store with its document's kind, pages and chunk count, by path. */
  listFiles(): FileListing[] {
    return (
      this.db
        .prepare(
          `SELECT f.path, f.document_id, d.kind, d.pages, d.chunk_count, d.bytes, f.added_at
           FROM files f JOIN documents d ON d.id = f.document_id ORDER BY f.path`,
        )
        .raw()
        .all() as Array<[string, number, string, number | null, number, number, string]>
    ).map(([p, documentId, kind, pages, chunks, bytes, ingestedAt]) => ({ path: p, documentId, kind, pages, chunks, bytes, ingestedAt }));
  }

  documentIdForSha(sha256: string): number | undefined {
    return this.db.prepare("SELECT id FROM documents WHERE sha256 = ?").pluck().get(sha256) as number | undefined;
  }

  /** Deletes documents no file points to; returns their chunk ids (whose vectors must go too). */
  private collectOrphanDocuments(candidates: Iterable<number>): number[] {
    const stillUsed = this.db.prepare("SELECT 1 FROM files WHERE document_id = ? LIMIT 1").pluck();
    const chunkIds = this.db.prepare("SELECT id FROM chunks WHERE document_id = ?").pluck();
    const deleteDocument = this.db.prepare("DELETE FROM documents WHERE id = ?");
    const removed: number[] = [];
    for (const id of new Set(candidates)) {
      if (stillUsed.get(id)) continue;
      removed.push(...(chunkIds.all(id) as number[]));
      deleteDocument.run(id); // chunks cascade; their FTS rows go with them through the trigger
    }
    return removed;
  }

  /**
   * Records one file of the inbox, with its content: either a new document (chunks, terms, vectors) or an
   * existing one (same bytes elsewhere). One transaction: searches see the document whole or not at all.
   */
  commitFile(
    file: { path: string; size: number; mtimeMs: number },
    content: { document: NewDocument } | { documentId: number },
  ): { documentId: number; chunkIds: number[] } {
    const insertDocument = this.db.prepare(
      `INSERT INTO documents(sha256, kind, bytes, pages, encoding, text, page_starts, chunk_count, ingested_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertChunk = this.db.prepare(
      `INSERT INTO chunks(document_id, idx, text, page, page_end, char_start, char_end, section, location, token_count, vector)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertTerms = this.db.prepare("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)");
    const previous = this.db.prepare("SELECT document_id FROM files WHERE path = ?").pluck();
    const upsertFile = this.db.prepare(
      `INSERT INTO files(path, document_id, size, mtime_ms, added_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET document_id = excluded.document_id, size = excluded.size, mtime_ms = excluded.mtime_ms`,
    );
    const now = new Date().toISOString();
    let removedChunkIds: number[] = [];
    const added: Array<{ id: number; vector: Float32Array }> = [];
    const result = this.db.transaction(() => {
      let documentId: number;
      const chunkIds: number[] = [];
      if ("document" in content) {
        const d = content.document;
        documentId = Number(
          insertDocument.run(d.sha256, d.kind, d.bytes, d.pages, d.encoding, d.text, JSON.stringify(d.pageStarts), d.chunks.length, now)
            .lastInsertRowid,
        );
        for (const c of d.chunks) {
          const id = Number(
            insertChunk.run(documentId, c.index, c.text, c.page, c.pageEnd, c.charStart, c.charEnd, c.section,
              c.location ? JSON.stringify(c.location) : null, c.tokenCount,
              c.vector ? vectorToBlob(c.vector) : null).lastInsertRowid,
          );
          insertTerms.run(id, c.terms);
          chunkIds.push(id);
          if (c.vector) added.push({ id, vector: c.vector });
        }
      } else documentId = content.documentId;
      const before = previous.get(file.path) as number | undefined;
      upsertFile.run(file.path, documentId, file.size, file.mtimeMs, now);
      if (before !== undefined && before !== documentId) removedChunkIds = this.collectOrphanDocuments([before]);
      return { documentId, chunkIds };
    })();
    // The vector index follows only after SQLite committed; a crash in between is repaired by reconcile().
    if (this.vectorIndex) {
      for (const { id, vector } of added) this.vectorIndex.add(id, vector);
      this.vectorIndex.remove(removedChunkIds);
    }
    return result;
  }

  /** Notes a new size/mtime for a file whose content did not change. */
  touchFile(filePath: string, size: number, mtimeMs: number): void {
    this.db.prepare("UPDATE files SET size = ?, mtime_ms = ? WHERE path = ?").run(size, mtimeMs, filePath);
  }

  /** Forgets files that left the inbox, and the documents only they used. Returns the number of chunks removed. */
  removeFiles(paths: string[]): number {
    if (paths.length === 0) return 0;
    const documentOf = this.db.prepare("SELECT document_id FROM files WHERE path = ?").pluck();
    const deleteFile = this.db.prepare("DELETE FROM files WHERE path = ?");
    const removed = this.db.transaction(() => {
      const documents: number[] = [];
      for (const p of paths) {
        const id = documentOf.get(p) as number | undefined;
        if (id === undefined) continue;
        documents.push(id);
        deleteFile.run(p);
      }
      return this.collectOrphanDocuments(documents);
    })();
    this.vectorIndex?.remove(removed);
    return removed.length;
  }

  /** Writes the vector index if it changed, and compacts it when deleted labels pile up. */
  saveVectors(): void {
    const index = this.vectorIndex;
    if (!index || !this.writable) return;
    if (index.deletedCount > Math.max(256, 0.25 * (index.size + index.deletedCount)))
      index.rebuild(this.liveVectors(), index.size);
    if (index.hasUnsavedChanges) index.save(this.vectorFile);
  }

  chunksByIds(ids: readonly number[]): StoredChunk[] {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT c.id, c.document_id, c.idx, c.text, c.page, c.page_end, c.char_start, c.char_end, c.section, c.location, c.token_count,
                (SELECT group_concat(path, char(10)) FROM (SELECT path FROM files WHERE document_id = c.document_id ORDER BY path)) AS paths
         FROM chunks c WHERE c.id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids)) as Array<Record<string, unknown>>;
    const byId = new Map(
      rows.map((r) => [
        r.id as number,
        {
          id: r.id as number,
          documentId: r.document_id as number,
          index: r.idx as number,
          text: r.text as string,
          page: r.page as number | null,
          pageEnd: r.page_end as number | null,
          charStart: r.char_start as number,
          charEnd: r.char_end as number,
          section: r.section as string | null,
          location: r.location === null ? null : (JSON.parse(r.location as string) as SourceLocation),
          tokenCount: r.token_count as number,
          paths: ((r.paths as string | null) ?? "").split("\n").filter(Boolean),
        } satisfies StoredChunk,
      ]),
    );
    return ids.map((id) => byId.get(id)).filter((c): c is StoredChunk => c !== undefined);
  }

  /**
   * What lexicalSearch knows of the store's content: its chunk count and the counts of common terms, dropped together
   * whenever the content may have changed: data_version moves on another connection's commit, total_changes() on this
   * connection's own writes (which leave data_version alone).
   */
  private lexicalStats(): { chunks: number; termCounts: Map<string, number> } {
    const version = `${this.db.pragma("data_version", { simple: true })}:${this.db.prepare("SELECT total_changes()").pluck().get()}`;
    if (this.lexicalStatsAt?.version !== version) this.lexicalStatsAt = { version, chunks: this.count("chunks"), termCounts: new Map() };
    return this.lexicalStatsAt;
  }
  private lexicalStatsAt: { version: string; chunks: number; termCounts: Map<string, number> } | null = null;

  /**
   * How many chunks hold each term. FTS5 counts a term by reading its whole posting list (~20 ms for a word in most
   * of a million chunks, and nearly every question has one), so counts of common terms are kept in `cached`; rare
   * terms are cheap to count and not kept, which bounds the cache by the index's size.
   */
  private documentCounts(terms: readonly string[], cached: Map<string, number>): Map<string, number> {
    const lookup = this.db.prepare("SELECT doc FROM chunks_vocab WHERE term = ?").pluck();
    const counts = new Map<string, number>();
    for (const term of terms) {
      let doc = cached.get(term);
      if (doc === undefined) {
        doc = (lookup.get(term) as number | undefined) ?? 0;
        if (doc >= commonTermCacheFloor) cached.set(term, doc);
      }
      counts.set(term, doc);
    }
    return counts;
  }

  /**
   * BM25 over the FTS5 table for the ORed terms, best first (SQLite's bm25 is lower-better; returned as a positive
   * score, higher is better). Terms found in more than a quarter of the chunks are left out: they weigh little in
   * BM25, but scoring every chunk they match made a search over 100k chunks ~7× slower. A query made only of such
   * terms keeps its rarest one. Stores under 2,000 chunks keep every term.
   */
  lexicalSearch(terms: readonly string[], limit: number): Array<{ chunkId: number; score: number }> {
    if (terms.length === 0 || limit <= 0) return [];
    const { chunks: total, termCounts } = this.lexicalStats();
    const documentCounts = this.documentCounts(terms, termCounts);
    const counted = terms.map((term) => ({ term, doc: documentCounts.get(term) ?? 0 })).filter((t) => t.doc > 0);
    if (counted.length === 0) return [];
    // Small stores are fast anyway, and there a word in a third of the chunks can still be what tells them apart.
    let kept = total < 2000 ? counted : counted.filter((t) => t.doc <= total * commonTermShare);
    if (kept.length === 0) kept = [counted.reduce((a, b) => (b.doc < a.doc ? b : a))];
    const rows = this.db
      .prepare("SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?")
      .raw()
      .all(matchExpression(kept.map((t) => t.term)), limit) as Array<[number, number]>;
    return rows.map(([chunkId, rank]) => ({ chunkId, score: -rank }));
  }

  close(): void {
    try {
      if (this.writable) this.saveVectors();
    } finally {
      this.db.close();
      this.lock?.release();
    }
  }
}
