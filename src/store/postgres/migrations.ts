// The PostgreSQL store's schema as numbered migrations, each one SQL step applied once, in order, in its own
// transaction, and recorded in schema_migrations. Applied when a store opens and by `alpaca-rag migrate`; concurrent
// openers (several servers starting at once) queue on a transaction-level advisory lock, so each step runs once.
//
// Vectors: chunks.vector is `vector` without a dimension. The dimension belongs to the store's embedding model, which
// is bound after the schema exists and may change on --reembed; so the only object that depends on it is the HNSW
// index, an expression index over `vector::vector(n)` made when the model is bound (vectors.ts). The schema stays the
// same for every model and a re-embed with another dimension never rewrites the table.
//
// Lexical: chunk_terms is an inverted index of our own terms (term, chunk) with the term's count in the chunk and the
// chunk's length, its primary key the posting list; term_stats keeps each term's chunk count and store_totals the
// chunk, length and vector totals, all updated in the commit's transaction, so BM25 needs no counting at query time.
// (A tsvector cannot serve: it keeps at most 256 positions of a term, and BM25 needs exact term counts.)
//
// Knowledge bases (2): a knowledge_bases table (`default` always there) and files.kb; a path is unique per base, and a
// renamed base carries its files along (ON UPDATE CASCADE). Files of an older store go to `default`. The lexical
// statistics stay per store, as in the embedded store (FTS5 keeps one set for the whole index), so a scoped search
// ranks a chunk exactly as an unscoped one does.
import type pg from "pg";

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: "documents, files, chunks with vectors, lexical postings and statistics, metadata, the write lock's holder",
    sql: `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
-- One row per distinct content (SHA-256). Two files with the same bytes share one document.
CREATE TABLE documents (
  id          bigserial PRIMARY KEY,
  sha256      text NOT NULL UNIQUE,
  kind        text NOT NULL,
  bytes       bigint NOT NULL,
  pages       integer,
  encoding    text,
  text        text NOT NULL,
  page_starts jsonb NOT NULL,
  chunk_count integer NOT NULL,
  ingested_at text NOT NULL
);
-- Paths compare byte by byte ("C"), as the embedded store orders them.
CREATE TABLE files (
  path        text COLLATE "C" PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents(id),
  size        bigint NOT NULL,
  mtime_ms    double precision NOT NULL,
  added_at    text NOT NULL
);
CREATE INDEX files_by_document ON files(document_id);
-- bigserial: chunk ids are citations' handles and the API's ids, never reused.
CREATE TABLE chunks (
  id          bigserial PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  idx         integer NOT NULL,
  text        text NOT NULL,
  page        integer,
  page_end    integer,
  char_start  integer NOT NULL,
  char_end    integer NOT NULL,
  section     text,
  location    jsonb,
  token_count integer NOT NULL,
  -- The chunk's lexical terms as ingest gave them (space-joined), kept so a store can be copied as it is.
  terms       text NOT NULL,
  term_count  integer NOT NULL,
  vector      vector,
  UNIQUE (document_id, idx)
);
CREATE TABLE chunk_terms (
  term     text COLLATE "C" NOT NULL,
  chunk_id bigint NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  tf       integer NOT NULL,
  length   integer NOT NULL,
  PRIMARY KEY (term, chunk_id)
);
CREATE INDEX chunk_terms_by_chunk ON chunk_terms(chunk_id);
CREATE TABLE term_stats (
  term text COLLATE "C" PRIMARY KEY,
  df   integer NOT NULL
);
CREATE TABLE store_totals (
  single      boolean PRIMARY KEY DEFAULT true CHECK (single),
  chunks      bigint NOT NULL,
  term_length bigint NOT NULL,
  vectors     bigint NOT NULL
);
INSERT INTO store_totals VALUES (true, 0, 0, 0);
CREATE TABLE write_lock_holder (
  single      boolean PRIMARY KEY DEFAULT true CHECK (single),
  purpose     text NOT NULL,
  pid         integer NOT NULL,
  host        text NOT NULL,
  since       text NOT NULL,
  backend_pid integer NOT NULL
);
`,
  },
  {
    version: 2,
    description: "knowledge bases: knowledge_bases with `default`, files.kb, paths unique per base",
    sql: `
CREATE TABLE knowledge_bases (
  name       text COLLATE "C" PRIMARY KEY,
  created_at text NOT NULL
);
INSERT INTO knowledge_bases(name, created_at) VALUES ('default', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
ALTER TABLE files ADD COLUMN kb text COLLATE "C" NOT NULL DEFAULT 'default' REFERENCES knowledge_bases(name) ON UPDATE CASCADE;
-- Every writer names the base; the default only moved an older store's files into "default".
ALTER TABLE files ALTER COLUMN kb DROP DEFAULT;
ALTER TABLE files DROP CONSTRAINT files_pkey;
ALTER TABLE files ADD PRIMARY KEY (kb, path);
-- A scoped search asks "has this document a file in these bases?" per candidate chunk.
DROP INDEX files_by_document;
CREATE INDEX files_by_document ON files(document_id, kb);
`,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;

/** Advisory lock keys (two int4s): the first names alpaca-rag ("alpa"), the second the lock's job. */
export const lockSpace = 0x616c7061;
export const migrationLockKey = 2;

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

/** The store's schema version (0: no store here yet). */
export async function schemaVersion(db: Queryable): Promise<number> {
  const exists = await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists.rows[0].present) return 0;
  const row = await db.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
  return row.rows[0].version ?? 0;
}

/**
 * Applies every migration the database lacks, each in its own transaction; returns the versions applied (empty when
 * the schema is current). Refuses a schema newer than this alpaca-rag knows.
 */
export async function migrate(pool: pg.Pool, location: string): Promise<number[]> {
  const current = await schemaVersion(pool);
  if (current > latestVersion)
    throw new Error(`store ${location}: schema version ${current} is newer than this alpaca-rag understands (${latestVersion}); upgrade alpaca-rag`);
  if (current === latestVersion) return [];
  const applied: number[] = [];
  const client = await pool.connect();
  try {
    for (const step of migrations) {
      await client.query("BEGIN");
      try {
        // Another opener may be migrating: wait for it, then look again.
        await client.query("SELECT pg_advisory_xact_lock($1, $2)", [lockSpace, migrationLockKey]);
        await client.query(
          `CREATE TABLE IF NOT EXISTS schema_migrations (
             version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const done = await client.query("SELECT 1 FROM schema_migrations WHERE version = $1", [step.version]);
        if (done.rowCount === 0) {
          await client.query(step.sql);
          await client.query("INSERT INTO schema_migrations(version, description) VALUES ($1, $2)", [step.version, step.description]);
          applied.push(step.version);
        }
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
    }
  } finally {
    client.release();
  }
  return applied;
}
