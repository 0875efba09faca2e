// The store's schema version: a store written before chunks had a location (version 1) is upgraded in place when
// opened for writing, its PDF chunks citing their pages and its sectioned chunks their section; a newer store is refused.
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase, readMeta, schemaVersion, StoreFormatError } from "../../../src/store/sqlite/database.js";
import { databaseFileName, SqliteStore } from "../../../src/store/sqlite/store.js";
import { tempDir } from "../../helpers.js";

/** A store as version 1 wrote it: no chunks.location, three chunks (PDF pages 3 and 3–4, a Markdown section, plain text). */
function versionOneStore(): string {
  const dir = tempDir();
  SqliteStore.open(dir, { vectors: false }).closeSync();
  const db = new Database(path.join(dir, databaseFileName));
  db.exec("ALTER TABLE chunks DROP COLUMN location");
  db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
  const insertDocument = db.prepare(
    "INSERT INTO documents(sha256, kind, bytes, pages, encoding, text, page_starts, chunk_count, ingested_at) VALUES (?, ?, 1, ?, NULL, 'x', '[]', 1, 'then')",
  );
  const pdf = Number(insertDocument.run("a", "pdf", 4).lastInsertRowid);
  const md = Number(insertDocument.run("b", "markdown", null).lastInsertRowid);
  const txt = Number(insertDocument.run("c", "text", null).lastInsertRowid);
  const insertChunk = db.prepare(
    "INSERT INTO chunks(document_id, idx, text, page, page_end, char_start, char_end, section, token_count) VALUES (?, ?, ?, ?, ?, 0, 1, ?, 1)",
  );
  insertChunk.run(pdf, 0, "第三页", 3, 3, "第一节");
  insertChunk.run(pdf, 1, "跨页", 3, 4, null);
  insertChunk.run(md, 0, "安装说明", null, null, "安装");
  insertChunk.run(txt, 0, "纯文本", null, null, null);
  for (const [p, id] of [["a.pdf", pdf], ["b.md", md], ["c.txt", txt]] as const) {
    db.prepare("INSERT INTO files(path, document_id, size, mtime_ms, added_at) VALUES (?, ?, 1, 1, 'then')").run(p, id);
  }
  db.close();
  return dir;
}

describe("store schema", () => {
  it("upgrades a version 1 store in place: pages and sections become locations, nothing else changes", async () => {
    const dir = versionOneStore();
    const store = SqliteStore.open(dir, { vectors: false });
    try {
      expect(readMeta(store.db, "schema_version")).toBe(String(schemaVersion));
      const ids = store.db.prepare("SELECT id FROM chunks ORDER BY id").pluck().all() as number[];
      const chunks = await store.chunksByIds(ids, { kbs: ["default"] });
      expect(chunks.map((c) => [c.text, c.location])).toEqual([
        ["第三页", { kind: "page", label: "p. 3", page: 3, pageEnd: 3 }],
        ["跨页", { kind: "page", label: "pp. 3–4", page: 3, pageEnd: 4 }],
        ["安装说明", { kind: "section", label: "§ 安装", section: "安装" }],
        ["纯文本", null],
      ]);
      expect(chunks.map((c) => c.paths[0])).toEqual(["a.pdf", "a.pdf", "b.md", "c.txt"]);
    } finally {
      await store.close();
    }
    // Opening again is a no-op.
    SqliteStore.open(dir, { vectors: false }).closeSync();
  });

  it("refuses a store from a newer alpaca-rag", () => {
    const dir = tempDir();
    SqliteStore.open(dir, { vectors: false }).closeSync();
    const file = path.join(dir, databaseFileName);
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(schemaVersion + 1));
    db.close();
    expect(() => openDatabase(file)).toThrow(StoreFormatError);
  });
});

/**
 * A store exactly as version 2 (one corpus, before knowledge bases) wrote it: its schema, kept here as that version
 * made it, and two documents under three files, one of them a second name for the same bytes.
 */
function versionTwoStore(): string {
  const dir = tempDir();
  const db = new Database(path.join(dir, databaseFileName));
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE documents (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, bytes INTEGER NOT NULL,
      pages INTEGER, encoding TEXT, text TEXT NOT NULL, page_starts TEXT NOT NULL, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL);
    CREATE TABLE files (path TEXT PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id), size INTEGER NOT NULL,
      mtime_ms REAL NOT NULL, added_at TEXT NOT NULL);
    CREATE INDEX files_by_document ON files(document_id);
    CREATE TABLE chunks (id INTEGER PRIMARY KEY AUTOINCREMENT, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER, page_end INTEGER, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
      section TEXT, location TEXT, token_count INTEGER NOT NULL, vector BLOB, UNIQUE (document_id, idx));
    CREATE VIRTUAL TABLE chunks_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2');
    CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
    CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN DELETE FROM chunks_fts WHERE rowid = old.id; END;
    INSERT INTO meta VALUES ('schema_version', '2'), ('embedding', 'none');
    INSERT INTO documents VALUES (1, 'sha-1', 'text', 9, NULL, 'UTF-8', '图书馆 开放 时间', '[]', 1, 'then'),
                                 (2, 'sha-2', 'text', 9, NULL, 'UTF-8', '种子 借阅 规则', '[]', 1, 'then');
    INSERT INTO chunks(id, document_id, idx, text, char_start, char_end, token_count) VALUES (1, 1, 0, '图书馆 开放 时间', 0, 9, 3),
                                                                                    (2, 2, 0, '种子 借阅 规则', 0, 9, 3);
    INSERT INTO chunks_fts(rowid, terms) VALUES (1, '图书馆 开放 时间'), (2, '种子 借阅 规则');
    INSERT INTO files VALUES ('hours.txt', 1, 9, 1, 'then'), ('notes/hours-copy.txt', 1, 9, 1, 'then'), ('seeds.txt', 2, 9, 2, 'then');
  `);
  db.close();
  return dir;
}

describe("store schema 3: knowledge bases", () => {
  it("moves a single-corpus (version 2) store's files into the default base in place, losing nothing", async () => {
    const dir = versionTwoStore();
    const store = SqliteStore.open(dir, { write: true });
    try {
      expect(readMeta(store.db, "schema_version")).toBe(String(schemaVersion));
      expect((await store.listKbs()).map((k) => [k.name, k.files, k.documents, k.chunks])).toEqual([["default", 3, 2, 2]]);
      expect((await store.listFiles({ kbs: ["default"] })).map((f) => [f.kb, f.path, f.documentId])).toEqual([
        ["default", "hours.txt", 1],
        ["default", "notes/hours-copy.txt", 1],
        ["default", "seeds.txt", 2],
      ]);
      expect((await store.files("default")).get("seeds.txt")).toEqual({ path: "seeds.txt", documentId: 2, sha256: "sha-2", size: 9, mtimeMs: 2 });
      const hits = await store.lexicalSearch(["借阅"], 5, { kbs: ["default"] });
      expect((await store.chunksByIds(hits.map((h) => h.chunkId), { kbs: ["default"] })).map((c) => c.sources)).toEqual([[{ kb: "default", path: "seeds.txt" }]]);
      expect((await store.chunksByIds([1], { kbs: ["default"] }))[0].paths).toEqual(["hours.txt", "notes/hours-copy.txt"]);
      // The new shape works on the migrated store: a base of its own, the same path in two bases.
      await store.createKb("archive");
      await store.commitFile({ kb: "archive", path: "seeds.txt", size: 9, mtimeMs: 3 }, { documentId: 2 });
      expect((await store.listFiles({ kbs: ["archive", "default"] })).filter((f) => f.path === "seeds.txt").map((f) => f.kb)).toEqual(["archive", "default"]);
      expect(await store.count("documents")).toBe(2);
    } finally {
      await store.close();
    }
    const { checkSqliteStore } = await import("../../../src/store/sqlite/check.js");
    expect((await checkSqliteStore(dir)).problems).toEqual([]);
    // 2 → 3 → 4 in one open: version 4's index is there too.
    const db = new Database(path.join(dir, databaseFileName), { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'chunks_with_vector'").pluck().get()).toBe("chunks_with_vector");
    db.close();
  });
});

describe("store schema 4: the index of chunks with a vector", () => {
  it("adds the index to a version 3 store in place, keeping its bases, files and lexical search", async () => {
    const dir = tempDir();
    const before = SqliteStore.open(dir, { write: true });
    await before.bindEmbedding(null);
    await before.createKb("archive");
    const terms = "图书馆 开放 时间";
    await before.commitFile(
      { kb: "archive", path: "hours.txt", size: 9, mtimeMs: 1 },
      {
        document: {
          sha256: "sha-1", kind: "text", bytes: 9, pages: null, encoding: "UTF-8", text: terms, pageStarts: [],
          chunks: [{ index: 0, text: terms, page: null, pageEnd: null, charStart: 0, charEnd: 9, section: null, tokenCount: 3, terms, vector: null }],
        },
      },
    );
    await before.close();
    // Back to version 3 as the knowledge-base release wrote it: everything but this index.
    const db = new Database(path.join(dir, databaseFileName));
    db.exec("DROP INDEX chunks_with_vector; UPDATE meta SET value = '3' WHERE key = 'schema_version'");
    db.close();
    const store = SqliteStore.open(dir, { write: true });
    try {
      expect(readMeta(store.db, "schema_version")).toBe(String(schemaVersion));
      expect(schemaVersion).toBe(4);
      expect(store.db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'chunks_with_vector'").pluck().get()).toBe(1);
      expect((await store.listKbs()).map((k) => [k.name, k.files])).toEqual([["archive", 1], ["default", 0]]);
      expect((await store.lexicalSearch(["开放"], 5, { kbs: ["archive"] })).length).toBe(1);
      expect(await store.lexicalSearch(["开放"], 5, { kbs: ["default"] })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
