// PDF files as LoadedDocuments: text page by page through pdf-parse (pages without a text layer through OCR), line wraps
// joined back into paragraphs (also across page breaks), heading lines recorded as sections, and pdf-parse's failures
// turned into reasons a person reads.
import { PDFParse, PasswordException, VerbosityLevel } from "pdf-parse";
import { ocrImage, renderScale } from "../ocr/image.js";
import type { LoadedDocument, SectionStart } from "../types.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { readPages } from "./ocrPages.js";

/** A line of extracted text, with what the layout heuristics need to know about it. */
interface PdfLine {
  text: string;
  /** 0-based page index. */
  page: number;
  /** Display width: 2 per CJK/fullwidth character, 1 per other character. */
  width: number;
  /** Reaches (nearly) the page's usual right margin, so the paragraph probably continues on the next line. */
  full: boolean;
  /** A blank line or an empty page came before it: a paragraph starts here whatever the previous line looked like. */
  breakBefore: boolean;
  /** The full-line width its page is measured against (Infinity when there is no wrapped prose to measure). */
  pageFullWidth: number;
}

/** A line narrower than this share of the page's full-line width ends its paragraph. */
const fullLineShare = 0.85;
/** Pages whose widest lines are narrower than this (display width) hold no wrapped prose, only short lines. */
const minWrapWidth = 20;
/** Pages with fewer lines than this use the document's full-line width instead of their own. */
const minLinesForPageWidth = 3;
/** Heading lines are at most this wide (display width: 30 CJK characters or 60 Latin ones)… */
const maxHeadingWidth = 60;
/** …and at most this share of the page's full-line width. */
const maxHeadingShare = 0.7;

// East Asian Wide and Fullwidth characters: Hangul Jamo, CJK radicals, symbols and punctuation, kana, CJK ideographs
// (with Extension A, compatibility and the astral planes), Yi, Hangul syllables, vertical and fullwidth forms.
const widePattern = new RegExp(
  "[\\u1100-\\u115F\\u2E80-\\u303E\\u3041-\\u33FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uA000-\\uA4CF\\uAC00-\\uD7A3" +
    "\\uF900-\\uFAFF\\uFE30-\\uFE4F\\uFF00-\\uFF60\\uFFE0-\\uFFE6\\u{20000}-\\u{3FFFD}]",
  "u",
);

/** Punctuation that ends a sentence or a clause (a heading never ends with it), then any closing quotes or brackets. */
const clauseEnd = /[.!?;:,。！？；：，、…]["'”’)）」』】]*$/u;
/** Punctuation that ends a sentence, then any closing quotes or brackets. */
const sentenceEnd = /[.!?。！？…]["'”’)）」』】]*$/u;
const letterPattern = /\p{L}/u;

function isWide(ch: string | undefined): boolean {
  return ch !== undefined && widePattern.test(ch);
}

function displayWidth(line: string): number {
  let width = 0;
  for (const ch of line) width += isWide(ch) ? 2 : 1;
  return width;
}

/**
 * The width a full line reaches among `widths`: nearly the widest, ignoring the top tenth so that one overlong line
 * (a URL, a table row) does not make every normal line look short.
 */
function fullLineWidth(widths: number[]): number {
  const sorted = widths.filter((w) => w > 0).sort((a, b) => b - a);
  if (sorted.length === 0) return Infinity;
  const width = sorted[Math.floor(sorted.length / 10)];
  return width < minWrapWidth ? Infinity : width;
}

/**
 * Lines of every page in reading order, tabs (pdf-parse's cell gaps) as spaces, blank lines folded into breakBefore.
 * A page with only a line or two takes the document's full-line width: its own lines say nothing about the margin.
 */
function pdfLines(pageTexts: string[]): PdfLine[] {
  const pages = pageTexts.map((pageText) => pageText.split("\n").map((l) => l.replace(/\t/g, " ").trim()));
  const widths = pages.map((texts) => texts.map(displayWidth));
  const documentFullWidth = fullLineWidth(widths.flat());
  const lines: PdfLine[] = [];
  let breakPending = false;
  pages.forEach((texts, page) => {
    const nonEmpty = texts.filter((t) => t !== "").length;
    const fullWidth = nonEmpty >= minLinesForPageWidth ? fullLineWidth(widths[page]) : documentFullWidth;
    texts.forEach((text, i) => {
      if (text === "") {
        breakPending = true;
        return;
      }
      const width = widths[page][i];
      const full = width >= fullWidth * fullLineShare;
      lines.push({ text, page, width, full, breakBefore: breakPending, pageFullWidth: fullWidth });
      breakPending = false;
    });
  });
  return lines;
}

/**
 * Shaped like a heading: a short line that does not end like a clause, holds a letter (so not a page number), and is
 * followed by prose (a full line or a finished sentence), e.g. "第3节" or "Chapter 2 Overview".
 */
function headingShaped(line: PdfLine, next: PdfLine | undefined): boolean {
  if (line.full || !next) return false;
  if (line.width > maxHeadingWidth || line.width > line.pageFullWidth * maxHeadingShare) return false;
  if (clauseEnd.test(line.text) || !letterPattern.test(line.text)) return false;
  return next.full || clauseEnd.test(next.text);
}

/**
 * How a wrapped line joins the line before it: nothing, dropping the hyphen, for a word split as "infor-" + "mation";
 * nothing, keeping the hyphen, for "Jean-" + "Pierre"; nothing when either side is CJK; else one space.
 */
function wrapJoin(before: string, next: string): { dropHyphen: boolean; separator: string } {
  const chars = [...before.slice(-4)];
  const last = chars.at(-1);
  if (last === "-" && /\p{L}/u.test(chars.at(-2) ?? "") && !isWide(chars.at(-2)) && /^\p{Ll}/u.test(next)) {
    return { dropHyphen: true, separator: "" };
  }
  if (last === "-" && /[\p{L}\p{N}]/u.test(chars.at(-2) ?? "")) return { dropHyphen: false, separator: "" };
  return { dropHyphen: false, separator: isWide(last) || isWide([...next][0]) ? "" : " " };
}

/** Join the pages' lines into paragraphs and fill the page map (one entry per page, textless ones too) and sections. */
export function assemblePdfText(pageTexts: string[]): Pick<LoadedDocument, "text" | "pageStarts" | "sections"> {
  const lines = pdfLines(pageTexts);
  const sections: SectionStart[] = [];
  const pageStarts: number[] = [0];
  // Pieces of the text, the last always the latest line (so a soft-wrap hyphen can be taken off it cheaply).
  const parts: string[] = [];
  let length = 0;
  let paragraphEnded = true;
  const append = (piece: string) => {
    parts.push(piece);
    length += piece.length;
  };

  lines.forEach((line, i) => {
    const previous = parts.at(-1) ?? "";
    // A heading may follow a paragraph whose last line happens to be nearly full, as long as that line ends a sentence.
    const heading =
      headingShaped(line, lines[i + 1]) && (paragraphEnded || line.breakBefore || sentenceEnd.test(previous));
    const startsParagraph = paragraphEnded || line.breakBefore || heading;
    if (i > 0) {
      if (startsParagraph) append("\n\n");
      else {
        const join = wrapJoin(previous, line.text);
        if (join.dropHyphen) {
          parts[parts.length - 1] = previous.slice(0, -1);
          length -= 1;
        }
        append(join.separator);
      }
    }
    // Pages up to this line's begin here, after the separator: the separator belongs to the earlier page.
    while (pageStarts.length <= line.page) pageStarts.push(length);
    if (heading) sections.push({ offset: length, title: line.text });
    append(line.text);
    paragraphEnded = heading || !line.full;
  });
  while (pageStarts.length < pageTexts.length) pageStarts.push(length);
  return { text: parts.join(""), pageStarts, sections };
}

/** A page without a text layer: nothing but whitespace was extracted from it. */
function textless(pageText: string): boolean {
  return pageText.trim() === "";
}

/**
 * Each page's text: the text layer where there is one, else (when the context has OCR) the page rendered at
 * `ocr.dpi` by pdf-parse's own renderer (pdf.js on @napi-rs/canvas, already here for the text, so no other program
 * is needed) and read through OCR. Throws DocumentLoadError for corrupt and encrypted files and for OCR failures.
 */
async function readPageTexts(bytes: Uint8Array, context: LoadContext): Promise<string[]> {
  // A copy: pdf.js may take ownership of the buffer it is given.
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: VerbosityLevel.ERRORS });
  try {
    let pageTexts: string[];
    try {
      const result = await parser.getText({ cellSeparator: " " });
      pageTexts = [...result.pages].sort((a, b) => a.num - b.num).map((p) => p.text);
    } catch (error) {
      if (error instanceof PasswordException) throw new DocumentLoadError("encrypted-pdf", { cause: error });
      throw new DocumentLoadError("corrupt-pdf", { cause: error });
    }
    const scanned = pageTexts.flatMap((text, i) => (textless(text) ? [i + 1] : []));
    if (scanned.length === 0 || !context.ocr) return pageTexts;
    const ocr = context.ocr;
    const sizes = new Map((await parser.getInfo({ parsePageInfo: true })).pages.map((p) => [p.pageNumber, p]));
    // One page renders at a time: pdf.js shares one document, and a rendered page is the bulk of the memory here.
    let rendering: Promise<unknown> = Promise.resolve();
    const render = async (page: number): Promise<Uint8Array | null> => {
      const size = sizes.get(page);
      const scale = renderScale(size?.width ?? 595, size?.height ?? 842, ocr.dpi);
      const shot = rendering.then(() => parser.getScreenshot({ partial: [page], scale, imageDataUrl: false, imageBuffer: true }));
      rendering = shot.catch(() => {});
      const png = (await shot).pages[0]?.data;
      return png ? ocrImage(png, { dpi: scale * 72 }) : null;
    };
    const texts = await readPages(ocr, context, bytes, scanned, ocr.dpi, render);
    scanned.forEach((page, i) => (pageTexts[page - 1] = texts[i]));
    return pageTexts;
  } finally {
    await parser.destroy();
  }
}

/**
 * A PDF file's bytes as a LoadedDocument, page by page: pages with a text layer keep it, pages without one are read
 * through OCR when the context has it. Throws DocumentLoadError if it is empty, corrupt, encrypted or has no text.
 */
export async function loadPdfDocument(bytes: Uint8Array, context: LoadContext = { filePath: "" }): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  const pageTexts = await readPageTexts(bytes, context);
  const assembled = assemblePdfText(pageTexts);
  if (assembled.text.trim() === "") {
    throw new DocumentLoadError("no-text-layer", {
      detail: context.ocr ? "OCR found no text on its pages either" : 'OCR is off (ocr.engine is "none")',
    });
  }
  return { kind: "pdf", ...assembled };
}
