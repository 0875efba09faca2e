// What the PDF and image loaders share to read pages through OCR: every page asked for at once (the OCR service
// bounds how many are in flight), and the OCR layer's errors turned into load failures a person can act on.
import crypto from "node:crypto";
import { OcrUnavailableError, type PageOcr } from "../ocr/contract.js";
import { ImageError } from "../ocr/image.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";

/** The error a loader throws for a failure of OCR or of image preparation on page `page`. */
export function ocrLoadError(error: unknown, page: number | null): DocumentLoadError {
  if (error instanceof DocumentLoadError) return error;
  if (error instanceof OcrUnavailableError) return new DocumentLoadError("ocr-unavailable", { detail: error.message, cause: error });
  const where = page === null ? "" : `page ${page}: `;
  if (error instanceof ImageError) return new DocumentLoadError(error.failure, { detail: `${where}${error.message}`, cause: error });
  return new DocumentLoadError("ocr-failed", { detail: `${where}${(error as Error).message}`, cause: error });
}

/** The OCR service of the context, or the failure saying that OCR is off. */
export function requireOcr(context: LoadContext, what: string): PageOcr {
  if (context.ocr) return context.ocr;
  throw new DocumentLoadError("ocr-unavailable", { detail: `${what}, and OCR is off (ocr.engine is "none"); set ocr.engine to "auto"` });
}

/**
 * Reads `pages` (1-based) through OCR; `image(page)` makes a page's image (null: blank). Resolves with each page's
 * text in the order asked; the first failure rejects (as a DocumentLoadError) once every page has settled, so no
 * page is left running against a closed file.
 */
export async function readPages(
  ocr: PageOcr,
  context: LoadContext,
  bytes: Uint8Array,
  pages: number[],
  dpi: number,
  image: (page: number) => Promise<Uint8Array | null>,
): Promise<string[]> {
  const sha256 = context.sha256 ?? crypto.createHash("sha256").update(bytes).digest("hex");
  ocr.expect(pages.length);
  const results = await Promise.allSettled(
    pages.map(async (page) => {
      if (context.signal?.aborted) throw context.signal.reason ?? new Error("stopped");
      try {
        return await ocr.read({ sha256, page, dpi, image: () => image(page) });
      } catch (error) {
        throw ocrLoadError(error, page);
      }
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<string>).value);
}
