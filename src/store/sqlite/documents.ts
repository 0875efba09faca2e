// The embedded store's documents, files and chunks: the SQL that writes a file's document (rows, lexical terms and
// vectors in one transaction), forgets files and the documents only they used, and reads chunks back for retrieval.
import type { SourceLocation } from "../location.js";
import type { ChunkPlacement, ExportedDocument, FileListing, FileRecord, KbScope, KnowledgeBase, NewDocument, StoredChunk, StoreTable } from "../contract.js";
import { assertKbName, defaultKb, KbExistsError, KbNameError, UnknownKbError } from "../kb.js";
import type { StoreDatabase } from "./database.js";
import { dropPackedPostings } from "./packedPostings.js";

function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function blobToVector(blob: Buffer): Float32Array {
  // Copy: better-sqlite3's buffers may not be 4-byte aligned.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/** What a commit changed that the vector index must follow once SQLite has committed. */
export interface CommitResult {
  documentId: number;
  chunkIds: number[];
  sameAs: string | null;
  /** Vectors of the new chunks. */
  added: Array<{ id: number; vector: Float32Array }>;
  /** Chunk ids of documents no file points to any more (gone with their document). */
  removed: number[];
}

/** The documents columns that map one to one onto NewDocument's fields. */
type DocumentColumns = Pick<NewDocument, "sha256" | "kind" | "bytes" | "pages" | "encoding" | "text">;

/** A chunk's placement columns (idx, text, page, page_end, char_start, char_end, section, location, token_count) as stored. */
function placementOf(r: Record<string, unknown>): ChunkPlacement & { location: SourceLocation | null } {
  return {
    index: r.idx as number,
    text: r.text as string,
    page: r.page as number | null,
    pageEnd: r.page_end as number | null,
    charStart: r.char_start as number,
    charEnd: r.char_end as number,
    section: r.section as string | null,
    location: r.location === null ? null : (JSON.parse(r.location as string) as SourceLocation),
    tokenCount: r.token_count as number,
  };
}

export class SqliteDocuments {
  constructor(private readonly db: StoreDatabase) {}

  count(table: StoreTable): number {
    return this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  }

  // --- knowledge bases ----------------------------------------------------------------------------------------

  hasKb(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM knowledge_bases WHERE name = ?").pluck().get(name) !== undefined;
  }

  kbNames(): string[] {
    return this.db.prepare("SELECT name FROM knowledge_bases ORDER BY name").pluck().all() as string[];
  }

  listKbs(): KnowledgeBase[] {
    return (
      this.db
        .prepare(
          `SELECT k.name, k.created_at,
                  (SELECT count(*) FROM files f WHERE f.kb = k.name),
                  (SELECT count(DISTINCT f.document_id) FROM files f WHERE f.kb = k.name),
                  (SELECT coalesce(sum(d.chunk_count), 0) FROM documents d
                     WHERE d.id IN (SELECT f.document_id FROM files f WHERE f.kb = k.name))
           FROM knowledge_bases k ORDER BY k.name`,
        )
        .raw()
        .all() as Array<[string, string, number, number, number]>
    ).map(([name, createdAt, files, documents, chunks]) => ({ name, createdAt, files, documents, chunks }));
  }

  createKb(name: string): void {
    assertKbName(name);
    if (this.hasKb(name)) throw new KbExistsError(name);
    this.db.prepare("INSERT INTO knowledge_bases(name, created_at) VALUES (?, ?)").run(name, new Date().toISOString());
  }

  renameKb(from: string, to: string): void {
    if (!this.hasKb(from)) throw new UnknownKbError(from);
    if (from === defaultKb) throw new KbNameError(`the "${defaultKb}" knowledge base cannot be renamed`);
    assertKbName(to);
    if (this.hasKb(to)) throw new KbExistsError(to);
    // files.kb follows through ON UPDATE CASCADE, in the same statement.
    this.db.prepare("UPDATE knowledge_bases SET name = ? WHERE name = ?").run(to, from);
  }

  /** Deletes a base, its files and the documents only they used, in one transaction; returns the removed chunk ids. */
  deleteKb(name: string): number[] {
    if (!this.hasKb(name)) throw new UnknownKbError(name);
    if (name === defaultKb) throw new KbNameError(`the "${defaultKb}" knowledge base cannot be deleted`);
    return this.db.transaction(() => {
      const documents = this.db.prepare("SELECT DISTINCT document_id FROM files WHERE kb = ?").pluck().all(name) as number[];
      this.db.prepare("DELETE FROM files WHERE kb = ?").run(name);
      this.db.prepare("DELETE FROM knowledge_bases WHERE name = ?").run(name);
      return this.collectOrphanDocuments(documents);
    })();
  }

  private requireKb(name: string): void {
    if (!this.hasKb(name)) throw new UnknownKbError(name);
  }

  // --- files ----------------------------------------------------------------------------------------------------

  files(kb: string): Map<string, FileRecord> {
    const rows = this.db
      .prepare("SELECT f.path, f.document_id, d.sha256, f.size, f.mtime_ms FROM files f JOIN documents d ON d.id = f.document_id WHERE f.kb = ?")
      .raw()
      .all(kb) as Array<[string, number, string, number, number]>;
    return new Map(rows.map(([p, documentId, sha256, size, mtimeMs]) => [p, { path: p, documentId, sha256, size, mtimeMs }]));
  }

  listFiles(scope: KbScope): FileListing[] {
    return (
      this.db
        .prepare(
          `SELECT f.kb, f.path, f.document_id, d.kind, d.pages, d.chunk_count, d.bytes, f.added_at
           FROM files f JOIN documents d ON d.id = f.document_id
           WHERE f.kb IN (SELECT value FROM json_each(?)) ORDER BY f.path, f.kb`,
        )
        .raw()
        .all(JSON.stringify(scope.kbs)) as Array<[string, string, number, string, number | null, number, number, string]>
    ).map(([kb, p, documentId, kind, pages, chunks, bytes, ingestedAt]) => ({ kb, path: p, documentId, kind, pages, chunks, bytes, ingestedAt }));
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

  /** See DocumentStore.commitFile: one transaction; the caller updates the vector index after it. */
  commitFile(
    file: { kb: string; path: string; size: number; mtimeMs: number },
    content: { document: NewDocument } | { documentId: number },
  ): CommitResult {
    this.requireKb(file.kb);
    const insertDocument = this.db.prepare(
      `INSERT INTO documents(sha256, kind, bytes, pages, encoding, text, page_starts, chunk_count, ingested_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertChunk = this.db.prepare(
      `INSERT INTO chunks(document_id, idx, text, page, page_end, char_start, char_end, section, location, token_count, vector)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertTerms = this.db.prepare("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)");
    const previous = this.db.prepare("SELECT document_id FROM files WHERE kb = ? AND path = ?").pluck();
    const upsertFile = this.db.prepare(
      `INSERT INTO files(kb, path, document_id, size, mtime_ms, added_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(kb, path) DO UPDATE SET document_id = excluded.document_id, size = excluded.size, mtime_ms = excluded.mtime_ms`,
    );
    const now = new Date().toISOString();
    return this.db.transaction((): CommitResult => {
      let documentId: number;
      let sameAs: string | null = null;
      const chunkIds: number[] = [];
      const added: CommitResult["added"] = [];
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
      } else {
        documentId = content.documentId;
        // Only the same base's paths: a file of another base is not this base's business (nor its name).
        sameAs = this.db
          .prepare("SELECT min(path) FROM files WHERE document_id = ? AND kb = ? AND path != ?")
          .pluck()
          .get(documentId, file.kb, file.path) as string | null;
      }
      const before = previous.get(file.kb, file.path) as number | undefined;
      upsertFile.run(file.kb, file.path, documentId, file.size, file.mtimeMs, now);
      const removed = before !== undefined && before !== documentId ? this.collectOrphanDocuments([before]) : [];
      return { documentId, chunkIds, sameAs, added, removed };
    })();
  }

  touchFiles(kb: string, files: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>): void {
    if (files.length === 0) return;
    const touch = this.db.prepare("UPDATE files SET size = ?, mtime_ms = ? WHERE kb = ? AND path = ?");
    this.db.transaction(() => {
      for (const f of files) touch.run(f.size, f.mtimeMs, kb, f.path);
    })();
  }

  /** Forgets files and the documents only they used, in one transaction; returns the removed chunks' ids. */
  removeFiles(kb: string, paths: readonly string[]): number[] {
    if (paths.length === 0) return [];
    const documentOf = this.db.prepare("SELECT document_id FROM files WHERE kb = ? AND path = ?").pluck();
    const deleteFile = this.db.prepare("DELETE FROM files WHERE kb = ? AND path = ?");
    return this.db.transaction(() => {
      const documents: number[] = [];
      for (const p of paths) {
        const id = documentOf.get(kb, p) as number | undefined;
        if (id === undefined) continue;
        documents.push(id);
        deleteFile.run(kb, p);
      }
      return this.collectOrphanDocuments(documents);
    })();
  }

  /** Drops every document, file, chunk and lexical row (the caller resets the metadata in the same transaction). */
  deleteAll(): void {
    // First, so that its trigger does not record each deleted chunk.
    dropPackedPostings(this.db);
    this.db.exec("DELETE FROM chunks; DELETE FROM files; DELETE FROM documents; DELETE FROM chunks_fts;");
  }

  chunksByIds(ids: readonly number[], scope: KbScope): StoredChunk[] {
    if (ids.length === 0 || scope.kbs.length === 0) return [];
    // Each chunk's files in scope as JSON [[kb, path], …] in path order; a chunk with none is out of scope.
    const rows = this.db
      .prepare(
        `SELECT * FROM (
           SELECT c.id, c.document_id, c.idx, c.text, c.page, c.page_end, c.char_start, c.char_end, c.section, c.location, c.token_count,
                  (SELECT json_group_array(json_array(kb, path)) FROM
                     (SELECT kb, path FROM files WHERE document_id = c.document_id AND kb IN (SELECT value FROM json_each(@kbs))
                      ORDER BY path, kb)) AS sources
           FROM chunks c WHERE c.id IN (SELECT value FROM json_each(@ids)))
         WHERE sources != '[]'`,
      )
      .all({ ids: JSON.stringify(ids), kbs: JSON.stringify(scope.kbs) }) as Array<Record<string, unknown>>;
    const byId = new Map(
      rows.map((r) => [
        r.id as number,
        {
          id: r.id as number,
          documentId: r.document_id as number,
          ...placementOf(r),
          ...sourcesOf(r.sources as string),
        } satisfies StoredChunk,
      ]),
    );
    return ids.map((id) => byId.get(id)).filter((c): c is StoredChunk => c !== undefined);
  }

  /** See DocumentStore.documentText. */
  documentText(documentId: number): { text: string; pageStarts: number[] } | undefined {
    const row = this.db.prepare("SELECT text, page_starts FROM documents WHERE id = ?").get(documentId) as { text: string; page_starts: string } | undefined;
    return row && { text: row.text, pageStarts: JSON.parse(row.page_starts) as number[] };
  }

  /** Ids of the chunks with vectors whose document has a file in one of `kbs` (a scoped vector search's candidates). */
  vectorChunkIdsIn(kbs: readonly string[]): Set<number> {
    const ids = this.db
      .prepare(
        `SELECT c.id FROM chunks c WHERE c.vector IS NOT NULL AND c.document_id IN
           (SELECT document_id FROM files WHERE kb IN (SELECT value FROM json_each(?)))`,
      )
      .pluck()
      .all(JSON.stringify(kbs)) as number[];
    return new Set(ids);
  }

  /** See DocumentStore.sampleVectorChunkIds. */
  sampleVectorChunkIds(count: number): number[] {
    const ids = this.db.prepare("SELECT id FROM chunks WHERE vector IS NOT NULL ORDER BY id").pluck().all() as number[];
    const n = Math.min(Math.max(0, Math.floor(count)), ids.length);
    return Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]);
  }

  /** One round of DocumentStore.exportDocuments: up to `batchSize` documents after id `after`, each whole. */
  exportBatch(after: number, batchSize: number): { exported: ExportedDocument[]; last: number } {
    return this.db.transaction(() => {
      const docs = this.db
        .prepare("SELECT id, sha256, kind, bytes, pages, encoding, text, page_starts FROM documents WHERE id > ? ORDER BY id LIMIT ?")
        .all(after, batchSize) as Array<DocumentColumns & { id: number; page_starts: string }>;
      const filesOf = this.db.prepare("SELECT kb, path, size, mtime_ms FROM files WHERE document_id = ? ORDER BY path, kb");
      const chunksOf = this.db.prepare(
        `SELECT c.idx, c.text, c.page, c.page_end, c.char_start, c.char_end, c.section, c.location, c.token_count, c.vector, f.terms
         FROM chunks c LEFT JOIN chunks_fts f ON f.rowid = c.id WHERE c.document_id = ? ORDER BY c.idx`,
      );
      const exported = docs.map((d): ExportedDocument => {
        const chunks = chunksOf.all(d.id) as Array<Record<string, unknown>>;
        return {
          document: {
            sha256: d.sha256,
            kind: d.kind,
            bytes: d.bytes,
            pages: d.pages,
            encoding: d.encoding,
            text: d.text,
            pageStarts: JSON.parse(d.page_starts) as number[],
            chunks: chunks.map((c) => ({
              ...placementOf(c),
              terms: (c.terms as string | null) ?? "",
              vector: c.vector === null ? null : blobToVector(c.vector as Buffer),
            })),
          },
          files: (filesOf.all(d.id) as Array<{ kb: string; path: string; size: number; mtime_ms: number }>).map((f) => ({
            kb: f.kb,
            path: f.path,
            size: f.size,
            mtimeMs: f.mtime_ms,
          })),
        };
      });
      return { exported, last: docs.length ? docs[docs.length - 1].id : after };
    })();
  }
}

function sourcesOf(json: string): { paths: string[]; sources: Array<{ kb: string; path: string }> } {
  const sources = (JSON.parse(json) as Array<[string, string]>).map(([kb, path]) => ({ kb, path }));
  return { paths: sources.map((s) => s.path), sources };
}
