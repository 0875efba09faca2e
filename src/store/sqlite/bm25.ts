// FTS5's BM25 computed outside FTS5, for the lexical search (lexical.ts): the same formula, constants and order of
// operations as SQLite's bm25() (fts5_aux.c: k1 1.2, b 0.75, IDF floored at 1e-6), over the same row count and token
// totals (read from FTS5's own records) and the same token counts of each row (its docsize record), so a score
// computed here is the very number FTS5 gives.
import type { StoreDatabase } from "./database.js";

const k1 = 1.2;
const b = 0.75;

/** FTS5's IDF for a term in `hits` of `rows` rows. */
export function bm25Idf(rows: number, hits: number): number {
  const idf = Math.log((rows - hits + 0.5) / (hits + 0.5));
  return idf <= 0 ? 1e-6 : idf;
}

/** One term's share of a row's score: IDF × the saturated term frequency, normalised by the row's length. */
export function bm25Term(idf: number, tf: number, rowTokens: number, averageTokens: number): number {
  return idf * ((tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * rowTokens) / averageTokens)));
}

/** SQLite's varint (big-endian groups of 7 bits, high bit set on all but the last; a 9th byte carries 8 bits). */
export function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new Error("truncated varint in an FTS5 record");
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return { value: value * 256 + bytes[at + 8], next: at + 9 };
}

/** The rows and tokens FTS5's bm25 divides by: its averages record (rowid 1 of the %_data table). */
export function readFtsTotals(db: StoreDatabase, table: string): { rows: number; tokens: number } {
  const block = db.prepare(`SELECT block FROM "${table}_data" WHERE id = 1`).pluck().get() as Buffer | undefined;
  if (!block || block.length === 0) return { rows: 0, tokens: 0 };
  const rows = readVarint(block, 0);
  // One total per column after the row count, laid out as a docsize record (summed as FTS5's xColumnTotalSize(-1) does).
  return { rows: rows.value, tokens: docsizeTokens(block.subarray(rows.next)) };
}

/** A row's token count from its docsize record (one varint per column, summed). */
export function docsizeTokens(sz: Uint8Array): number {
  let tokens = 0;
  for (let at = 0; at < sz.length; ) {
    const column = readVarint(sz, at);
    tokens += column.value;
    at = column.next;
  }
  return tokens;
}

/**
 * Terms whose FTS5 tokenisation is certainly the term itself, one token: lower-case ASCII letters and digits and Han
 * characters (unicode61 keeps each as a token character and folds none of them). Only such terms are scored here; a
 * query with another (a phrase of several tokens to FTS5, or one it folds) is left to FTS5.
 */
const plainTerm = /^[a-z0-9\p{Script=Han}]+$/u;

export function isPlainTerm(term: string): boolean {
  return plainTerm.test(term);
}
