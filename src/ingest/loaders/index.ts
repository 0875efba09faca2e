// Entry point of the loaders: which files can be ingested, and one function that turns any of them into a
// LoadedDocument by its extension.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { LoadedDocument } from "../types.js";
import { DocumentLoadError } from "./errors.js";
import { loadPdfDocument } from "./pdf.js";
import { loadTextDocument } from "./text.js";

export { DocumentLoadError, loadFailureReasons, type DocumentLoadFailure } from "./errors.js";

/** File extensions (lower-case, with the dot) that loadDocument accepts; matching is case-insensitive. */
export const supportedExtensions = [".pdf", ".txt", ".md", ".markdown"] as const;

export type SupportedExtension = (typeof supportedExtensions)[number];

export function isSupportedFile(filePath: string): boolean {
  return (supportedExtensions as readonly string[]).includes(extname(filePath).toLowerCase());
}

async function loadByExtension(extension: SupportedExtension, bytes: Buffer): Promise<LoadedDocument> {
  switch (extension) {
    case ".pdf":
      return loadPdfDocument(bytes);
    case ".txt":
      return loadTextDocument(bytes, "text");
    case ".md":
    case ".markdown":
      return loadTextDocument(bytes, "markdown");
  }
}

/**
 * Load one document. `bytes` are the file's contents when the caller has already read them (to hash them, say);
 * otherwise the file is read here. Throws DocumentLoadError, with `filePath` set, for files that cannot become text;
 * errors reading the file itself (missing, unreadable) pass through unchanged.
 */
export async function loadDocument(filePath: string, bytes?: Buffer): Promise<LoadedDocument> {
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
    return await loadByExtension(extension as SupportedExtension, contents);
  } catch (error) {
    if (error instanceof DocumentLoadError) error.filePath = filePath;
    throw error;
  }
}
