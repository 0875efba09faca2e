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
      const chunks = await store.chunksByIds(ids);
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
