// Where a chunk is, as a citation shows it: from its document's location marks (slides, sheet rows, chapters), its
// pages (PDFs and scans) or its section. The labels and ranges themselves are store/location.ts's.
import { pageLocation, sectionLocation, withLabel, type SourceLocation } from "../store/location.js";
import type { LocationMark } from "./types.js";

/** The last mark at or before `offset` (marks are in increasing offset order), or undefined before the first. */
export function markAt(marks: readonly LocationMark[], offset: number): LocationMark | undefined {
  let low = 0;
  let high = marks.length - 1;
  let found: LocationMark | undefined;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (marks[mid].offset <= offset) {
      found = marks[mid];
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** Same unit family: both slides, or rows of the same sheet, or the same chapter, or pages. */
function sameFamily(a: LocationMark, b: LocationMark): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "sheet" || a.kind === "section") return a.name === b.name;
  if (a.kind === "chapter") return a.index === b.index;
  return true;
}

/** The location of one mark, stretched to `last` when both are of one family. */
function fromMarks(first: LocationMark, last: LocationMark): SourceLocation {
  const end = sameFamily(first, last) && last.index >= first.index ? last : first;
  switch (first.kind) {
    case "page":
      return pageLocation(first.index, end.index);
    case "slide":
      return withLabel({ kind: "slide", slide: first.index, slideEnd: end.index });
    case "sheet":
      return withLabel({ kind: "sheet", sheet: first.name ?? "", rowStart: first.index, rowEnd: end.index });
    case "chapter":
      return withLabel(first.name ? { kind: "chapter", chapter: first.index, title: first.name } : { kind: "chapter", chapter: first.index });
    case "section":
      return sectionLocation(first.name ?? "");
  }
}

/**
 * Where the text [start, end) is: from the marks covering its first and last characters (a chunk before the first
 * mark takes the first mark's unit), else from its pages, else its section; null when nothing says.
 */
export function chunkLocation(
  marks: readonly LocationMark[] | undefined,
  start: number,
  end: number,
  page: number | null,
  pageEnd: number | null,
  section: string | null,
): SourceLocation | null {
  if (marks && marks.length) {
    const first = markAt(marks, start) ?? marks[0];
    const last = markAt(marks, Math.max(start, end - 1)) ?? marks[0];
    return fromMarks(first, last);
  }
  if (page !== null) return pageLocation(page, pageEnd ?? page);
  if (section) return sectionLocation(section);
  return null;
}
