// The OCR cache: text read from a page image, keyed by the file's SHA-256, the page, the engine (with its languages)
// and the render resolution, so a re-ingest, a rename or a re-embed never runs OCR again. Its own SQLite file in the
// store folder (ocr-cache.sqlite): it outlives `ingest --reembed`, which rebuilds the index but not what pages say.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export const ocrCacheFileName = "ocr-cache.sqlite";

/** What one cached text belongs to. */
export interface OcrCacheKey {
  /** SHA-256 (hex) of the whole file. */
  sha256: string;
  /** 1-based page (of a PDF or a multi-page TIFF; 1 for an image). */
  page: number;
  /** Engine and the languages it read, e.g. "paddle" or "tesseract:chi_sim+chi_tra+eng". */
  engine: string;
  /** Resolution the page was rendered at (PDF pages); 0 for image files, which are read at their own size. */
  dpi: number;
}

const ddl = `
CREATE TABLE IF NOT EXISTS ocr_pages (
  sha256     TEXT NOT NULL,
  page       INTEGER NOT NULL,
  engine     TEXT NOT NULL,
  dpi        INTEGER NOT NULL,
  text       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (sha256, page, engine, dpi)
) WITHOUT ROWID;
`;

export class OcrCache {
  private readonly getStatement: Database.Statement<[string, number, string, number], { text: string }>;
  private readonly putStatement: Database.Statement<[string, number, string, number, string, string]>;

  private constructor(private readonly db: Database.Database) {
    this.getStatement = db.prepare("SELECT text FROM ocr_pages WHERE sha256 = ? AND page = ? AND engine = ? AND dpi = ?");
    this.putStatement = db.prepare(
      "INSERT INTO ocr_pages(sha256, page, engine, dpi, text, created_at) VALUES(?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT(sha256, page, engine, dpi) DO UPDATE SET text = excluded.text, created_at = excluded.created_at",
    );
  }

  /** Opens (creating when needed) the cache of the store folder `storeDir`. */
  static open(storeDir: string): OcrCache {
    fs.mkdirSync(storeDir, { recursive: true });
    const db = new Database(path.join(storeDir, ocrCacheFileName));
    db.pragma("busy_timeout = 5000");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(ddl);
    return new OcrCache(db);
  }

  get(key: OcrCacheKey): string | undefined {
    return this.getStatement.get(key.sha256, key.page, key.engine, key.dpi)?.text;
  }

  put(key: OcrCacheKey, text: string): void {
    this.putStatement.run(key.sha256, key.page, key.engine, key.dpi, text, new Date().toISOString());
  }

  /** Pages cached, all engines together. */
  size(): number {
    return this.db.prepare("SELECT count(*) FROM ocr_pages").pluck().get() as number;
  }

  close(): void {
    this.db.close();
  }
}
