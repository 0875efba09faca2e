// Builds a LoadedDocument from structured pieces (paragraphs, headings, table rows, location units) so every structured
// format (Word, slides, web pages, e-books) normalises text, sections and location marks the same way.
import type { DocumentKind, LoadedDocument, LocationKind, LocationMark, SectionStart } from "../types.js";
import { DocumentLoadError } from "./errors.js";

/** Inline whitespace runs (not line breaks) become one space; Chinese needs no space, but what the file had stays. */
function cleanLine(line: string): string {
  return line.replace(/[\t\f\v \u00A0\u2000-\u200A\u202F\u205F]+/g, " ").trim();
}

/** A block's text: lines cleaned, blank lines dropped (a paragraph never holds a paragraph break). */
export function cleanBlock(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map(cleanLine)
    .filter((l) => l !== "")
    .join("\n");
}

/**
 * Appends blocks of text separated by a blank line, recording sections and location marks at the offsets where their
 * text begins. Marks and sections added before any text point at the next block.
 */
export class TextBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly sections: SectionStart[] = [];
  private readonly marks: LocationMark[] = [];

  /** The offset the next block will start at. */
  private nextOffset(): number {
    return this.length === 0 ? 0 : this.length + 2;
  }

  /** A paragraph (or any block); its inner line breaks are kept, its whitespace cleaned. Empty text is ignored. */
  paragraph(text: string): void {
    const block = cleanBlock(text);
    if (block === "") return;
    if (this.length > 0) this.push("\n\n");
    this.push(block);
  }

  /** A heading: starts a section titled by it, and its text is a block of its own (so it is indexed too). */
  heading(title: string): void {
    const clean = cleanBlock(title).replace(/\n/g, " ");
    if (clean === "") return;
    this.section(clean);
    this.paragraph(clean);
  }

  /** Starts a section at the next block without writing its title as text. */
  section(title: string): void {
    const offset = this.nextOffset();
    const last = this.sections.at(-1);
    // Two headings in a row with nothing between: the later one names the section.
    if (last && last.offset === offset) last.title = title;
    else this.sections.push({ offset, title });
  }

  /** A table: one line per row, cells joined by " | " so a row reads as one line. Empty rows are dropped. */
  table(rows: string[][]): void {
    const lines = rows
      .map((cells) => cells.map((c) => cleanBlock(c).replace(/\n/g, " ")).filter((c) => c !== ""))
      .filter((cells) => cells.length > 0)
      .map((cells) => cells.join(" | "));
    if (lines.length) this.paragraph(lines.join("\n"));
  }

  /** Starts a location unit (a slide, a chapter) at the next block. */
  mark(kind: LocationKind, index: number, name?: string): void {
    const mark: LocationMark = { offset: this.nextOffset(), kind, index };
    if (name) mark.name = cleanBlock(name).replace(/\n/g, " ");
    const last = this.marks.at(-1);
    // A unit with no text of its own (an empty slide) gives way to the next one.
    if (last && last.offset === mark.offset) this.marks[this.marks.length - 1] = mark;
    else this.marks.push(mark);
  }

  get isEmpty(): boolean {
    return this.length === 0;
  }

  private push(piece: string): void {
    this.parts.push(piece);
    this.length += piece.length;
  }

  /** The document; throws DocumentLoadError("empty") when no text was added. */
  finish(kind: DocumentKind): LoadedDocument {
    const text = this.parts.join("");
    if (text.trim() === "") throw new DocumentLoadError("empty", { detail: "no text in the document" });
    // Marks or sections left pointing past the end (a trailing empty slide) would cite nothing.
    const inside = <T extends { offset: number }>(list: T[]) => list.filter((m) => m.offset < text.length);
    const doc: LoadedDocument = { kind, text, pageStarts: [], sections: inside(this.sections) };
    const marks = inside(this.marks);
    if (marks.length) doc.locations = marks;
    return doc;
  }
}
