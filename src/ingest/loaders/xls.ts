// Legacy .xls workbooks (BIFF, still common in Chinese offices): converted to .xlsx by LibreOffice's headless converter
// (libreoffice.ts, shared with .doc/.ppt/.rtf), then read as any .xlsx (formulas keep their cached values: the converter
// does not recalculate on load by default). Without LibreOffice the file fails with how to install it.
import type { LoadedDocument } from "../types.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { convertWithLibreOffice } from "./libreoffice.js";
import { loadXlsxDocument } from "./xlsx.js";

/** An .xls file's bytes as a LoadedDocument (kind "xls"), through LibreOffice; an .xlsx saved as .xls is read directly. */
export async function loadXlsDocument(bytes: Buffer, context: LoadContext): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  if (bytes.subarray(0, 2).toString("latin1") === "PK") return loadXlsxDocument(bytes, context, "xls");
  return loadXlsxDocument(await convertWithLibreOffice(bytes, "xls", "xlsx", context), context, "xls");
}
