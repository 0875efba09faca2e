// The SQLite half of the store: schema, pragmas and version check. SQLite is the source of truth; the vector index
// is rebuilt from the vectors kept here whenever the two disagree.
import Database from "better-sqlite3";

/**
 * 2: chunks.location (where a citation points: page, slide, sheet rows, chapter or section), as JSON.
 * 3: knowledge bases: a knowledge_bases table and files.kb (a path is unique per base); older files go to `default`.
 * 4: chunks_with_vector, so that opening a store lists its vectors' chunk ids without reading every chunk row.
 */
export const schemaVersion = 4;

/** One row per file of a base's inbox folder, keyed by (base, path relative to that folder, '/' separators). */
const filesTable = `
CREATE TABLE IF NOT EXISTS files (
  kb          TEXT NOT NULL DEFAULT 'default' REFERENCES knowledge_bases(name) ON UPDATE CASCADE,
  path        TEXT NOT NULL,
  document_id INTEGER NOT NULL REFERENCES documents(id),
  size        INTEGER NOT NULL,
  mtime_ms    REAL NOT NULL,
  added_at    TEXT NOT NULL,
  PRIMARY KEY (kb, path)
);`;

/** Indexes on files, made after a migration gave an older files table its kb column. */
const filesIndexes = `
CREATE INDEX IF NOT EXISTS files_by_document ON files(document_id, kb);
`;

/** The tokenizer of chunks_fts; the packed side index (packedPostings.ts) counts new chunks' terms with the same one. */
export const ftsTokenizer = "unicode61 remove_diacritics 2";

const ddl = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- One row per distinct content (SHA-256). Two files with the same bytes share one document.
CREATE TABLE IF NOT EXISTS documents (
  id          INTEGER PRIMARY KEY,
  sha256      TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  pages       INTEGER,
  encoding    TEXT,
  text        TEXT NOT NULL,
  page_starts TEXT NOT NULL,
  chunk_count INTEGER NOT NULL,
  ingested_at TEXT NOT NULL
);
-- Named groups of files, each with its own inbox folder; 'default' always exists.
CREATE TABLE IF NOT EXISTS knowledge_bases (
  name       TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
INSERT OR IGNORE INTO knowledge_bases(name, created_at) VALUES ('default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
${filesTable}
-- AUTOINCREMENT: chunk ids are the vector index's labels and must never be reused.
CREATE TABLE IF NOT EXISTS chunks (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  text        TEXT NOT NULL,
  page        INTEGER,
  page_end    INTEGER,
  char_start  INTEGER NOT NULL,
  char_end    INTEGER NOT NULL,
  section     TEXT,
  location    TEXT,
  token_count INTEGER NOT NULL,
  vector      BLOB,
  UNIQUE (document_id, idx)
);
-- The ids of chunks with a vector: what the vector index is reconciled with on open. Without it that reads every
-- chunk row (text and vector, most of the file: 15 s of a million-chunk store's open); this index is ~10 bytes a chunk.
CREATE INDEX IF NOT EXISTS chunks_with_vector ON chunks(id) WHERE vector IS NOT NULL;
-- Jieba-segmented, script-folded words of each chunk; rowid = chunks.id. BM25 is FTS5's (lexical.ts sums it).
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(terms, tokenize = '${ftsTokenizer}');
-- Per-term document counts, so the lexical search can leave out words nearly every chunk has.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
  DELETE FROM chunks_fts WHERE rowid = old.id;
END;
`;

export type StoreDatabase = Database.Database;

export class StoreFormatError extends Error {
  override name = "StoreFormatError";
}

export function openDatabase(file: string, options: { readonly?: boolean } = {}): StoreDatabase {
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  // A reader waits for a writer's commit instead of failing at once.
  db.pragma("busy_timeout = 5000");
  if (!options.readonly) {
    // WAL: readers see whole transactions while an ingest writes; NORMAL sync is durable against process crashes.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  db.pragma("foreign_keys = ON");
  if (!options.readonly) {
    const existing = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").get();
    let version = 0;
    if (existing) {
      const row = db.prepare("SELECT value FROM meta WHERE key='schema_version'").get() as { value: string } | undefined;
      version = Number(row?.value ?? 0);
      if (version > schemaVersion)
        throw new StoreFormatError(`${file}: store format ${version} is newer than this alpaca-rag understands (${schemaVersion}); upgrade alpaca-rag`);
    }
    // A store already at this version is opened without writing: a reader opening it while an ingest holds SQLite's
    // write lock must not wait for it (or fail with "database is locked" when the ingest's transaction is long).
    if (version === schemaVersion) return db;
    db.transaction(() => {
      db.exec(ddl);
      migrate(db);
      db.exec(filesIndexes);
      db.prepare("INSERT INTO meta(key, value) VALUES('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(schemaVersion));
    })();
  }
  return db;
}

/**
 * Upgrades a store written by an older alpaca-rag in place (inside the opening transaction, after the DDL, which adds
 * version 4's index, so 2→3→4 and 3→4 both end here): version 1 had no chunks.location; its PDF chunks get their page
 * range and sectioned chunks their section, as new ingests write them; version 2's files gain their base.
 */
function migrate(db: StoreDatabase): void {
  addChunkLocations(db);
  addKnowledgeBases(db);
}

/**
 * Version 2 → 3: files gain their base. SQLite cannot change a primary key in place, so the table is rebuilt (the
 * documented create-copy-drop-rename way) with every file in `default`, whose folder is the inbox root as before.
 */
function addKnowledgeBases(db: StoreDatabase): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('files')").pluck().all() as string[];
  if (columns.includes("kb")) return;
  db.exec(`DROP INDEX IF EXISTS files_by_document;
    ALTER TABLE files RENAME TO files_v2;
    ${filesTable}
    INSERT INTO files(kb, path, document_id, size, mtime_ms, added_at)
      SELECT 'default', path, document_id, size, mtime_ms, added_at FROM files_v2;
    DROP TABLE files_v2;`);
}

function addChunkLocations(db: StoreDatabase): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('chunks')").pluck().all() as string[];
  if (columns.includes("location")) return;
  db.exec("ALTER TABLE chunks ADD COLUMN location TEXT");
  db.exec(`UPDATE chunks SET location = CASE
    WHEN page IS NOT NULL THEN json_object(
      'kind', 'page',
      'label', CASE WHEN coalesce(page_end, page) > page THEN 'pp. ' || page || '–' || page_end ELSE 'p. ' || page END,
      'page', page, 'pageEnd', coalesce(page_end, page))
    WHEN section IS NOT NULL THEN json_object('kind', 'section', 'label', '§ ' || section, 'section', section)
  END`);
}

export function readMeta(db: StoreDatabase, key: string): string | undefined {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: StoreDatabase, key: string, value: string | null): void {
  if (value === null) db.prepare("DELETE FROM meta WHERE key = ?").run(key);
  else db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
}
