// Page images for the OCR tests, rendered at test time: lines of text drawn as SVG by sharp with a CJK font from the
// system (Debian's fonts-wqy-zenhei or fonts-noto-cjk), and PDFs whose pages are such images (what a scanner makes).
import sharp from "sharp";
import { drawPdf } from "../../reliability/fixtures.js";

/** Fonts tried in order; fontconfig picks the first one installed. */
const cjkFonts = "WenQuanYi Zen Hei, Noto Sans CJK SC, Noto Sans CJK TC, sans-serif";

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface RenderOptions {
  /** Pixels per em. Default 32 (a 12-point line scanned at about 190 dpi). */
  fontSize?: number;
  /** Image width in pixels. Default: wide enough for the longest line. */
  width?: number;
}

/** A white PNG with the lines in black, one under another, as a scanner would see them. */
export async function renderLines(lines: string[], options: RenderOptions = {}): Promise<Buffer> {
  const size = options.fontSize ?? 32;
  const longest = Math.max(...lines.map((l) => [...l].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? 1 : 0.55), 0)));
  const width = options.width ?? Math.ceil(longest * size + 2 * size);
  const lineHeight = Math.round(size * 1.6);
  const height = lineHeight * lines.length + 2 * size;
  const body = lines
    .map((l, i) => `<text x="${size}" y="${size + lineHeight * i + size}" font-family="${cjkFonts}" font-size="${size}">${escapeXml(l)}</text>`)
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** One page of a PDF: text with a text layer (Helvetica, so Latin only) or a picture only (no text layer). */
export type PdfPage = { text: string } | { image: Buffer };

/** A small-page PDF (A6, so rendering and OCR stay quick) of the given pages. */
export function pdfOfPages(pages: PdfPage[]): Promise<Buffer> {
  return drawPdf({ size: "A6", margin: 24, autoFirstPage: false }, (doc) => {
    for (const page of pages) {
      doc.addPage();
      if ("text" in page) doc.font("Helvetica").fontSize(11).text(page.text);
      else doc.image(page.image, 24, 24, { fit: [doc.page.width - 48, doc.page.height - 48] });
    }
  });
}

/** Characters of `expected` (spaces ignored) that `actual` lacks, counted as an edit distance: 0 is a perfect read. */
export function characterErrors(actual: string, expected: string): number {
  const a = [...actual.replace(/\s+/g, "")];
  const b = [...expected.replace(/\s+/g, "")];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
