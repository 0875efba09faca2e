// The contract every OCR engine meets: one page image in, its text out as lines in reading order. Engines live beside
// this file (paddle.ts, tesseract.ts) and are chosen in one place (engines.ts) from the `ocr.engine` setting.

/** The engines alpaca-rag can run. */
export type OcrEngineName = "paddle" | "tesseract";

/** One recognised line of a page, in reading order. */
export interface OcrLine {
  text: string;
  /** The engine's confidence in [0, 1], when it gives one. */
  confidence?: number;
}

/** What an engine read on one page image. */
export interface OcrPageResult {
  /** Lines in reading order (top to bottom; left to right within a line). Empty for a blank page. */
  lines: OcrLine[];
}

/** Options an engine is created with. */
export interface OcrEngineOptions {
  /**
   * Tesseract language codes to read, e.g. ["chi_sim", "chi_tra", "eng"]. PaddleOCR's PP-OCRv4 Chinese model reads
   * simplified and traditional Chinese and English at once, so it only checks that nothing else is asked of it.
   */
  languages: readonly string[];
  /** CPU threads one recognition may use. Default 1: the pool runs one engine per thread. */
  threads?: number;
}

/**
 * A loaded OCR engine. `recognise` takes an image that has already been bounded and normalised (image.ts: grey PNG,
 * upright, at most `maxOcrSide` pixels a side), so engines never see a 20,000-pixel image.
 */
export interface OcrEngine {
  readonly name: OcrEngineName;
  /** Engine and model version, e.g. "paddle PP-OCRv4" or "tesseract 5.3.0 chi_sim+chi_tra+eng": part of the cache key. */
  readonly variant: string;
  recognise(png: Uint8Array): Promise<OcrPageResult>;
  dispose(): Promise<void>;
}

/** How to make an engine usable on this machine, said to a person. */
export const ocrInstallHints: Readonly<Record<OcrEngineName, string>> = {
  paddle: "PaddleOCR ships with alpaca-rag's npm dependencies (@gutenye/ocr-node); run `npm ci` in the alpaca-rag folder",
  tesseract:
    "install Tesseract and its language data, e.g. `sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra` (Debian/Ubuntu)",
};

/** An engine that cannot run here (not installed, language data missing); the message says how to fix it. */
export class OcrUnavailableError extends Error {
  override readonly name = "OcrUnavailableError";
  constructor(
    readonly engine: OcrEngineName | "none",
    message: string,
  ) {
    super(message);
  }
}

/** The page text of an OCR result: one line per recognised line, empty lines dropped. */
export function pageText(result: OcrPageResult): string {
  return result.lines
    .map((l) => l.text.trim())
    .filter((t) => t !== "")
    .join("\n");
}

/** One page a loader wants read. */
export interface PageOcrRequest {
  /** SHA-256 (hex) of the whole file: with the page, the engine and `dpi`, the cache key. */
  sha256: string;
  /** 1-based page number (1 for an image file). */
  page: number;
  /** Resolution the page is rendered at (PDF pages); 0 for images read at their own size. */
  dpi: number;
  /** Makes the page image (a grey PNG from image.ts), or null for a blank page; called only when the cache misses. */
  image: () => Promise<Uint8Array | null>;
}

/**
 * What loaders get (LoadContext.ocr) to read pages without a text layer: an engine behind a worker pool, a cache and
 * progress reporting. Pages may be requested concurrently; the service bounds how many are in flight.
 */
export interface PageOcr {
  /** Resolution PDF pages are rendered at for OCR (`ocr.dpi`). */
  readonly dpi: number;
  /** Announces that the file in hand has `pages` more pages to read (for the progress bar). */
  expect(pages: number): void;
  /** The page's text, lines joined by "\n"; throws OcrUnavailableError when no engine can run. */
  read(request: PageOcrRequest): Promise<string>;
}
