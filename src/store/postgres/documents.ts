// The PostgreSQL store's documents, files and chunks: the SQL that writes a file's document (rows, lexical postings
// and vectors in one transaction, statistics with them), forgets files and the documents only they used, and reads
// chunks back for retrieval. Every write here runs inside a transaction the caller opened (store.ts).
import type pg from "pg";
import type { ChunkPlacement, ExportedDocument, FileListing, FileRecord, KbScope, NewDocument, StoredChunk, StoreTable } from "../contract.js";
import type { SourceLocation } from "../location.js";
import { requireKb } from "./kbs.js";
import { addPostings, postings, removePostings } from "./lexical.js";
import { inTransaction } from "./connection.js";
import { parseVector, vectorLiteral } from "./vectors.js";

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

export async function count(db: Queryable, table: StoreTable): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return result.rows[0].n;
}

export async function files(db: Queryable, kb: string): Promise<Map<string, FileRecord>> {
  const result = await db.query<{ path: string; document_id: number; sha256: string; size: number; mtime_ms: number }>(
    "SELECT f.path, f.document_id, d.sha256, f.size, f.mtime_ms FROM files f JOIN documents d ON d.id = f.document_id WHERE f.kb = $1",
    [kb],
  );
  return new Map(
    result.rows.map((r) => [r.path, { path: r.path, documentId: r.document_id, sha256: r.sha256, size: r.size, mtimeMs: r.mtime_ms }]),
  );
}

export async function listFiles(db: Queryable, scope: KbScope): Promise<FileListing[]> {
  if (scope.kbs.length === 0) return [];
  const result = await db.query<{
    kb: string;
    path: string;
    document_id: number;
    kind: string;
    pages: number | null;
    chunk_count: number;
    bytes: number;
    added_at: string;
  }>(
    `SELECT f.kb, f.path, f.document_id, d.kind, d.pages, d.chunk_count, d.bytes, f.added_at
     FROM files f JOIN documents d ON d.id = f.document_id WHERE f.kb = ANY($1::text[]) ORDER BY f.path, f.kb`,
    [[...scope.kbs]],
  );
  return result.rows.map((r) => ({
    kb: r.kb,
    path: r.path,
    documentId: r.document_id,
    kind: r.kind,
    pages: r.pages,
    chunks: r.chunk_count,
    bytes: r.bytes,
    ingestedAt: r.added_at,
  }));
}

export async function documentIdForSha(db: Queryable, sha256: string): Promise<number | undefined> {
  const result = await db.query<{ id: number }>("SELECT id FROM documents WHERE sha256 = $1", [sha256]);
  return result.rows[0]?.id;
}

/** Deletes the documents among `candidates` no file points to, their chunks, postings and statistics; returns the chunk count. */
export async function collectOrphanDocuments(client: Queryable, candidates: readonly number[]): Promise<number> {
  if (candidates.length === 0) return 0;
  const orphans = await client.query<{ id: number }>(
    "SELECT d.id FROM documents d WHERE d.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM files f WHERE f.document_id = d.id)",
    [[...new Set(candidates)]],
  );
  if (orphans.rows.length === 0) return 0;
  const documentIds = orphans.rows.map((r) => r.id);
  const chunks = await client.query<{ id: number; has_vector: boolean }>(
    "SELECT id, vector IS NOT NULL AS has_vector FROM chunks WHERE document_id = ANY($1::bigint[])",
    [documentIds],
  );
  const chunkIds = chunks.rows.map((r) => r.id);
  const length = await removePostings(client, chunkIds);
  const vectors = chunks.rows.filter((r) => r.has_vector).length;
  await client.query("UPDATE store_totals SET chunks = chunks - $1, term_length = term_length - $2, vectors = vectors - $3", [
    chunkIds.length,
    length,
    vectors,
  ]);
  // Chunks and their postings go by cascade.
  await client.query("DELETE FROM documents WHERE id = ANY($1::bigint[])", [documentIds]);
  return chunkIds.length;
}

/** See DocumentStore.commitFile; `client` is inside the commit's transaction. */
export async function commitFile(
  client: Queryable,
  file: { kb: string; path: string; size: number; mtimeMs: number },
  content: { document: NewDocument } | { documentId: number },
): Promise<{ documentId: number; chunkIds: number[]; sameAs: string | null }> {
  // The base's row stays locked until the commit, so it cannot be deleted under the file being written into it.
  await requireKb(client, file.kb, true);
  const now = new Date().toISOString();
  let documentId: number;
  let sameAs: string | null = null;
  let chunkIds: number[] = [];
  if ("document" in content) {
    // One statement for the document and its chunks, one for the postings and statistics: each round trip to the
    // server costs more than the work in it on a busy machine.
    const d = content.document;
    const c = d.chunks;
    const posted = c.map((x) => postings(x.terms));
    const inserted = await client.query<{ document_id: number; chunk_ids: number[] }>(
      `WITH doc AS (
         INSERT INTO documents(sha256, kind, bytes, pages, encoding, text, page_starts, chunk_count, ingested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id),
       added AS (
         INSERT INTO chunks(document_id, idx, text, page, page_end, char_start, char_end, section, location, token_count, terms, term_count, vector)
         SELECT doc.id, u.* FROM doc, unnest($10::int[], $11::text[], $12::int[], $13::int[], $14::int[], $15::int[], $16::text[], $17::jsonb[],
                                            $18::int[], $19::text[], $20::int[], $21::vector[]) AS u
         RETURNING id, idx)
       SELECT (SELECT id FROM doc) AS document_id, (SELECT coalesce(json_agg(id ORDER BY idx), '[]'::json) FROM added) AS chunk_ids`,
      [
        d.sha256,
        d.kind,
        d.bytes,
        d.pages,
        d.encoding,
        d.text,
        JSON.stringify(d.pageStarts),
        c.length,
        now,
        c.map((x) => x.index),
        c.map((x) => x.text),
        c.map((x) => x.page),
        c.map((x) => x.pageEnd),
        c.map((x) => x.charStart),
        c.map((x) => x.charEnd),
        c.map((x) => x.section),
        c.map((x) => (x.location ? JSON.stringify(x.location) : null)),
        c.map((x) => x.tokenCount),
        c.map((x) => x.terms),
        posted.map((p) => p.length),
        c.map((x) => (x.vector ? vectorLiteral(x.vector) : null)),
      ],
    );
    documentId = inserted.rows[0].document_id;
    chunkIds = inserted.rows[0].chunk_ids;
    if (c.length > 0)
      await addPostings(
        client,
        chunkIds.map((id, i) => ({ id, postings: posted[i] })),
        c.filter((x) => x.vector).length,
      );
  } else {
    documentId = content.documentId;
    const other = await client.query<{ path: string | null }>(
      "SELECT min(path) AS path FROM files WHERE document_id = $1 AND kb = $2 AND path <> $3",
      [documentId, file.kb, file.path],
    );
    sameAs = other.rows[0].path;
  }
  // The path's previous document (read in the statement's snapshot, before the upsert) and the upsert itself.
  const previous = await client.query<{ before: number | null }>(
    `WITH previous AS (SELECT document_id FROM files WHERE kb = $6 AND path = $1),
          upsert AS (
            INSERT INTO files(kb, path, document_id, size, mtime_ms, added_at) VALUES ($6, $1, $2, $3, $4, $5)
            ON CONFLICT (kb, path) DO UPDATE SET document_id = excluded.document_id, size = excluded.size, mtime_ms = excluded.mtime_ms)
     SELECT (SELECT document_id FROM previous) AS before`,
    [file.path, documentId, file.size, file.mtimeMs, now, file.kb],
  );
  const before = previous.rows[0].before ?? undefined;
  if (before !== undefined && before !== documentId) await collectOrphanDocuments(client, [before]);
  return { documentId, chunkIds, sameAs };
}

export async function touchFiles(client: Queryable, kb: string, list: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>): Promise<void> {
  await client.query(
    `UPDATE files f SET size = t.size, mtime_ms = t.mtime_ms
     FROM unnest($1::text[], $2::bigint[], $3::float8[]) AS t(path, size, mtime_ms) WHERE f.kb = $4 AND f.path = t.path`,
    [list.map((f) => f.path), list.map((f) => f.size), list.map((f) => f.mtimeMs), kb],
  );
}

/** Forgets files and the documents only they used; returns the number of chunks removed. */
export async function removeFiles(client: Queryable, kb: string, paths: readonly string[]): Promise<number> {
  const deleted = await client.query<{ document_id: number }>("DELETE FROM files WHERE kb = $1 AND path = ANY($2::text[]) RETURNING document_id", [
    kb,
    [...paths],
  ]);
  return collectOrphanDocuments(client, deleted.rows.map((r) => r.document_id));
}

/** Drops every document, file, chunk, posting and statistic (the caller resets the metadata in the same transaction). */
export async function deleteAll(client: Queryable): Promise<void> {
  await client.query("TRUNCATE chunk_terms, term_stats, chunks, files, documents");
  await client.query("UPDATE store_totals SET chunks = 0, term_length = 0, vectors = 0");
}

/** A documents row as exportDocuments selects it: NewDocument's own fields, its id and page starts. */
type DocumentRow = Pick<NewDocument, "sha256" | "kind" | "bytes" | "pages" | "encoding" | "text"> & { id: number; page_starts: number[] };

/** A chunk's placement columns as the queries below select them. */
interface PlacementRow {
  idx: number;
  text: string;
  page: number | null;
  page_end: number | null;
  char_start: number;
  char_end: number;
  section: string | null;
  location: SourceLocation | null;
  token_count: number;
}

function placementOf(r: PlacementRow): ChunkPlacement & { location: SourceLocation | null } {
  return {
    index: r.idx,
    text: r.text,
    page: r.page,
    pageEnd: r.page_end,
    charStart: r.char_start,
    charEnd: r.char_end,
    section: r.section,
    location: r.location,
    tokenCount: r.token_count,
  };
}

export async function chunksByIds(db: Queryable, ids: readonly number[], scope: KbScope): Promise<StoredChunk[]> {
  if (ids.length === 0 || scope.kbs.length === 0) return [];
  const result = await db.query<PlacementRow & { id: number; document_id: number; sources: Array<{ kb: string; path: string }> }>(
    // Each chunk's files in scope, in path order then base; a chunk with none is out of scope and left out.
    `SELECT * FROM (
       SELECT c.id, c.document_id, c.idx, c.text, c.page, c.page_end, c.char_start, c.char_end, c.section, c.location, c.token_count,
              (SELECT json_agg(json_build_object('kb', f.kb, 'path', f.path) ORDER BY f.path, f.kb) FROM files f
               WHERE f.document_id = c.document_id AND f.kb = ANY($2::text[])) AS sources
       FROM chunks c WHERE c.id = ANY($1::bigint[])) scoped
     WHERE sources IS NOT NULL`,
    [[...ids], [...scope.kbs]],
  );
  const byId = new Map(
    result.rows.map((r) => [
      r.id,
      {
        ...placementOf(r),
        id: r.id,
        documentId: r.document_id,
        paths: r.sources.map((f) => f.path),
        sources: r.sources,
      } satisfies StoredChunk,
    ]),
  );
  return ids.map((id) => byId.get(id)).filter((c): c is StoredChunk => c !== undefined);
}

/** See DocumentStore.documentText. */
export async function documentText(db: Queryable, documentId: number): Promise<{ text: string; pageStarts: number[] } | undefined> {
  const { rows } = await db.query<{ text: string; page_starts: number[] }>("SELECT text, page_starts FROM documents WHERE id = $1", [documentId]);
  return rows[0] && { text: rows[0].text, pageStarts: rows[0].page_starts };
}

/** See DocumentStore.sampleVectorChunkIds. */
export async function sampleVectorChunkIds(db: Queryable, n: number): Promise<number[]> {
  const result = await db.query<{ id: number }>("SELECT id FROM chunks WHERE vector IS NOT NULL ORDER BY id");
  const ids = result.rows.map((r) => r.id);
  const k = Math.min(Math.max(0, Math.floor(n)), ids.length);
  return Array.from({ length: k }, (_, i) => ids[Math.floor((i * ids.length) / k)]);
}

/** See DocumentStore.exportDocuments: `batchSize` documents per round, each read whole in one snapshot. */
export async function* exportDocuments(pool: pg.Pool, batchSize: number): AsyncGenerator<ExportedDocument> {
  let after = 0;
  for (;;) {
    const batch = await inTransaction(
      pool,
      async (client) => {
        const docs = await client.query<DocumentRow>(
          "SELECT id, sha256, kind, bytes, pages, encoding, text, page_starts FROM documents WHERE id > $1 ORDER BY id LIMIT $2",
          [after, batchSize],
        );
        const ids = docs.rows.map((d) => d.id);
        const fileRows = await client.query<{ document_id: number; kb: string; path: string; size: number; mtime_ms: number }>(
          "SELECT document_id, kb, path, size, mtime_ms FROM files WHERE document_id = ANY($1::bigint[]) ORDER BY path, kb",
          [ids],
        );
        const chunkRows = await client.query<PlacementRow & { document_id: number; terms: string; vector: string | null }>(
          `SELECT document_id, idx, text, page, page_end, char_start, char_end, section, location, token_count, terms, vector::text AS vector
           FROM chunks WHERE document_id = ANY($1::bigint[]) ORDER BY document_id, idx`,
          [ids],
        );
        const exported = docs.rows.map(
          (d): ExportedDocument => ({
            document: {
              sha256: d.sha256,
              kind: d.kind,
              bytes: d.bytes,
              pages: d.pages,
              encoding: d.encoding,
              text: d.text,
              pageStarts: d.page_starts,
              chunks: chunkRows.rows
                .filter((c) => c.document_id === d.id)
                .map((c) => ({ ...placementOf(c), terms: c.terms, vector: c.vector === null ? null : parseVector(c.vector) })),
            },
            files: fileRows.rows.filter((f) => f.document_id === d.id).map((f) => ({ kb: f.kb, path: f.path, size: f.size, mtimeMs: f.mtime_ms })),
          }),
        );
        return { exported, last: ids.length ? ids[ids.length - 1] : after };
      },
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    );
    if (batch.exported.length === 0) return;
    for (const d of batch.exported) if (d.files.length > 0) yield d;
    after = batch.last;
  }
}
