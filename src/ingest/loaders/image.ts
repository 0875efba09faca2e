// Image files (.png .jpg .jpeg .tif .tiff .bmp .webp) as LoadedDocuments: each page (a TIFF may hold several, any
// other image is one) read through OCR, its lines joined into paragraphs like a PDF page's, cited by page number.
import type { LoadedDocument } from "../types.js";
import { inspectImage, ocrImage } from "../ocr/image.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { ocrLoadError, readPages, requireOcr } from "./ocrPages.js";
import { assemblePdfText } from "./pdf.js";

/** An image file's bytes as a one-page (or, for a multi-page TIFF, several-page) document of kind "image". */
export async function loadImageDocument(bytes: Uint8Array, context: LoadContext): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  let pageCount: number;
  try {
    pageCount = (await inspectImage(bytes)).pages;
  } catch (error) {
    throw ocrLoadError(error, null);
  }
  const ocr = requireOcr(context, "an image has no text layer");
  const pages = Array.from({ length: pageCount }, (_, i) => i + 1);
  const texts = await readPages(ocr, context, bytes, pages, 0, (page) => ocrImage(bytes, { page: page - 1 }));
  const assembled = assemblePdfText(texts);
  if (assembled.text.trim() === "") throw new DocumentLoadError("empty", { detail: "OCR found no text in the image" });
  return { kind: "image", ...assembled };
}
