// The one error a loader throws for a document it cannot turn into text, with a reason a person can act on.

/** Why a document could not be loaded; stable for callers that count or group failures. */
export type DocumentLoadFailure =
  | "empty"
  | "binary"
  | "unsupported-type"
  | "corrupt-pdf"
  | "encrypted-pdf"
  | "no-text-layer"
  | "encrypted"
  | "corrupt"
  | "too-large"
  | "corrupt-image"
  | "image-too-large"
  | "ocr-unavailable"
  | "ocr-failed"
  | "unsafe-xml"
  | "converter-missing"
  | "conversion-failed";

/** The message for each failure, word for word. */
export const loadFailureReasons: Readonly<Record<DocumentLoadFailure, string>> = {
  empty: "empty file",
  binary: "not a text file: binary content",
  "unsupported-type": "unsupported file type",
  "corrupt-pdf": "corrupt or truncated PDF",
  "encrypted-pdf": "encrypted PDF (password protected)",
  "no-text-layer": "no text layer (scanned or image-only PDF)",
  encrypted: "encrypted (password protected)",
  corrupt: "corrupt or truncated file",
  "too-large": "too large to read safely",
  "corrupt-image": "corrupt or unreadable image",
  "image-too-large": "image too large to read",
  "ocr-unavailable": "needs OCR, which cannot run here",
  "ocr-failed": "OCR failed",
  "unsafe-xml": "unsafe XML: entity declarations are refused",
  "converter-missing": "needs LibreOffice to convert this format",
  "conversion-failed": "LibreOffice could not convert the file",
};

export interface DocumentLoadErrorOptions {
  /** Appended to the reason after ": ", e.g. "no text to index" → "empty file: no text to index". */
  detail?: string;
  /** The file, when known; loadDocument fills it in. */
  filePath?: string;
  /** The underlying error (pdf-parse's, say), kept for debugging. */
  cause?: unknown;
}

/** A document that cannot be ingested. `message` is the reason a person reads; `failure` is its stable code. */
export class DocumentLoadError extends Error {
  override readonly name = "DocumentLoadError";
  readonly failure: DocumentLoadFailure;
  filePath: string | undefined;

  constructor(failure: DocumentLoadFailure, options: DocumentLoadErrorOptions = {}) {
    const reason = loadFailureReasons[failure];
    const message = options.detail ? `${reason}: ${options.detail}` : reason;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.failure = failure;
    this.filePath = options.filePath;
  }
}
