// The contract every format loader meets: one function (sync or async) from a file's bytes to a LoadedDocument, given the
// context of the file being loaded. Loaders are registered by extension in one table (index.ts).
import type { PageOcr } from "../ocr/contract.js";
import type { LoadedDocument } from "../types.js";

/** What a loader may know about the file besides its bytes. */
export interface LoadContext {
  /** The file's path (absolute, or as the caller knows it); for messages and for tools that need a real file. */
  filePath: string;
  /** Stops long work (OCR, conversions) early; a loader that sees it aborted throws its reason. */
  signal?: AbortSignal;
  /** SHA-256 (hex) of `bytes`, when the caller has it (the OCR cache key); loaders that need it compute it otherwise. */
  sha256?: string;
  /** Reads pages without a text layer (scanned PDF pages, images); absent: OCR is off and such pages cannot be read. */
  ocr?: PageOcr;
  /** LibreOffice's command for legacy formats (.doc, .ppt, .xls, .rtf). Default "soffice", looked up on PATH. */
  soffice?: string;
  /** How long one LibreOffice conversion may take, in ms. Default 120,000. */
  conversionTimeoutMs?: number;
}

/** Turns one file's bytes into text with its page, section and location maps; throws DocumentLoadError when it cannot. */
export type DocumentLoader = (bytes: Buffer, context: LoadContext) => Promise<LoadedDocument> | LoadedDocument;
