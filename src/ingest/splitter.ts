// Chinese-aware recursive text splitter measured in tokens: cuts at paragraphs, lines, sentences, clauses, whitespace
// and finally characters, keeps punctuation with the text before it, and packs the pieces greedily into chunks.
import type { TextTokenizer } from "../models/tokenizer.js";
import type { TextSpan } from "./types.js";

export interface SplitOptions {
  /**
   * The tokenizer whose counts bound every chunk: the embedding model's own (`LlamaModelTokenizer`), or
   * `EstimatingTokenizer` when there is no model. Each returned span carries this tokenizer's tokens of its text.
   */
  tokenizer: TextTokenizer;
  /**
   * Most tokens in one chunk (settings `chunk.size`, default 384). A hard limit: every span has
   * `tokens.length <= chunkSize`. It must admit at least one character of the text, or splitting throws.
   */
  chunkSize: number;
  /**
   * Most tokens a chunk repeats from the end of the chunk before it (settings `chunk.overlap`, default 64; 0 for none).
   * The overlap is made of whole pieces (sentences, clauses, …), so it is often less, never more. Must be below chunkSize.
   */
  chunkOverlap: number;
}

/** A cut between sentence units and the coarsest level (index into LEVELS) that cuts there. */
interface Boundary {
  pos: number;
  level: number;
}

/** A run of text that is never cut further: [start, end) in the text, and its token count measured on its own. */
interface Piece {
  start: number;
  end: number;
  /** Tokens of text.slice(start, end) alone; sums over pieces over-estimate a join (SentencePiece adds "▁" per call). */
  estimate: number;
}

// Characters a chunk must not start with: CJK sentence and clause punctuation and closing quotes and brackets.
// A cut that lands before one of them (or before whitespace) moves past it, so it stays with the text it ends.
const NO_START = new Set("。．｡，、；：！？…‥⋯”’」』）】》〕〉〗〙﹂﹄﹐﹑﹔﹕");
const CLOSERS = "”’」』）)\\]】》〕〉〗\"'";

// Boundaries from coarse to fine; a cut goes at the END of each match, so separators stay with the piece before them.
const PARAGRAPH = /\n[^\S\n]*\n/g;
const LINE = /\n/g;
const SENTENCE = new RegExp(
  [
    `[。！？；…‥⋯｡]+[${CLOSERS}]*`,
    // A fullwidth full stop inside a number ("3．14") is a decimal point.
    `．(?![0-9０-９])[${CLOSERS}]*`,
    // Latin ". ", "! ", "? ": only before whitespace or the end, so "3.14" and "e.g.x" stay whole.
    `[.!?]+[${CLOSERS}]*(?=\\s|$)`,
    // "!" and "?" typed in ASCII inside Chinese text.
    `[!?]+[${CLOSERS}]*(?=\\p{Script=Han})`,
  ].join("|"),
  "gu",
);
const CLAUSE = new RegExp(
  [`[，、：﹐﹑﹔﹕]+[${CLOSERS}]*`, `[,;:]+[${CLOSERS}]*(?=\\s|\\p{Script=Han})`].join("|"),
  "gu",
);
const WHITESPACE = /\s+/g;
const LEVELS = [PARAGRAPH, LINE, SENTENCE, CLAUSE, WHITESPACE];
const PARAGRAPH_LEVEL = 0;
const SENTENCE_LEVEL = 2;
const CHARACTERS = LEVELS.length;

// A token practically never covers more characters than this, so a longer range is known to be too big without
// tokenizing it; being wrong only splits a range that the merge step joins again.
const MAX_CHARS_PER_TOKEN = 32;

/**
 * Splits `text` into chunks of at most `chunkSize` tokens, each trimmed of surrounding whitespace, with
 * `text.slice(span.start, span.end) === span.text`. Neighbouring chunks share up to `chunkOverlap` tokens of whole pieces.
 */
export function splitText(text: string, options: SplitOptions): TextSpan[] {
  const { chunkSize, chunkOverlap } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  if (!Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize)
    throw new RangeError(`chunkOverlap must be an integer in [0, chunkSize), got ${chunkOverlap}`);
  if (trimRange(text, 0, text.length) === null) return [];
  const splitter = new Splitter(text, options);
  return splitter.merge(splitter.decompose());
}

class Splitter {
  private readonly counts = new Map<string, number>();
  /** Size of the pieces cut at the character level: small enough to give overlap, large enough to keep sums close. */
  private readonly charTarget: number;

  constructor(
    private readonly text: string,
    private readonly options: SplitOptions,
  ) {
    this.charTarget = Math.min(options.chunkSize, Math.max(options.chunkOverlap, Math.ceil(options.chunkSize / 8)));
  }

  /** Tokens of text.slice(start, end) on its own; each distinct string is tokenized once. */
  private count(start: number, end: number): number {
    const piece = this.text.slice(start, end);
    let n = this.counts.get(piece);
    if (n === undefined) {
      n = piece.length === 0 ? 0 : this.options.tokenizer.tokenize(piece).length;
      this.counts.set(piece, n);
    }
    return n;
  }

  /**
   * The whole text as consecutive pieces, each of at most chunkSize tokens, coarsest boundaries first. Sentences are
   * the units that get tokenized; a paragraph's or line's size is the sum of its sentences' (an over-estimate), so the
   * text is tokenized about once here. Only a sentence too big on its own is cut and measured further.
   */
  decompose(): Piece[] {
    const units = this.sentenceUnits();
    const sizes: number[] = [];
    for (let i = 0; i + 1 < units.length; i++) {
      const start = units[i].pos;
      const end = units[i + 1].pos;
      sizes.push(end - start > this.options.chunkSize * MAX_CHARS_PER_TOKEN ? Infinity : this.count(start, end));
    }
    const pieces: Piece[] = [];
    this.cutUnits(units, sizes, 0, units.length - 1, PARAGRAPH_LEVEL, pieces);
    return pieces;
  }

  /**
   * Sentence boundaries of the whole text, each with the coarsest level that makes it (paragraph, line or sentence),
   * framed by {pos: 0} and {pos: text.length}.
   */
  private sentenceUnits(): Boundary[] {
    const levels = new Map<number, number>();
    for (let level = SENTENCE_LEVEL; level >= PARAGRAPH_LEVEL; level--)
      for (const cut of this.cutsAt(LEVELS[level], 0, this.text.length)) levels.set(cut, level);
    const bounds = [...levels].map(([pos, level]) => ({ pos, level })).sort((a, b) => a.pos - b.pos);
    return [{ pos: 0, level: PARAGRAPH_LEVEL }, ...bounds, { pos: this.text.length, level: PARAGRAPH_LEVEL }];
  }

  /** Units [first, last) at `level`: one piece if their summed size fits, else cut at that level's boundaries. */
  private cutUnits(units: Boundary[], sizes: number[], first: number, last: number, level: number, out: Piece[]): void {
    let estimate = 0;
    for (let i = first; i < last; i++) estimate += sizes[i];
    const start = units[first].pos;
    const end = units[last].pos;
    if (estimate <= this.options.chunkSize) {
      out.push({ start, end, estimate });
      return;
    }
    if (last - first === 1) {
      this.cutRange(start, end, SENTENCE_LEVEL + 1, estimate, out);
      return;
    }
    let from = first;
    for (let i = first + 1; i <= last; i++) {
      if (i < last && units[i].level > level) continue;
      this.cutUnits(units, sizes, from, i, level + 1, out);
      from = i;
    }
  }

  /** A range within one sentence, cut at clauses, then whitespace, then characters, until each piece fits. */
  private cutRange(start: number, end: number, level: number, known: number | undefined, out: Piece[]): void {
    const tooLong = end - start > this.options.chunkSize * MAX_CHARS_PER_TOKEN;
    const tokens = known ?? (tooLong ? Infinity : this.count(start, end));
    if (tokens <= this.options.chunkSize) {
      out.push({ start, end, estimate: tokens });
      return;
    }
    if (level === CHARACTERS) {
      this.cutCharacters(start, end, tokens, out);
      return;
    }
    const cuts = this.cutsAt(LEVELS[level], start, end);
    if (cuts.length === 0) {
      this.cutRange(start, end, level + 1, tokens, out);
      return;
    }
    let from = start;
    for (const cut of [...cuts, end]) {
      this.cutRange(from, cut, level + 1, undefined, out);
      from = cut;
    }
  }

  /** Cut positions strictly inside (start, end): after each separator match, moved past whitespace and NO_START. */
  private cutsAt(pattern: RegExp, start: number, end: number): number[] {
    // Matching on the slice keeps each search within the range (a miss would otherwise scan the rest of the text).
    const slice = this.text.slice(start, end);
    const cuts: number[] = [];
    pattern.lastIndex = 0;
    for (let m = pattern.exec(slice); m !== null; m = pattern.exec(slice)) {
      const cut = advanceCut(this.text, start + m.index + m[0].length, end);
      if (cut >= end) break;
      if (cuts.length === 0 || cut > cuts[cuts.length - 1]) cuts.push(cut);
      pattern.lastIndex = Math.max(pattern.lastIndex, cut - start);
    }
    return cuts;
  }

  /**
   * Last resort for a range with no usable separator: pieces of about charTarget tokens, guessed from the range's
   * characters per token and shrunk until they fit. Cuts still move past trailing punctuation where it fits.
   */
  private cutCharacters(start: number, end: number, tokens: number, out: Piece[]): void {
    const target = this.charTarget;
    let perToken = Number.isFinite(tokens) ? (end - start) / Math.max(1, tokens) : 1;
    let pos = start;
    while (pos < end) {
      let length = Math.max(1, Math.floor(target * perToken * 0.9));
      for (;;) {
        const raw = alignCut(this.text, Math.min(end, pos + length), pos);
        const single = raw === alignCut(this.text, pos + 1, pos);
        const cut = advanceCut(this.text, raw, Math.min(end, raw + 8));
        const n = this.count(pos, cut);
        if (n <= target || (single && n <= this.options.chunkSize)) {
          out.push({ start: pos, end: cut, estimate: n });
          perToken = (cut - pos) / Math.max(1, n);
          pos = cut;
          break;
        }
        if (single) {
          const alone = this.count(pos, raw);
          if (alone > this.options.chunkSize)
            throw new RangeError(
              `chunkSize ${this.options.chunkSize} is smaller than one character (${JSON.stringify(this.text.slice(pos, raw))} is ${alone} tokens with ${this.options.tokenizer.name})`,
            );
          out.push({ start: pos, end: raw, estimate: alone });
          pos = raw;
          break;
        }
        length = Math.max(1, Math.min(raw - pos - 1, Math.floor((((raw - pos) * target) / n) * 0.9)));
      }
    }
  }

  /**
   * Greedy packing: each chunk takes whole pieces while their estimated tokens fit, is measured with the tokenizer,
   * dropped back if the measure overshoots and topped up if it leaves room. The next chunk starts with the trailing
   * pieces of this one that fit in chunkOverlap tokens.
   */
  merge(pieces: Piece[]): TextSpan[] {
    const { chunkSize, chunkOverlap } = this.options;
    const spans: TextSpan[] = [];
    let first = 0; // first piece of the chunk being built (overlap included)
    let fresh = 0; // first piece that no earlier chunk holds
    while (fresh < pieces.length) {
      let sum = 0;
      for (let i = first; i <= fresh; i++) sum += pieces[i].estimate;
      while (first < fresh && sum > chunkSize) sum -= pieces[first++].estimate;
      let last = fresh + 1;
      while (last < pieces.length && sum + pieces[last].estimate <= chunkSize) sum += pieces[last++].estimate;

      let span = this.measure(pieces, first, last);
      while (span !== null && span.tokens.length > chunkSize) {
        if (last - 1 > fresh) last--;
        else if (first < fresh) first++;
        else break;
        span = this.measure(pieces, first, last);
      }
      if (span !== null && span.tokens.length > chunkSize) {
        // One piece that fit alone overshoots once trimmed: cut it where its longest fitting prefix ends, and retry.
        pieces.splice(fresh, 1, ...this.splitPiece(pieces[fresh]));
        continue;
      }
      // Estimates over-count, so the measured chunk may have room for more pieces.
      for (let round = 0; round < 2 && span !== null && last < pieces.length; round++) {
        const room = chunkSize - span.tokens.length;
        let next = last;
        let added = 0;
        while (next < pieces.length && added + pieces[next].estimate <= room) added += pieces[next++].estimate;
        if (next === last) break;
        const bigger = this.measure(pieces, first, next);
        if (bigger === null || bigger.tokens.length > chunkSize) break;
        span = bigger;
        last = next;
      }
      if (span !== null) spans.push(span);
      if (last >= pieces.length) break;

      // Overlap: trailing pieces by estimate, then confirmed with the tokenizer so it never exceeds chunkOverlap.
      let from = last;
      let overlap = 0;
      while (from - 1 > first && overlap + pieces[from - 1].estimate <= chunkOverlap) overlap += pieces[--from].estimate;
      while (from < last && this.tokenCount(pieces[from].start, pieces[last - 1].end) > chunkOverlap) from++;
      first = from;
      fresh = last;
    }
    return spans;
  }

  /** The trimmed text of pieces [first, last) as a span with its tokens, or null when it is only whitespace. */
  private measure(pieces: Piece[], first: number, last: number): TextSpan | null {
    const range = trimRange(this.text, pieces[first].start, pieces[last - 1].end);
    if (range === null) return null;
    const text = this.text.slice(range[0], range[1]);
    return { start: range[0], end: range[1], text, tokens: this.options.tokenizer.tokenize(text) };
  }

  private tokenCount(start: number, end: number): number {
    const range = trimRange(this.text, start, end);
    return range === null ? 0 : this.count(range[0], range[1]);
  }

  /** Two pieces: the longest prefix whose trimmed text fits chunkSize (found by bisection), and the rest. */
  private splitPiece(piece: Piece): Piece[] {
    let fits = piece.start;
    let tooBig = piece.end;
    while (alignCut(this.text, fits + 1, fits) < tooBig) {
      const mid = alignCut(this.text, Math.floor((fits + tooBig + 1) / 2), fits);
      if (mid >= tooBig) break;
      if (this.tokenCount(piece.start, mid) <= this.options.chunkSize) fits = mid;
      else tooBig = mid;
    }
    if (fits === piece.start) {
      const one = alignCut(this.text, piece.start + 1, piece.start);
      throw new RangeError(
        `chunkSize ${this.options.chunkSize} is smaller than one character (${JSON.stringify(this.text.slice(piece.start, one))} with ${this.options.tokenizer.name})`,
      );
    }
    return [
      { start: piece.start, end: fits, estimate: this.count(piece.start, fits) },
      { start: fits, end: piece.end, estimate: this.count(fits, piece.end) },
    ];
  }
}

/** Moves a cut past whitespace and NO_START characters, not beyond `limit`. */
function advanceCut(text: string, cut: number, limit: number): number {
  while (cut < limit && (isSpace(text.charCodeAt(cut)) || NO_START.has(text[cut]))) cut++;
  return cut;
}

/**
 * `cut` moved back off the middle of a surrogate pair, or forward when that would reach `floor`: a position after
 * `floor` that never splits a character.
 */
function alignCut(text: string, cut: number, floor: number): number {
  if (cut <= floor) cut = floor + 1;
  if (cut < text.length && isLowSurrogate(text.charCodeAt(cut)) && isHighSurrogate(text.charCodeAt(cut - 1)))
    cut = cut - 1 > floor ? cut - 1 : cut + 1;
  return Math.min(cut, text.length);
}

/** [start, end) without leading and trailing whitespace, or null when nothing else is left. */
function trimRange(text: string, start: number, end: number): [number, number] | null {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return start < end ? [start, end] : null;
}

/** Exactly the characters of the regular-expression class \s. */
function isSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
