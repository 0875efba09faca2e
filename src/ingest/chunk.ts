// Cuts a loaded document into chunks: each section, slide and chapter is split on its own (a chunk never spans two), and every
// chunk learns its pages, its offsets within them and its location (page, slide, sheet rows, chapter or section).
import { chunkLocation } from "./location.js";
import { splitText, type SplitOptions } from "./splitter.js";
import type { ChunkDraft, LoadedDocument } from "./types.js";

/** A stretch of the document's text that is split on its own: the text before the first heading, or one section. */
interface Part {
  start: number;
  end: number;
  section: string | null;
}

/**
 * The chunks of `doc`, in text order and numbered from 0. Offsets are in `doc.text`; for PDFs, `page`/`pageEnd` are the
 * 1-based pages holding the first and last character and `charStart`/`charEnd` are relative to those pages' starts.
 * `location` comes from the document's location marks when it has them, else from its pages, else from its section.
 */
export function chunkDocument(doc: LoadedDocument, options: SplitOptions): ChunkDraft[] {
  const chunks: ChunkDraft[] = [];
  for (const part of sectionParts(doc)) {
    for (const span of splitText(doc.text.slice(part.start, part.end), options)) {
      if (span.text.trim() === "") continue;
      const start = part.start + span.start;
      const end = part.start + span.end;
      const page = pageOf(doc.pageStarts, start);
      const pageEnd = pageOf(doc.pageStarts, end - 1);
      chunks.push({
        index: chunks.length,
        text: span.text,
        tokens: span.tokens,
        start,
        end,
        page,
        pageEnd,
        charStart: page === null ? start : start - doc.pageStarts[page - 1],
        charEnd: pageEnd === null ? end : end - doc.pageStarts[pageEnd - 1],
        section: part.section,
        location: chunkLocation(doc.locations, start, end, page, pageEnd, part.section),
      });
    }
  }
  return chunks;
}

/** Location units a chunk never spans, so that each chunk cites one of them: a slide, a chapter. */
const unitKinds = new Set(["slide", "chapter"]);

/**
 * The text before the first section (section null), then each section up to the next one's start; slides and
 * chapters are cut apart the same way (sheet rows are not: a chunk holds a range of rows).
 */
function sectionParts(doc: LoadedDocument): Part[] {
  const length = doc.text.length;
  const cuts = [
    ...doc.sections.map((s) => ({ offset: s.offset, title: s.title as string | undefined })),
    ...(doc.locations ?? []).filter((m) => unitKinds.has(m.kind)).map((m) => ({ offset: m.offset, title: undefined })),
  ].sort((a, b) => a.offset - b.offset);
  const parts: Part[] = [];
  let start = 0;
  let section: string | null = null;
  for (const next of cuts) {
    const offset = Math.min(Math.max(next.offset, start), length);
    if (offset > start) parts.push({ start, end: offset, section });
    start = offset;
    if (next.title !== undefined) section = next.title;
  }
  if (length > start) parts.push({ start, end: length, section });
  return parts;
}

/** The 1-based page holding character `offset`, by binary search over page starts; null for a text without pages. */
function pageOf(pageStarts: number[], offset: number): number | null {
  if (pageStarts.length === 0) return null;
  let low = 0;
  let high = pageStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (pageStarts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}
