// Entry point of the loaders: which files can be ingested, and one function that turns any of them into a
// LoadedDocument by its extension.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { LoadedDocument } from "../types.js";
import type { DocumentLoader, LoadContext } from "./contract.js";
import { loadDocxDocument } from "./docx.js";
import { loadEpubDocument } from "./epub.js";
import { DocumentLoadError } from "./errors.js";
import { loadDelimitedDocument } from "./csv.js";
import { loadOdsDocument } from "./ods.js";
import { loadImageDocument } from "./image.js";
import { loadHtmlDocument } from "./html.js";
import { loadDocDocument, loadPptDocument, loadRtfDocument } from "./legacy.js";
import { loadOdpDocument } from "./odp.js";
import { loadOdtDocument } from "./odt.js";
import { loadPdfDocument } from "./pdf.js";
import { loadPptxDocument } from "./pptx.js";
import { loadTextDocument } from "./text.js";
import { loadXlsDocument } from "./xls.js";
import { loadXlsxDocument } from "./xlsx.js";

export { DocumentLoadError, loadFailureReasons, type DocumentLoadFailure } from "./errors.js";
export type { DocumentLoader, LoadContext } from "./contract.js";

/** The one table of formats: extension (lower case, with the dot) → loader. */
const loaders: Readonly<Record<string, DocumentLoader>> = {
  ".pdf": loadPdfDocument,
  ".txt": (bytes) => loadTextDocument(bytes, "text"),
  ".md": (bytes) => loadTextDocument(bytes, "markdown"),
  ".markdown": (bytes) => loadTextDocument(bytes, "markdown"),
  ".xlsx": (bytes, context) => loadXlsxDocument(bytes, context),
  ".ods": loadOdsDocument,
  ".xls": loadXlsDocument,
  ".csv": (bytes, context) => loadDelimitedDocument(bytes, context, "csv"),
  ".tsv": (bytes, context) => loadDelimitedDocument(bytes, context, "tsv"),
  ...Object.fromEntries([".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"].map((ext) => [ext, loadImageDocument])),
  ".docx": (bytes, context) => loadDocxDocument(bytes, context),
  ".odt": loadOdtDocument,
  ".pptx": (bytes, context) => loadPptxDocument(bytes, context),
  ".odp": loadOdpDocument,
  ".html": loadHtmlDocument,
  ".htm": loadHtmlDocument,
  ".epub": loadEpubDocument,
  ".doc": loadDocDocument,
  ".ppt": loadPptDocument,
  ".rtf": loadRtfDocument,
};

/** File extensions (lower-case, with the dot) that loadDocument accepts; matching is case-insensitive. */
export const supportedExtensions: readonly string[] = Object.keys(loaders);

export function isSupportedFile(filePath: string): boolean {
  return Object.hasOwn(loaders, extname(filePath).toLowerCase());
}

/**
 * Load one document. `bytes` are the file's contents when the caller has already read them (to hash them, say);
 * otherwise the file is read here. Throws DocumentLoadError, with `filePath` set, for files that cannot become text;
 * errors reading the file itself (missing, unreadable) pass through unchanged.
 */
export async function loadDocument(filePath: string, bytes?: Buffer, context: Omit<LoadContext, "filePath"> = {}): Promise<LoadedDocument> {
  const extension = extname(filePath).toLowerCase();
  if (!isSupportedFile(filePath)) {
    const found = extension || "(no extension)";
    throw new DocumentLoadError("unsupported-type", {
      detail: `${found} (supported: ${supportedExtensions.join(", ")})`,
      filePath,
    });
  }
  const contents = bytes ?? (await readFile(filePath));
  try {
    return await loaders[extension](contents, { ...context, filePath });
  } catch (error) {
    if (error instanceof DocumentLoadError) error.filePath = filePath;
    throw error;
  }
}
