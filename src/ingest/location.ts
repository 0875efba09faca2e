// Where a chunk is, as a citation shows it: from a document's location marks (slides, sheet rows, chapters), its pages
// (PDFs and scans) or its section. Pure functions, shared by chunking (ingest) and by merging neighbouring results
// (retrieval), so a label is always written the same way.
import type { LocationMark, SourceLocation } from "./types.js";

/** "3" or "3–5". */
function span(first: number, last: number): string {
  return last > first ? `${first}–${last}` : `${first}`;
}

/** The label of a location from its fields: "p. 3", "pp. 3–4", "slides 4–5", "sheet 价格表, rows 12–18", "§ 安装". */
export function locationLabel(location: Omit<SourceLocation, "label">): string {
  switch (location.kind) {
    case "page": {
      const first = location.page ?? 1;
      const last = location.pageEnd ?? first;
      return last > first ? `pp. ${span(first, last)}` : `p. ${first}`;
    }
    case "slide": {
      const first = location.slide ?? 1;
      const last = location.slideEnd ?? first;
      return `${last > first ? "slides" : "slide"} ${span(first, last)}`;
    }
    case "sheet": {
      const rows = location.rowStart === undefined ? "" : location.rowEnd !== undefined && location.rowEnd > location.rowStart
        ? `, rows ${span(location.rowStart, location.rowEnd)}`
        : `, row ${location.rowStart}`;
      return `sheet ${location.sheet ?? ""}${rows}`;
    }
    case "chapter":
      return `chapter ${location.chapter ?? 1}${location.title ? `: ${location.title}` : ""}`;
    case "section":
      return `§ ${location.section ?? ""}`;
  }
}

function withLabel(location: Omit<SourceLocation, "label">): SourceLocation {
  return { ...location, label: locationLabel(location) } as SourceLocation;
}

/** A page range (PDFs and scans). */
export function pageLocation(page: number, pageEnd: number = page): SourceLocation {
  return withLabel({ kind: "page", page, pageEnd: Math.max(page, pageEnd) });
}

export function sectionLocation(section: string): SourceLocation {
  return withLabel({ kind: "section", section });
}

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

/** The location of two neighbouring results shown as one: a range when they are of one kind (and sheet), else `a`'s. */
export function mergeLocations(a: SourceLocation | null, b: SourceLocation | null): SourceLocation | null {
  if (!a || !b) return a ?? b;
  if (a.kind !== b.kind) return a;
  switch (a.kind) {
    case "page":
      return pageLocation(Math.min(a.page ?? 1, b.page ?? 1), Math.max(a.pageEnd ?? a.page ?? 1, b.pageEnd ?? b.page ?? 1));
    case "slide":
      return withLabel({
        kind: "slide",
        slide: Math.min(a.slide ?? 1, b.slide ?? 1),
        slideEnd: Math.max(a.slideEnd ?? a.slide ?? 1, b.slideEnd ?? b.slide ?? 1),
      });
    case "sheet":
      if (a.sheet !== b.sheet || a.rowStart === undefined || b.rowStart === undefined) return a;
      return withLabel({
        kind: "sheet",
        sheet: a.sheet,
        rowStart: Math.min(a.rowStart, b.rowStart),
        rowEnd: Math.max(a.rowEnd ?? a.rowStart, b.rowEnd ?? b.rowStart),
      });
    default:
      return a;
  }
}
