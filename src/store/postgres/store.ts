// The server store (PostgresStore): documents, chunks, lexical postings and vectors in one PostgreSQL database with
// pgvector, shared by every server and ingest that names the same URL. The database is the only truth (vectors
// included, indexes inside it), so there is nothing to reconcile on open. Composes connection.ts (pool, errors),
// migrations.ts (schema), documents.ts (rows), kbs.ts (knowledge bases), lexical.ts (BM25 in SQL), vectors.ts (HNSW) and lock.ts (the
// advisory write lock); the contract is contract.ts.
import type pg from "pg";
import type { EmbedderIdentity } from "../../models/embedder.js";
import type {
  DocumentStore,
  ExportedDocument,
  FileListing,
  FileRecord,
  KbScope,
  KnowledgeBase,
  LexicalHit,
  NewDocument,
  OpenStoreOptions,
  ReconcileReport,
  SavedCalibration,
  StoredChunk,
  StoreEmbedding,
  StoreTable,
  VectorHit,
  VectorStatus,
} from "../contract.js";
import { embeddingMismatch, parseEmbedding, sameEmbedding } from "../embedding.js";
import { StoreUnavailableError } from "../errors.js";
import { createPool, inTransaction, openFailure, redactUrl, useFailure } from "./connection.js";
import * as documents from "./documents.js";
import * as kbs from "./kbs.js";
import { lexicalSearch } from "./lexical.js";
import { PostgresWriteLock } from "./lock.js";
import { migrate } from "./migrations.js";
import { replaceVectorIndex, vectorSearch } from "./vectors.js";

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

async function readMeta(db: Queryable, key: string): Promise<string | undefined> {
  const result = await db.query<{ value: string }>("SELECT value FROM meta WHERE key = $1", [key]);
  return result.rows[0]?.value;
}

async function writeMeta(db: Queryable, key: string, value: string | null): Promise<void> {
  if (value === null) await db.query("DELETE FROM meta WHERE key = $1", [key]);
  else await db.query("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
}

export class PostgresStore implements DocumentStore {
  readonly reconcileReport: ReconcileReport | null = null;

  private constructor(
    /** The URL without its password. */
    readonly location: string,
    /** The connection pool: for check and for tests that inspect the database. */
    readonly pool: pg.Pool,
    private readonly lock: PostgresWriteLock | null,
    private readonly withVectors: boolean,
  ) {}

  /**
   * Connects to the database at `url`, applies missing migrations and, for a writer, takes the write lock. A URL that
   * names nothing usable (unknown host, refused port, missing database, no pgvector) is refused with
   * StoreTargetError naming the URL without its password.
   */
  static async open(url: string, options: OpenStoreOptions = {}): Promise<PostgresStore> {
    const location = redactUrl(url);
    const pool = createPool(url);
    let lock: PostgresWriteLock | null = null;
    try {
      try {
        await migrate(pool, location);
      } catch (e) {
        throw openFailure(location, e);
      }
      if (options.write) lock = await PostgresWriteLock.acquire(url, location, options.purpose ?? "ingest");
      return new PostgresStore(location, pool, lock, options.vectors !== false);
    } catch (e) {
      await lock?.release();
      await pool.end().catch(() => {});
      throw e;
    }
  }

  get writable(): boolean {
    return this.lock !== null;
  }

  /** Runs a database call, turning a lost connection into StoreUnavailableError. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      throw useFailure(this.location, e);
    }
  }

  /** A write: needs the lock still held; one transaction. */
  private async write<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (!this.lock) throw new Error(`${this.location}: ${what} needs the write lock (open the store with write: true)`);
    const lost = this.lock.failure;
    if (lost)
      throw new StoreUnavailableError(`store ${this.location}: the write lock was lost with its connection (${lost.message}); reopen the store`);
    return this.guard(() => inTransaction(this.pool, work));
  }

  async embedding(): Promise<StoreEmbedding> {
    return this.guard(async () => parseEmbedding(await readMeta(this.pool, "embedding")));
  }

  async assertEmbedding(expected: { name: string; fingerprint: string } | null): Promise<void> {
    const current = await this.embedding();
    if (current === undefined) return;
    const refusal = embeddingMismatch(this.location, current, await this.count("documents"), expected);
    if (refusal) throw refusal;
  }

  async bindEmbedding(identity: EmbedderIdentity | null): Promise<void> {
    if (sameEmbedding(await this.embedding(), identity)) return;
    await this.write("binding an embedding model", async (client) => {
      const current = parseEmbedding(await readMeta(client, "embedding"));
      const refusal = embeddingMismatch(this.location, current, await documents.count(client, "documents"), identity);
      if (refusal) throw refusal;
      await writeMeta(client, "embedding", identity === null ? "none" : JSON.stringify(identity));
      // Vectors of a previous model go (the store is empty of documents here, so this is cheap).
      await client.query("UPDATE chunks SET vector = NULL WHERE vector IS NOT NULL");
      await client.query("UPDATE store_totals SET vectors = 0");
      await replaceVectorIndex(client, identity === null ? null : identity.dimension);
    });
  }

  async reset(): Promise<void> {
    await this.write("reset", async (client) => {
      await documents.deleteAll(client);
      await client.query("DELETE FROM meta WHERE key LIKE 'calibration:%' OR key = 'embedding'");
      await replaceVectorIndex(client, null);
    });
  }

  async listKbs(): Promise<KnowledgeBase[]> {
    return this.guard(() => kbs.listKbs(this.pool));
  }

  async kbNames(): Promise<string[]> {
    return this.guard(() => kbs.kbNames(this.pool));
  }

  async createKb(name: string): Promise<void> {
    await this.write("createKb", (client) => kbs.createKb(client, name));
  }

  async renameKb(from: string, to: string): Promise<void> {
    await this.write("renameKb", (client) => kbs.renameKb(client, from, to));
  }

  async deleteKb(name: string): Promise<number> {
    return this.write("deleteKb", async (client) => documents.collectOrphanDocuments(client, await kbs.deleteKbFiles(client, name)));
  }

  async count(table: StoreTable): Promise<number> {
    return this.guard(() => documents.count(this.pool, table));
  }

  async files(kb: string): Promise<Map<string, FileRecord>> {
    return this.guard(() => documents.files(this.pool, kb));
  }

  async listFiles(scope: KbScope): Promise<FileListing[]> {
    return this.guard(() => documents.listFiles(this.pool, scope));
  }

  async documentIdForSha(sha256: string): Promise<number | undefined> {
    return this.guard(() => documents.documentIdForSha(this.pool, sha256));
  }

  async commitFile(
    file: { kb: string; path: string; size: number; mtimeMs: number },
    content: { document: NewDocument } | { documentId: number },
  ): Promise<{ documentId: number; chunkIds: number[]; sameAs: string | null }> {
    return this.write("commitFile", (client) => documents.commitFile(client, file, content));
  }

  async touchFiles(kb: string, list: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>): Promise<void> {
    if (!this.lock) throw new Error(`${this.location}: touchFiles needs the write lock (open the store with write: true)`);
    if (list.length === 0) return;
    await this.write("touchFiles", (client) => documents.touchFiles(client, kb, list));
  }

  async removeFiles(kb: string, paths: readonly string[]): Promise<number> {
    if (!this.lock) throw new Error(`${this.location}: removeFiles needs the write lock (open the store with write: true)`);
    if (paths.length === 0) return 0;
    return this.write("removeFiles", (client) => documents.removeFiles(client, kb, paths));
  }

  async chunksByIds(ids: readonly number[], scope: KbScope): Promise<StoredChunk[]> {
    return this.guard(() => documents.chunksByIds(this.pool, ids, scope));
  }

  async documentText(documentId: number): Promise<{ text: string; pageStarts: number[] } | undefined> {
    return this.guard(() => documents.documentText(this.pool, documentId));
  }

  async sampleVectorChunkIds(count: number): Promise<number[]> {
    return this.guard(() => documents.sampleVectorChunkIds(this.pool, count));
  }

  exportDocuments(options: { batchSize?: number } = {}): AsyncGenerator<ExportedDocument> {
    return this.guardEach(documents.exportDocuments(this.pool, options.batchSize ?? 64));
  }

  /** guard() for each step of a walk. */
  private async *guardEach<T>(walk: AsyncGenerator<T>): AsyncGenerator<T> {
    try {
      yield* walk;
    } catch (e) {
      throw useFailure(this.location, e);
    }
  }

  async lexicalSearch(terms: readonly string[], limit: number, scope: KbScope): Promise<LexicalHit[]> {
    return this.guard(() => lexicalSearch(this.pool, terms, limit, scope));
  }

  async vectorStatus(): Promise<VectorStatus | null> {
    if (!this.withVectors) return null;
    return this.guard(async () => {
      // One round trip: the model and the live count (kept by every commit, so nothing is counted here).
      const result = await this.pool.query<{ embedding: string | null; vectors: number }>(
        "SELECT (SELECT value FROM meta WHERE key = 'embedding') AS embedding, vectors FROM store_totals",
      );
      const identity = parseEmbedding(result.rows[0].embedding);
      return identity ? { dimension: identity.dimension, count: result.rows[0].vectors } : null;
    });
  }

  async vectorSearch(query: Float32Array, k: number, options: KbScope & { ef?: number }): Promise<VectorHit[]> {
    if (options.kbs.length === 0) return [];
    const status = await this.vectorStatus();
    if (!status) return [];
    return this.guard(() => vectorSearch(this.pool, status.dimension, status.count, query, k, options.kbs, options.ef));
  }

  /** Nothing to do: the vectors live in the database, and every search sees every commit. */
  async refreshVectors(): Promise<void> {}

  /** Nothing to do: the HNSW index is inside the database and follows each commit. */
  async saveVectors(): Promise<void> {}

  async refreshLexicalIndex(): Promise<null> {
    return null;
  }

  async readCalibration(fingerprint: string): Promise<SavedCalibration | undefined> {
    return this.guard(async () => {
      const raw = await readMeta(this.pool, `calibration:${fingerprint}`);
      return raw === undefined ? undefined : (JSON.parse(raw) as SavedCalibration);
    });
  }

  async saveCalibration(fingerprint: string, value: SavedCalibration): Promise<void> {
    try {
      await writeMeta(this.pool, `calibration:${fingerprint}`, JSON.stringify(value));
    } catch {
      // An unreachable database only means the probe runs again next time.
    }
  }

  async close(): Promise<void> {
    try {
      await this.lock?.release();
    } finally {
      await this.pool.end().catch(() => {});
    }
  }
}
