// Shapes that flow through ingestion: a loaded document's normalised text with its page and section maps,
// and the chunks cut from it.
import type { Token } from "node-llama-cpp";
import type { LocationKind, SourceLocation } from "../store/location.js";

export type DocumentKind =
  | "pdf"
  | "text"
  | "markdown"
  | "docx"
  | "odt"
  | "pptx"
  | "odp"
  | "xlsx"
  | "ods"
  | "csv"
  | "tsv"
  | "html"
  | "epub"
  | "doc"
  | "xls"
  | "ppt"
  | "rtf"
  | "image";

export type { LocationKind, SourceLocation } from "../store/location.js";

/** A place in a document where a new location unit begins: a slide, a spreadsheet row, an e-book chapter, a section. */
export interface LocationMark {
  /** Offset in LoadedDocument.text of the unit's first character; marks are in increasing offset order. */
  offset: number;
  kind: LocationKind;
  /** 1-based number: slide number, row number in its sheet (as the spreadsheet numbers it), chapter number, page. */
  index: number;
  /** Sheet name, chapter title or section title, when there is one. */
  name?: string;
}


/** A section heading (Markdown `#` heading, or a PDF heading line) and where its text begins in `LoadedDocument.text`. */
export interface SectionStart {
  /** Offset in `text` of the first character of the section (the heading line itself). */
  offset: number;
  title: string;
}

/**
 * A document as text. For PDFs, pages are concatenated in order: page i (1-based) occupies
 * text.slice(pageStarts[i-1], pageStarts[i] ?? text.length). The separator between pages belongs to the earlier page.
 * Text files have pageStarts = [] (no pages).
 */
export interface LoadedDocument {
  kind: DocumentKind;
  /** Normalised text: line wraps joined, paragraphs separated by "\n\n", no trailing whitespace on lines. */
  text: string;
  /** Start offset of each page in `text` (PDFs and images, an image being one page; pageStarts[0] === 0). */
  pageStarts: number[];
  /** Section starts in increasing offset order (may be empty). */
  sections: SectionStart[];
  /** Detected text encoding for text files (e.g. "UTF-8", "GB18030", "UTF-16LE", "Big5"). */
  encoding?: string;
  /** Location units (slides, sheet rows, chapters) in text order; absent for text files and PDFs (pages use pageStarts). */
  locations?: LocationMark[];
}

/** A piece of text chosen by the splitter: [start, end) offsets into the text it was given, and its tokens. */
export interface TextSpan {
  start: number;
  end: number;
  text: string;
  /** Tokens of `text` from the tokenizer the splitter was given (no BOS/EOS); length is the chunk's token count. */
  tokens: Token[];
}

/** A chunk ready to embed and store. */
export interface ChunkDraft {
  /** 0-based position of the chunk in its document. */
  index: number;
  text: string;
  tokens: Token[];
  /** Offsets in LoadedDocument.text. */
  start: number;
  end: number;
  /** 1-based page where the chunk starts and ends (PDF); null for text files. */
  page: number | null;
  pageEnd: number | null;
  /** Offset of the chunk's first character within its start page's text (or the file's text). */
  charStart: number;
  /** Offset just past the chunk's last character within its end page's text (or the file's text). */
  charEnd: number;
  /** Title of the section the chunk starts in, or null. */
  section: string | null;
  /** Where the chunk is, as a citation shows it (page, slide, sheet rows, chapter or section); null when nothing says. */
  location: SourceLocation | null;
}
