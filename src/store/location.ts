// Where a stored chunk (and so a citation) is: a page range, slides, spreadsheet rows, a chapter or a section, with the
// label a client shows. Pure functions on the stored value, shared by ingest (which computes a chunk's location from
// its document's marks) and retrieval (which joins neighbouring results), so a label is always written the same way.

/** The kinds of place a citation can point to. */
export type LocationKind = "page" | "slide" | "sheet" | "section" | "chapter";

/** Where a chunk (or a citation) is, as a client shows it. */
export interface SourceLocation {
  kind: LocationKind;
  /** Ready to show: "p. 3", "pp. 3–4", "slide 4", "slides 4–5", "sheet 价格表, rows 12–18", "chapter 2: 标题", "§ 安装". */
  label: string;
  page?: number;
  pageEnd?: number;
  slide?: number;
  slideEnd?: number;
  sheet?: string;
  rowStart?: number;
  rowEnd?: number;
  chapter?: number;
  title?: string;
  section?: string;
}

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

/** The location with its label filled in. */
export function withLabel(location: Omit<SourceLocation, "label">): SourceLocation {
  return { ...location, label: locationLabel(location) } as SourceLocation;
}

/** A page range (PDFs and scans). */
export function pageLocation(page: number, pageEnd: number = page): SourceLocation {
  return withLabel({ kind: "page", page, pageEnd: Math.max(page, pageEnd) });
}

export function sectionLocation(section: string): SourceLocation {
  return withLabel({ kind: "section", section });
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
