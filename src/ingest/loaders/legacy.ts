// Legacy binary Office files (.doc, .ppt) and RTF through LibreOffice: converted to .docx/.pptx, then read by the
// same loaders as those (sections, slides and notes alike). Without LibreOffice they fail with how to install it.
// RTF goes this way too: the npm RTF readers either handle only Outlook's encapsulated RTF or mangle Unicode escapes.
import type { LoadedDocument } from "../types.js";
import { isCompoundFile } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { loadDocxDocument } from "./docx.js";
import { DocumentLoadError } from "./errors.js";
import { convertWithLibreOffice } from "./libreoffice.js";
import { loadPptxDocument } from "./pptx.js";

/** Word 97–2003 (.doc): an OLE compound file. */
export async function loadDocDocument(bytes: Buffer, context: LoadContext): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  if (!isCompoundFile(bytes)) throw new DocumentLoadError("corrupt", { detail: "not a Word 97–2003 document" });
  return loadDocxDocument(await convertWithLibreOffice(bytes, "doc", "docx", context), context, "doc");
}

/** PowerPoint 97–2003 (.ppt): an OLE compound file. */
export async function loadPptDocument(bytes: Buffer, context: LoadContext): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  if (!isCompoundFile(bytes)) throw new DocumentLoadError("corrupt", { detail: "not a PowerPoint 97–2003 presentation" });
  return loadPptxDocument(await convertWithLibreOffice(bytes, "ppt", "pptx", context), context, "ppt");
}

/** Rich Text Format: starts with "{\rtf". */
export async function loadRtfDocument(bytes: Buffer, context: LoadContext): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  if (!bytes.subarray(0, 16).toString("latin1").trimStart().startsWith("{\\rtf")) throw new DocumentLoadError("corrupt", { detail: "not an RTF document" });
  return loadDocxDocument(await convertWithLibreOffice(bytes, "rtf", "docx", context), context, "rtf");
}
