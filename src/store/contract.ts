// The store contract: what ingest, retrieval, answering, the server and the CLI may ask of a store of documents,
// chunks, lexical terms and vectors, and what every implementation promises. Types and doc comments only; the
// implementations sit beside it (sqlite/: one folder with SQLite + FTS5 + hnswlib or usearch, today's default) and are
// chosen in one place (open.ts) from the `store` setting. Every method a caller awaits returns a Promise, because a
// server store answers over a network client (PostgreSQL's `pg` is asynchronous); the embedded one resolves at once.
//
// Promises every implementation keeps:
// - Atomic writes. commitFile, removeFiles, touchFiles and reset are each one transaction: a crash (kill -9, power
//   loss) at any moment leaves the store as it was before or after the call, never in between, and `check` finds it
//   clean. Derived indexes that live outside the transaction (the HNSW file) are repaired on the next open.
// - Readers see whole documents. A read (one method call) sees one committed state: a document's chunks, terms and
//   vectors appear together and go together. Two calls may see two states: an id a search returned may be gone by the
//   time chunksByIds joins it, which then leaves it out (callers drop such ids; they never fail on them).
// - One writer at a time. `write: true` takes the store's write lock for the store's lifetime (until close); a second
//   writer is refused at once with StoreLockedError naming the holder (purpose, pid, since), and a holder that died
//   is taken over at once. Readers never take it and are never blocked by it. The embedded store keeps it as a file
//   (write.lock) in its folder; a server store holds a session-level advisory lock (pg_try_advisory_lock) on its own
//   connection for the store's lifetime, with the holder's description in a row the refused writer reads back, so
//   one ingest runs at a time across every machine that shares the database and a crashed holder's lock ends with
//   its connection.
// - Chunk ids are never reused: they are the vector index's labels, the citations' handles and the API's ids.
// - A store is made with one embedding model (its identity: file name, fingerprint, dimension) or with none
//   (lexical-only); see embedding/assertEmbedding/bindEmbedding.
// - Snapshots: a store can be copied without re-embedding (exportDocuments, copy.ts), because every vector is kept
//   with its chunk in the store's source of truth (SQLite's chunks.vector; a pgvector column in PostgreSQL); indexes
//   are derived.
//
// - Knowledge bases. Files belong to a named base (kb.ts: `default` always exists); a path is unique within its base.
//   Documents stay shared by content: the same bytes in two bases are one document, listed and cited per base. Every
//   read that returns documents, chunks or paths takes the bases it may see (KbScope), required so no caller can
//   forget it; searches filter inside the index so a small base still gets its k results.
//
// Outside the contract, beside it: the OCR page cache (ocrCache.ts) is its own SQLite file in the embedded store's
// folder; a server store keeps none yet (its pages are read again on re-ingest); the same rows (sha256, page, engine,
// dpi → text) would go in an `ocr_pages` table.
import type { EmbedderIdentity } from "../models/embedder.js";
import type { SourceLocation } from "./location.js";

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
  /** Space-joined lexical terms (see segment.ts): jieba words, scripts folded. The lexical index holds exactly these. */
  terms: string;
  /** Unit vector of the store's dimension, or null in a lexical-only store. */
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

/** The knowledge bases a read may see (at least one name; unknown names see nothing). */
export interface KbScope {
  kbs: readonly string[];
}

/** A knowledge base with its counts. */
export interface KnowledgeBase {
  name: string;
  createdAt: string;
  files: number;
  /** Distinct documents its files point to (a document shared with another base counts in both). */
  documents: number;
  chunks: number;
}

/** A file of the inbox as the store knows it (path relative to its base's inbox folder, '/' separators). */
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
  /** The document's files in the scope asked for, in path order (then base), first one the citation's source. */
  paths: string[];
  /** The same files with their base, in the same order. */
  sources: Array<{ kb: string; path: string }>;
}

/** A stored document as it was committed (its chunks with their terms and vectors) and the files that hold it. */
export interface ExportedDocument {
  document: NewDocument;
  /** In path order (then base), at least one, each with its base. */
  files: Array<{ kb: string; path: string; size: number; mtimeMs: number }>;
}

export interface FileListing {
  kb: string;
  path: string;
  documentId: number;
  kind: string;
  pages: number | null;
  chunks: number;
  bytes: number;
  ingestedAt: string;
}

export interface LexicalHit {
  chunkId: number;
  /** BM25, higher is better. */
  score: number;
}

/** What bringing a store's derived lexical index up to date did (refreshLexicalIndex). */
export interface LexicalIndexRefresh {
  action: "none" | "rebuilt" | "extended" | "dropped";
  /** Terms the index holds afterwards. */
  terms: number;
  /** Postings written. */
  postings: number;
  seconds: number;
}

export interface VectorHit {
  chunkId: number;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

/** The store's dense vectors as a search sees them. */
export interface VectorStatus {
  dimension: number;
  /** Live vectors (chunks with a vector). */
  count: number;
}

/** What opening a store repaired after a crash (derived indexes only; the source of truth needs no repair). */
export interface ReconcileReport {
  /** Vectors added back to the index from the source of truth (a run that stopped before saving the index). */
  restored: number;
  /** Labels in the index with no chunk (a run that stopped after deleting) now marked deleted. */
  orphansRemoved: number;
  /** The index was rebuilt to drop deleted labels or because its file was unreadable. */
  rebuilt: boolean;
  problem: string | null;
}

/** A retrieval calibration kept for an embedding model, with the vector count it was measured at. */
export interface SavedCalibration {
  chunks: number;
  calibration: unknown;
}

export interface OpenStoreOptions {
  /** Take the write lock (ingest, reset, delete) for the store's lifetime. Default false: a reader. */
  write?: boolean;
  /** Named in the lock so a refused writer learns who holds it. Default "ingest". */
  purpose?: string;
  /**
   * Load (and reconcile) the vectors for searching. Default true. False: a reader that only lists, counts or checks
   * (the embedded store then skips reading its HNSW file; vectorSearch finds nothing and vectorStatus is null).
   */
  vectors?: boolean;
  /**
   * How the embedded store's vector index keeps vectors (the `vectorPrecision` setting): used when its index is made
   * (a new store, or a new embedding model), and a writer converts an existing index of the other precision.
   * Undefined: keep the store's (new stores: float32). The server store ignores it.
   */
  vectorPrecision?: VectorPrecision;
}

/** float32 (hnswlib) or float16 (usearch: about half the memory per vector at the same recall). */
export type VectorPrecision = "float32" | "float16";

/** Which embedding model a store was built with: undefined = not decided yet, null = lexical-only. */
export type StoreEmbedding = EmbedderIdentity | null | undefined;

export type StoreTable = "documents" | "files" | "chunks";

export interface DocumentStore {
  /** Where the store is, for messages: an absolute folder, or a URL without its password. */
  readonly location: string;
  /** True when this handle holds the write lock. */
  readonly writable: boolean;
  /** What opening repaired (null: nothing needed repairing, or the store keeps no derived index). */
  readonly reconcileReport: ReconcileReport | null;

  // --- embedding identity ---------------------------------------------------------------------------------------

  /** The model the store's vectors were made with, read from the store each call (another process may bind it). */
  embedding(): Promise<StoreEmbedding>;
  /**
   * Rejects with EmbedderMismatchError (naming both models and the --reembed remedy) unless the store is empty,
   * undecided, or made with this model (by fingerprint; null: lexical-only). Called before loading a model.
   */
  assertEmbedding(expected: { name: string; fingerprint: string } | null): Promise<void>;
  /**
   * Ties the store to a model (null: lexical-only); a no-op when already tied to it. A store holding documents made
   * with another model refuses as assertEmbedding does. Writers only. Clears any vectors of a previous model.
   */
  bindEmbedding(identity: EmbedderIdentity | null): Promise<void>;
  /**
   * Drops every document, file, chunk, vector and calibration and forgets the model (for --reembed); the bases stay,
   * empty. One transaction: a crash leaves the old store or the empty one. Writers only.
   */
  reset(): Promise<void>;

  // --- knowledge bases ------------------------------------------------------------------------------------------

  /** Every base with its counts, by name (`default` always among them). */
  listKbs(): Promise<KnowledgeBase[]>;
  /** The bases' names alone, in listKbs's order: what a request's scope is checked against, without the counts. */
  kbNames(): Promise<string[]>;
  /** Adds an empty base; KbNameError for a bad name, KbExistsError for a taken one. Writers only. */
  createKb(name: string): Promise<void>;
  /** Renames a base with its files (not `default`); UnknownKbError, KbExistsError, KbNameError. Writers only. */
  renameKb(from: string, to: string): Promise<void>;
  /**
   * Deletes a base (not `default`), its files and the documents only they used, in one transaction; returns the
   * number of chunks removed. UnknownKbError when there is no such base. Writers only.
   */
  deleteKb(name: string): Promise<number>;

  // --- documents, files and chunks ------------------------------------------------------------------------------

  /** Rows in the whole store (every base): for operators and checks, never for a scoped caller. */
  count(table: StoreTable): Promise<number>;
  /** Every file of one base with its document's content hash, by path (what ingest compares the inbox with). */
  files(kb: string): Promise<Map<string, FileRecord>>;
  /** Every file of the bases in scope with its document's kind, pages and chunk count, by path then base. */
  listFiles(scope: KbScope): Promise<FileListing[]>;
  /** The document holding content with this SHA-256, if any. */
  documentIdForSha(sha256: string): Promise<number | undefined>;
  /**
   * Records one file of the inbox with its content: a new document (chunks, terms, vectors: all in one transaction,
   * so searches see it whole or not at all) or an existing one (same bytes under another path). A document no file
   * points to any more (the path's previous content) goes in the same transaction, its chunks, terms and vectors
   * with it. Writers only. `sameAs`: the document's first other path in the same base (path order) after the
   * commit, or null. UnknownKbError when the base does not exist.
   */
  commitFile(
    file: { kb: string; path: string; size: number; mtimeMs: number },
    content: { document: NewDocument } | { documentId: number },
  ): Promise<{ documentId: number; chunkIds: number[]; sameAs: string | null }>;
  /** New sizes/mtimes for files whose content did not change, in one transaction (one round trip). Writers only. */
  touchFiles(kb: string, files: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>): Promise<void>;
  /**
   * Forgets files of one base that left its inbox, and the documents only they used (a document another base still
   * lists stays), in one transaction. Unknown paths are ignored. Returns the number of chunks removed. Writers only.
   */
  removeFiles(kb: string, paths: readonly string[]): Promise<number>;
  /**
   * The chunks with these ids, in the order given, each with its document's paths in the scope; ids no longer stored,
   * or whose document has no file in the scope, are left out. One query whatever the count.
   */
  chunksByIds(ids: readonly number[], scope: KbScope): Promise<StoredChunk[]>;
  /** A document's whole extracted text and where each page starts in it ([] for files without pages); undefined: unknown id. */
  documentText(documentId: number): Promise<{ text: string; pageStarts: number[] } | undefined>;
  /**
   * Up to `count` ids of chunks that have vectors, spread evenly over the id order (calibration's probes): the i-th
   * of n such ids is taken when i = floor(j * n / count) for j = 0 … count-1.
   */
  sampleVectorChunkIds(count: number): Promise<number[]>;

  /**
   * Every document with its files and its chunks (terms and vectors included), in document order, reading
   * `batchSize` documents (default 64) per round: what `store copy` moves to another store without re-embedding.
   * Each document is read whole; documents committed or removed during the walk may or may not be seen.
   */
  exportDocuments(options?: { batchSize?: number }): AsyncGenerator<ExportedDocument>;

  // --- lexical search -------------------------------------------------------------------------------------------

  /**
   * BM25 over the chunks' lexical terms for the ORed query terms, best first, at most `limit`. Terms found in more
   * than commonTermShare of the chunks are left out (a query made only of such terms keeps its rarest one); stores
   * under 2,000 chunks keep every term. Every write, this handle's or another process's, is seen by the next search.
   * Only chunks of documents with a file in the scope's bases are ranked (a small base still gets `limit` hits).
   */
  lexicalSearch(terms: readonly string[], limit: number, scope: KbScope): Promise<LexicalHit[]>;

  // --- vectors --------------------------------------------------------------------------------------------------

  /**
   * Dimension and live count of the vectors a search can reach; null when there are none to search (lexical-only,
   * undecided, or opened with vectors: false). Cheap: kept in memory or cached, not counted per call, since every
   * retrieval asks.
   */
  vectorStatus(): Promise<VectorStatus | null>;
  /**
   * The `k` nearest chunks by cosine similarity, best first. `ef`: HNSW search breadth, default
   * defaultEfSearch(live vectors) (raised to k). Approximate; may return chunks deleted since (see chunksByIds).
   * Only chunks of documents with a file in `kbs` are candidates (filtered inside the search, so a small base still
   * gets k hits).
   */
  vectorSearch(query: Float32Array, k: number, options: KbScope & { ef?: number }): Promise<VectorHit[]>;
  /**
   * Makes this long-lived reader see vectors written since it opened (by its own process's writer or another's): the
   * server calls it after each ingest. The embedded store re-reads and reconciles its HNSW file; a store whose
   * vectors live in the database has nothing to do.
   */
  refreshVectors(): Promise<void>;
  /**
   * Makes derived vector indexes durable (the embedded store writes its HNSW file atomically, compacting it when
   * deleted labels pile up). Ingest calls it every 30 s and at the end; close() calls it too. Writers only; a no-op
   * elsewhere.
   */
  saveVectors(): Promise<void>;
  /**
   * Brings derived lexical indexes in line with the content after an ingest (the embedded store's packed posting lists
   * of common terms, which make cold lexical searches at a million chunks fast). Ingest and copy call it at the end.
   * Writers only; null where the store keeps none (PostgreSQL).
   */
  refreshLexicalIndex(): Promise<LexicalIndexRefresh | null>;

  // --- metadata -------------------------------------------------------------------------------------------------

  /** A retrieval calibration saved for an embedding model's fingerprint (see retrieval/calibrate.ts), or undefined. */
  readCalibration(fingerprint: string): Promise<SavedCalibration | undefined>;
  /**
   * Keeps a calibration. Any handle may call it, readers too (a tiny write that waits for a running ingest's commit);
   * it never fails: a read-only or busy store only means the probe runs again next time.
   */
  saveCalibration(fingerprint: string, value: SavedCalibration): Promise<void>;

  /** Saves vectors (writers), closes connections and releases the write lock. */
  close(): Promise<void>;
}

/** What `alpaca-rag check` finds: whether a store's parts agree (counts, and each problem in words). */
export interface CheckReport {
  ok: boolean;
  documents: number;
  files: number;
  chunks: number;
  vectors: number;
  embedding: string;
  problems: string[];
}
