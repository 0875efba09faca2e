// The packed side index of the lexical search: the posting lists of common terms (in packedTermFloor chunks or more),
// copied out of FTS5 as raw arrays (Int32 chunk ids, Uint16 counts) so that reading one is a blob read. FTS5 hands a
// list out one occurrence at a time through fts5vocab (~0.17 µs each: 40–50 ms for a word in a fifth of a million
// chunks, and a cold read of two such words was the lexical p99 at 1M chunks); the same list packed reads in about a
// millisecond. FTS5 stays the source of truth, and the side index is only ever a copy of what FTS5 held:
// - built whole (rebuild) or appended to (extend) at the end of an ingest, by refreshPackedPostings, under the write lock;
// - covering chunk ids up to `through`: a chunk id is never reused and a chunk's terms never change, so a list stays
//   right for those ids except for chunks deleted since, which a trigger on `chunks` records in lexical_packed_dead;
// - not used at all while the store holds chunks beyond `through` (committed since the last refresh): searches then
//   read FTS5 as before until the next ingest's refresh.
// The appended part's counts come from FTS5 itself: the new chunks' terms are indexed again in a temporary FTS5 table
// with the same tokenizer and read through its fts5vocab table, so a packed list is FTS5's to the last count.
import type { LexicalIndexRefresh } from "../contract.js";
import { isPlainTerm, readFtsTotals } from "./bm25.js";
import type { Statement } from "better-sqlite3";
import { ftsTokenizer, readMeta, writeMeta, type StoreDatabase } from "./database.js";

/** Terms in at least this many chunks are packed: reading a rarer one from FTS5 takes about a millisecond or less. */
export const packedTermFloor = 5000;
/** Stores smaller than this keep no side index: no list there is slow to read from FTS5. */
export const packedMinChunks = 20_000;
/** A term's appended segments are merged into one past this many. */
const maxSegments = 8;

export interface PackedOptions {
  floor?: number;
  minChunks?: number;
}

export interface PackedList {
  chunks: Int32Array;
  counts: Uint16Array;
}

const throughKey = "lexical_packed_through";
const floorKey = "lexical_packed_floor";

const schema = `
CREATE TABLE IF NOT EXISTS lexical_packed (
  term        TEXT NOT NULL,
  first_chunk INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  chunks      BLOB NOT NULL,
  counts      BLOB NOT NULL,
  PRIMARY KEY (term, first_chunk)
);
CREATE TABLE IF NOT EXISTS lexical_packed_dead (chunk_id INTEGER PRIMARY KEY);
CREATE TRIGGER IF NOT EXISTS lexical_packed_forget AFTER DELETE ON chunks
  WHEN old.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '${throughKey}')
BEGIN
  INSERT OR IGNORE INTO lexical_packed_dead(chunk_id) VALUES (old.id);
END;`;

/** The newest chunk's id (ids only grow): what the side index must cover to be used. */
function newestChunkId(db: StoreDatabase): number {
  return db.prepare("SELECT coalesce(max(id), 0) FROM chunks").pluck().get() as number;
}

function hasSideIndex(db: StoreDatabase): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lexical_packed'").get() !== undefined;
}

/** Removes the side index and its trigger (the store is too small for it, or about to be emptied). */
export function dropPackedPostings(db: StoreDatabase): void {
  writeMeta(db, throughKey, null);
  writeMeta(db, floorKey, null);
  db.exec("DROP TRIGGER IF EXISTS lexical_packed_forget; DROP TABLE IF EXISTS lexical_packed; DROP TABLE IF EXISTS lexical_packed_dead;");
}

/**
 * One term's list from runs of FTS5 instance rows (one row per occurrence, in chunk order). `saturated`: a chunk holds
 * the term over 65535 times, so its count here is short and only FTS5 can score or pack the term.
 */
export function listFromOccurrences(docs: ArrayLike<number>): PackedList & { saturated: boolean } {
  let distinct = 0;
  for (let i = 0; i < docs.length; i++) if (i === 0 || docs[i] !== docs[i - 1]) distinct += 1;
  const chunks = new Int32Array(distinct);
  const counts = new Uint16Array(distinct);
  let at = -1;
  let saturated = false;
  for (let i = 0; i < docs.length; i++) {
    if (i === 0 || docs[i] !== docs[i - 1]) chunks[++at] = docs[i];
    if (counts[at] < 65535) counts[at] += 1;
    else saturated = true;
  }
  return { chunks, counts, saturated };
}

/** Reads FTS5's occurrences of a term, in chunk order, through a temporary fts5vocab table (the store is not written). */
export function ftsOccurrences(db: StoreDatabase): (term: string) => number[] {
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_instances USING fts5vocab(main, 'chunks_fts', 'instance')");
  const statement = db.prepare("SELECT doc FROM temp.chunks_instances WHERE term = ?").pluck();
  return (term) => statement.all(term) as number[];
}

/** Adds one segment of a term's list. */
function insertSegment(db: StoreDatabase, term: string, list: PackedList): void {
  db.prepare("INSERT INTO lexical_packed(term, first_chunk, n, chunks, counts) VALUES (?, ?, ?, ?, ?)").run(
    term, list.chunks[0], list.chunks.length, blobOf(list.chunks), blobOf(list.counts));
}

const blobOf = (a: Int32Array | Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * Brings the side index in line with FTS5 after an ingest (writers only, in one transaction): drops it below
 * `minChunks`; rebuilds it when it is missing, built with another floor, or when deleted or new chunks exceed a quarter
 * of the store (so the work stays proportional to what was ingested); otherwise appends the new chunks' postings.
 */
export function refreshPackedPostings(db: StoreDatabase, options: PackedOptions = {}): LexicalIndexRefresh {
  const floor = options.floor ?? packedTermFloor;
  const minChunks = options.minChunks ?? packedMinChunks;
  const started = performance.now();
  const done = (action: LexicalIndexRefresh["action"], postings: number): LexicalIndexRefresh => ({
    action,
    terms: hasSideIndex(db) ? (db.prepare("SELECT count(DISTINCT term) FROM lexical_packed").pluck().get() as number) : 0,
    postings,
    seconds: (performance.now() - started) / 1000,
  });
  return db.transaction((): LexicalIndexRefresh => {
    const { rows } = readFtsTotals(db, "chunks_fts");
    const exists = hasSideIndex(db);
    if (rows < minChunks) {
      if (!exists) return done("none", 0);
      dropPackedPostings(db);
      return done("dropped", 0);
    }
    const maxId = newestChunkId(db);
    const through = Number(readMeta(db, throughKey) ?? -1);
    const dead = exists ? (db.prepare("SELECT count(*) FROM lexical_packed_dead").pluck().get() as number) : 0;
    const added = through < 0 ? rows : (db.prepare("SELECT count(*) FROM chunks WHERE id > ?").pluck().get(through) as number);
    if (!exists || through < 0 || readMeta(db, floorKey) !== String(floor) || dead * 4 > rows || added * 4 > rows)
      return done("rebuilt", rebuild(db, floor, maxId));
    if (maxId <= through) return done("none", 0);
    return done("extended", extend(db, through, maxId));
  })();
}

/** Every plain term in `floor` chunks or more, read from FTS5's index; returns the postings written. */
function rebuild(db: StoreDatabase, floor: number, maxId: number): number {
  dropPackedPostings(db);
  db.exec(schema);
  const occurrences = ftsOccurrences(db);
  const terms = (db.prepare("SELECT term FROM chunks_vocab WHERE doc >= ?").pluck().all(floor) as string[]).filter(isPlainTerm);
  let postings = 0;
  for (const term of terms) {
    const list = listFromOccurrences(occurrences(term));
    // Only FTS5 can count a saturated term, so it stays unpacked.
    if (list.saturated || list.chunks.length === 0) continue;
    insertSegment(db, term, list);
    postings += list.chunks.length;
  }
  writeMeta(db, throughKey, String(maxId));
  writeMeta(db, floorKey, String(floor));
  return postings;
}

/**
 * Appends the postings of chunks (through, maxId] to every packed term's list, counted by a temporary FTS5 table with
 * the store's tokenizer over those chunks' terms; returns the postings written.
 */
function extend(db: StoreDatabase, through: number, maxId: number): number {
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexical_stage USING fts5(terms, tokenize = '${ftsTokenizer}');
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexical_stage_instances USING fts5vocab(temp, 'lexical_stage', 'instance');
    DELETE FROM temp.lexical_stage;`);
  db.prepare("INSERT INTO temp.lexical_stage(rowid, terms) SELECT rowid, terms FROM chunks_fts WHERE rowid > ? AND rowid <= ?").run(through, maxId);
  const packed = new Set(db.prepare("SELECT DISTINCT term FROM lexical_packed").pluck().all() as string[]);
  const segments = db.prepare("SELECT count(*) FROM lexical_packed WHERE term = ?").pluck();
  // Term by term from the staged index (one row per occurrence, in chunk order): a write cannot run inside an iteration.
  const occurrences = db.prepare("SELECT doc FROM temp.lexical_stage_instances WHERE term = ?").pluck();
  let postings = 0;
  for (const term of packed) {
    const docs = occurrences.all(term) as number[];
    if (docs.length === 0) continue;
    const list = listFromOccurrences(docs);
    if (list.saturated) {
      // Uncountable here: the term goes back to being read from FTS5.
      db.prepare("DELETE FROM lexical_packed WHERE term = ?").run(term);
      continue;
    }
    insertSegment(db, term, list);
    postings += list.chunks.length;
    if ((segments.get(term) as number) > maxSegments) mergeSegments(db, term);
  }
  db.exec("DELETE FROM temp.lexical_stage");
  writeMeta(db, throughKey, String(maxId));
  return postings;
}

/** Concatenates a term's segments into one (they cover ascending, disjoint id ranges). */
function mergeSegments(db: StoreDatabase, term: string): void {
  const list = concatSegments(db.prepare(segmentsOfTerm).raw().all(term) as Array<[number, Buffer, Buffer]>);
  db.prepare("DELETE FROM lexical_packed WHERE term = ?").run(term);
  insertSegment(db, term, list);
}

const segmentsOfTerm = "SELECT n, chunks, counts FROM lexical_packed WHERE term = ? ORDER BY first_chunk";

/** A term's segments (rows of segmentsOfTerm), concatenated in chunk order (deleted chunks still in them). */
function concatSegments(rows: Array<[number, Buffer, Buffer]>): PackedList {
  let total = 0;
  for (const [n] of rows) total += n;
  const chunks = new Int32Array(total);
  const counts = new Uint16Array(total);
  const chunkBytes = new Uint8Array(chunks.buffer);
  const countBytes = new Uint8Array(counts.buffer);
  let at = 0;
  for (const [n, c, k] of rows) {
    // Copied byte-wise: a blob's Buffer need not be aligned for a typed-array view.
    chunkBytes.set(c, at * 4);
    countBytes.set(k, at * 2);
    at += n;
  }
  return { chunks, counts };
}

/**
 * What a search may read from the side index, loaded once per content version: nothing (null) when there is none or
 * chunks were committed beyond it; otherwise its packed terms and the chunks deleted since it was built.
 */
export class PackedPostings {
  private readonly segments: Statement;
  private readonly sizes: Statement;

  private constructor(
    db: StoreDatabase,
    /** The packed terms. */
    readonly terms: ReadonlySet<string>,
    private readonly dead: Set<number>,
  ) {
    this.segments = db.prepare(segmentsOfTerm).raw();
    this.sizes = db.prepare("SELECT coalesce(sum(n), 0) FROM lexical_packed WHERE term = ?").pluck();
  }

  static load(db: StoreDatabase): PackedPostings | null {
    if (!hasSideIndex(db)) return null;
    const through = readMeta(db, throughKey);
    if (through === undefined || newestChunkId(db) > Number(through)) return null;
    const terms = new Set(db.prepare("SELECT DISTINCT term FROM lexical_packed").pluck().all() as string[]);
    const dead = new Set(db.prepare("SELECT chunk_id FROM lexical_packed_dead").pluck().all() as number[]);
    return new PackedPostings(db, terms, dead);
  }

  has(term: string): boolean {
    return this.terms.has(term);
  }

  /** Chunks deleted since the side index was built: its lists must then be filtered to count. */
  get hasDeletions(): boolean {
    return this.dead.size > 0;
  }

  /** How many chunks hold a packed term, when nothing was deleted (hasDeletions false): its segments' sizes. */
  count(term: string): number {
    return this.sizes.get(term) as number;
  }

  /** A packed term's list over live chunks. */
  list(term: string): PackedList {
    const list = concatSegments(this.segments.all(term) as Array<[number, Buffer, Buffer]>);
    if (this.dead.size === 0) return list;
    let kept = 0;
    for (let i = 0; i < list.chunks.length; i++) {
      if (this.dead.has(list.chunks[i])) continue;
      list.chunks[kept] = list.chunks[i];
      list.counts[kept] = list.counts[i];
      kept += 1;
    }
    return { chunks: list.chunks.slice(0, kept), counts: list.counts.slice(0, kept) };
  }
}

/**
 * For `check`: compares up to `maxTerms` packed lists (spread over the packed terms) with FTS5's own, returning a
 * problem per list that differs. A side index older than the newest chunks is not checked: searches do not use it.
 */
export function verifyPackedPostings(db: StoreDatabase, maxTerms = 40): string[] {
  const packed = PackedPostings.load(db);
  if (packed === null) return [];
  const terms = [...packed.terms].sort();
  const step = Math.max(1, Math.ceil(terms.length / maxTerms));
  const occurrences = ftsOccurrences(db);
  const problems: string[] = [];
  for (let i = 0; i < terms.length; i += step) {
    const term = terms[i];
    const truth = listFromOccurrences(occurrences(term));
    const list = packed.list(term);
    const same =
      !truth.saturated &&
      truth.chunks.length === list.chunks.length &&
      truth.chunks.every((id, j) => id === list.chunks[j] && truth.counts[j] === list.counts[j]);
    if (!same)
      problems.push(
        `packed posting list of "${term}" differs from FTS5's (${list.chunks.length} chunks against ${truth.chunks.length}): lexical search would rank with it`,
      );
  }
  return problems;
}
