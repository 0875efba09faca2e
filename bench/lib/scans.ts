// Scanned documents made from the shared sample PDF for the OCR benchmark: its pages rasterised grey (pdf-parse's
// renderer, the one ingest uses) and put back into a PDF as pictures only (pdfkit), so no text layer is left; a photo of
// a page (turned a little, blurred, noisy, JPEG quality 70); and the text each page is known to hold (pages.json).
import fs from "node:fs";
import PDFDocument from "pdfkit";
import { PDFParse, VerbosityLevel } from "pdf-parse";
import sharp from "sharp";
import { sharedPath } from "./paths.js";
import { seededRandom as random } from "./synthetic-corpus.js";

export const samplePdfPath = sharedPath("data", "pdf", "cmrc-trial-sample.pdf");
export const samplePagesPath = sharedPath("data", "pdf", "cmrc-trial-sample.pages.json");

export interface SamplePassage {
  id: string;
  page: number;
  pageEnd: number;
  context: string;
  qas: Array<{ id: string; question: string }>;
}

export function samplePassages(): SamplePassage[] {
  return (JSON.parse(fs.readFileSync(samplePagesPath, "utf8")) as { passages: SamplePassage[] }).passages;
}

/** What page `page` (1-based) says: its passages under their headings 第N节, in order. */
export function expectedPageText(passages: SamplePassage[], page: number): string {
  return passages.flatMap((p, i) => (p.page === page ? [`第${i + 1}节`, p.context] : [])).join("\n");
}

/** Each page of the sample PDF as a grey PNG at `dpi`. */
export async function rasterisePages(dpi: number): Promise<Buffer[]> {
  const parser = new PDFParse({ data: new Uint8Array(fs.readFileSync(samplePdfPath)), verbosity: VerbosityLevel.ERRORS });
  try {
    const shots = await parser.getScreenshot({ scale: dpi / 72, imageDataUrl: false, imageBuffer: true });
    return Promise.all(shots.pages.map((p) => sharp(p.data).grayscale().png().withMetadata({ density: dpi }).toBuffer()));
  } finally {
    await parser.destroy();
  }
}

/** An A4 PDF whose pages are the given images and nothing else: what a scanner hands over. */
export function imageOnlyPdf(pages: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: "A4", margin: 0, autoFirstPage: false, info: { CreationDate: new Date(Date.UTC(2024, 0, 1)) } });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    for (const png of pages) {
      doc.addPage();
      doc.image(png, 0, 0, { width: doc.page.width, height: doc.page.height });
    }
    doc.end();
  });
}

/** A page as a phone photo: turned 1.5°, slightly blurred, with grain, saved as JPEG at quality 70. */
export async function photoOf(page: Buffer): Promise<Buffer> {
  const turned = await sharp(page).rotate(1.5, { background: "#ffffff" }).blur(0.7).grayscale().raw().toBuffer({ resolveWithObject: true });
  const next = random(20240101);
  const data = turned.data;
  for (let i = 0; i < data.length; i += 1) data[i] = Math.max(0, Math.min(255, data[i] + Math.round((next() - 0.5) * 40)));
  return sharp(data, { raw: { width: turned.info.width, height: turned.info.height, channels: turned.info.channels } })
    .jpeg({ quality: 70 })
    .toBuffer();
}

/** Character error rate: edit distance between the texts (NFKC, whitespace removed) over the expected length. */
export function characterErrorRate(actual: string, expected: string): number {
  const norm = (s: string) => [...s.normalize("NFKC").replace(/\s+/g, "")];
  const a = norm(actual);
  const b = norm(expected);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return b.length === 0 ? 0 : previous[b.length] / b.length;
}

/** Character bigrams of a text (NFKC, whitespace removed): how hits are matched to passages. */
export function bigrams(text: string): Set<string> {
  const chars = [...text.normalize("NFKC").replace(/\s+/g, "")];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}
