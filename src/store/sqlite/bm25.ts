// FTS5's BM25 computed outside FTS5, for the lexical search's pruning (lexical.ts): the same formula and constants as
// SQLite's bm25() (fts5_aux.c: k1 1.2, b 0.75, IDF floored at 1e-6), the same row count and token totals (read from
// FTS5's own records), and the same token counts of a row (its docsize record), so a score computed here equals the
// one FTS5 gives up to floating-point summation order.
import type { StoreDatabase } from "./database.js";

const k1 = 1.2;
const b = 0.75;

/** The largest share of a row's score one term can add: its IDF times this (the limit of the tf factor). */
export const maxTermFactor = k1 + 1;

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
  let tokens = 0;
  // One total per column (the store's table has one; summed as FTS5's xColumnTotalSize(-1) does).
  for (let at = rows.next; at < block.length; ) {
    const column = readVarint(block, at);
    tokens += column.value;
    at = column.next;
  }
  return { rows: rows.value, tokens };
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
 * Terms whose FTS5 tokenisation is certainly the term itself: lower-case ASCII letters and digits and Han characters
 * (unicode61 keeps each as a token character and folds none of them). Only such terms are scored here.
 */
const plainTerm = /^[a-z0-9\p{Script=Han}]+$/u;

export function isPlainTerm(term: string): boolean {
  return plainTerm.test(term);
}

const tokenRun = /[\p{L}\p{N}\p{M}]+/gu;
const marks = /\p{M}/gu;

/** Anything but plain characters and the spaces between words. */
const notPlainText = /[^a-z0-9\u4e00-\u9fff ]/;

/**
 * How often each of `wanted` (plain terms, see isPlainTerm; `tf` filled by their index) occurs among a row's tokens,
 * and how many tokens the row has, as unicode61 with remove_diacritics 2 cuts them (runs of letters, digits and
 * marks; lower-cased, marks dropped). A row of plain words only (nearly all) is one token a word: its count is
 * `tokens` (FTS5's own) and each term is counted by searching the text for it between spaces. Other rows are cut
 * here, and the total lets the caller check that cut against FTS5's count.
 */
export function countTerms(text: string, tokens: number, wanted: ReadonlyMap<string, number>, tf: Float64Array): number {
  tf.fill(0);
  if (!notPlainText.test(text)) {
    for (const [term, i] of wanted) {
      let n = 0;
      for (let at = text.indexOf(term); at !== -1; at = text.indexOf(term, at + term.length)) {
        const end = at + term.length;
        if ((at === 0 || text.charCodeAt(at - 1) === 0x20) && (end === text.length || text.charCodeAt(end) === 0x20)) n += 1;
      }
      tf[i] = n;
    }
    return tokens;
  }
  let count = 0;
  for (const word of text.split(" ")) {
    if (word === "") continue;
    if (plainTerm.test(word)) {
      count += 1;
      const i = wanted.get(word);
      if (i !== undefined) tf[i] += 1;
      continue;
    }
    for (const match of word.matchAll(tokenRun)) {
      const token = match[0].toLowerCase().normalize("NFD").replace(marks, "");
      if (token === "") continue;
      count += 1;
      const i = wanted.get(token);
      if (i !== undefined) tf[i] += 1;
    }
  }
  return count;
}
