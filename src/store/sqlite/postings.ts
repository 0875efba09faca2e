// What the lexical search (lexical.ts) scores from, read out of FTS5's own index: each term's posting list (the chunks
// it is in and how often, from an fts5vocab 'instance' table) and every chunk's token count (FTS5's docsize records).
// Lists are kept in memory up to a byte budget, least recently used first out, and dropped whenever the content may
// have changed; token counts never change for a chunk id (ids are never reused), so they are only ever extended. A
// common term's list is read from the packed side index (packedPostings.ts) when the store has a current one.
import { docsizeTokens } from "./bm25.js";
import type { StoreDatabase } from "./database.js";
import { ftsOccurrences, listFromOccurrences, PackedPostings } from "./packedPostings.js";

export interface PostingList {
  /** Chunk ids, ascending. */
  chunks: Int32Array;
  /** Occurrences of the term in each of those chunks. */
  counts: Uint16Array;
  /** A chunk holds the term more than 65535 times: its count here is short, and only FTS5 can score the term. */
  saturated: boolean;
}

/** Memory for cached posting lists: 64 MiB holds ~11M postings, every common term of most question sets at 1M chunks. */
export const postingBudgetBytes = 64 * 2 ** 20;

/** Packs a chunk id and a token count below 2^21 into one number (ids stay below 2^31, so it is exact). */
const sizeRadix = 2 ** 22;
const hexDigit = (i: number) => `(instr('0123456789ABCDEF', substr(h, ${i}, 1)) - 1)`;
const byte = (k: number) => `(${hexDigit(2 * k + 1)} * 16 + ${hexDigit(2 * k + 2)})`;
/** SQLite varints of one to three bytes (high bit: more follow), decoded from the blob's hex. */
const packedSizes =
  `SELECT id * ${sizeRadix} + CASE WHEN ${byte(0)} < 128 THEN ${byte(0)} ` +
  `WHEN ${byte(1)} < 128 THEN (${byte(0)} - 128) * 128 + ${byte(1)} ` +
  `ELSE ((${byte(0)} - 128) * 128 + ${byte(1)} - 128) * 128 + ${byte(2)} END ` +
  "FROM (SELECT id, hex(sz) AS h FROM chunks_fts_docsize WHERE id > ? AND length(sz) <= 3)";

export class FtsPostings {
  private lists = new Map<string, PostingList>();
  private bytes = 0;
  private lengths = new Uint32Array(1024);
  /** Highest chunk id whose token count is in `lengths`. */
  private lengthsThrough = 0;
  /** FTS5's occurrences of a term, once the temporary fts5vocab table exists. */
  private occurrences: ((term: string) => number[]) | null = null;
  /** New chunks may exist since `lengths` was read: set when the content may have changed (invalidate). */
  private lengthsStale = true;
  /** The side index as of the current content (null: none usable), loaded on first use after each invalidate. */
  private packed: PackedPostings | null | undefined = undefined;
  /** Lists read from the side index since the counter was last taken (readsFromPacked). */
  private packedReads = 0;

  constructor(
    private readonly db: StoreDatabase,
    private readonly budgetBytes = postingBudgetBytes,
  ) {}

  /** Forgets every list (the content may have changed); token counts stay, as they cannot change. */
  invalidate(): void {
    this.lists.clear();
    this.bytes = 0;
    this.lengthsStale = true;
    this.packed = undefined;
  }

  private packedIndex(): PackedPostings | null {
    if (this.packed === undefined) this.packed = PackedPostings.load(this.db);
    return this.packed;
  }

  /** How many lists came from the side index since the last call (for the search's plan). */
  readsFromPacked(): number {
    const reads = this.packedReads;
    this.packedReads = 0;
    return reads;
  }

  /**
   * Token counts by chunk id, read for chunks added since the last call. The docsize varints of up to three bytes (up
   * to 2M tokens: every real chunk) are decoded by SQL into one number per row, id and count together, which reads a
   * million rows ~3x faster than a Buffer per row; longer ones are read as Buffers.
   */
  tokenCounts(): Uint32Array {
    if (!this.lengthsStale) return this.lengths;
    this.lengthsStale = false;
    const from = this.lengthsThrough;
    for (const packed of this.db.prepare(packedSizes).pluck().iterate(from) as IterableIterator<number>)
      this.setLength(Math.floor(packed / sizeRadix), packed % sizeRadix);
    for (const [id, sz] of this.db.prepare("SELECT id, sz FROM chunks_fts_docsize WHERE id > ? AND length(sz) > 3").raw().iterate(from) as IterableIterator<[number, Buffer]>)
      this.setLength(id, docsizeTokens(sz));
    return this.lengths;
  }

  private setLength(id: number, tokens: number): void {
    if (id >= this.lengths.length) {
      let size = this.lengths.length;
      while (size <= id) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[id] = tokens;
    if (id > this.lengthsThrough) this.lengthsThrough = id;
  }

  /** How many chunks hold `term`, when its list is cached or packed (undefined otherwise: FTS5 must count it). */
  knownCount(term: string): number | undefined {
    const cached = this.lists.get(term)?.chunks.length;
    if (cached !== undefined) return cached;
    const packed = this.packedIndex();
    if (!packed?.has(term)) return undefined;
    // With deletions only the list itself can say: read (and cache) it.
    return packed.hasDeletions ? this.list(term).chunks.length : packed.count(term);
  }

  /** The posting list of one term (one FTS5 token), from the cache or from FTS5's index. */
  list(term: string): PostingList {
    const cached = this.lists.get(term);
    if (cached) {
      // Most recently used last, so eviction takes from the front.
      this.lists.delete(term);
      this.lists.set(term, cached);
      return cached;
    }
    const list = this.read(term);
    const size = list.chunks.byteLength + list.counts.byteLength;
    if (size <= this.budgetBytes) {
      for (const [key, old] of this.lists) {
        if (this.bytes + size <= this.budgetBytes) break;
        this.lists.delete(key);
        this.bytes -= old.chunks.byteLength + old.counts.byteLength;
      }
      this.lists.set(term, list);
      this.bytes += size;
    }
    return list;
  }

  private read(term: string): PostingList {
    const packed = this.packedIndex();
    if (packed?.has(term)) {
      this.packedReads += 1;
      return { ...packed.list(term), saturated: false };
    }
    // A temporary table: nothing is written to the store, so a reader can create it while an ingest holds the lock.
    this.occurrences ??= ftsOccurrences(this.db);
    return listFromOccurrences(this.occurrences(term));
  }
}
