// The scanned-PDF file of the formats benchmark: passages typeset by pdfkit with a CJK system font (Debian's
// fonts-wqy-zenhei, which CI installs for the OCR tests), each page rasterised grey at 150 dpi by pdf-parse's renderer
// (the one ingest uses), and the pictures put back into a PDF with no text layer: what a scanner hands over.
import fs from "node:fs";
import PDFDocument from "pdfkit";
import { PDFParse, VerbosityLevel } from "pdf-parse";
import sharp from "sharp";
import type { FormatWriter } from "./format-files.js";
import { imageOnlyPdf } from "./scans.js";

const fontFile = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";
const dpi = 150;

/** A text PDF of the passages (title, then text), A4, 11 pt. */
function typeset(passages: Parameters<FormatWriter>[0]): Promise<Buffer> {
  if (!fs.existsSync(fontFile)) throw new Error(`${fontFile} is missing: apt-get install fonts-wqy-zenhei`);
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: "A4", margin: 56, info: { CreationDate: new Date(Date.UTC(2024, 0, 1)) } });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    doc.font(fontFile, "WenQuanYiZenHei");
    for (const p of passages) {
      doc.fontSize(14).text(p.title, { paragraphGap: 6 });
      doc.fontSize(11).text(p.text.replace(/\s*\n\s*/g, "\n"), { paragraphGap: 12, lineGap: 3 });
    }
    doc.end();
  });
}

export const writeScannedPdf: FormatWriter = async (passages) => {
  const parser = new PDFParse({ data: new Uint8Array(await typeset(passages)), verbosity: VerbosityLevel.ERRORS });
  try {
    const shots = await parser.getScreenshot({ scale: dpi / 72, imageDataUrl: false, imageBuffer: true });
    const pages = await Promise.all(shots.pages.map((p) => sharp(p.data).grayscale().png().toBuffer()));
    return imageOnlyPdf(pages);
  } finally {
    await parser.destroy();
  }
};
