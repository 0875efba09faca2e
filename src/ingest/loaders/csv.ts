// .csv and .tsv files as LoadedDocuments: decoded the way text files are (BOM, UTF-8, GB18030/GBK from Chinese Excel,
// Big5, UTF-16), parsed by csv-parse (quoted fields, embedded line breaks and delimiters, ragged rows), then written
// as header-named rows by SheetTextBuilder: one section named after the file, one location mark per row. Rows are
// numbered as a spreadsheet opening the file would number them (one per record, blank lines included).
import { basename, extname } from "node:path";
import { CsvError, parse } from "csv-parse/sync";
import type { LoadedDocument } from "../types.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { SheetTextBuilder } from "./sheetRows.js";
import { decodeTextBytes, looksBinary } from "./text.js";

/** A .csv (comma) or .tsv (tab) file's bytes as a LoadedDocument; throws DocumentLoadError for empty, binary or unparsable files. */
export function loadDelimitedDocument(bytes: Buffer, context: LoadContext, kind: "csv" | "tsv"): LoadedDocument {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  const decoded = decodeTextBytes(bytes);
  if (looksBinary(decoded.text)) throw new DocumentLoadError("binary");
  const builder = new SheetTextBuilder(kind);
  builder.startSheet(basename(context.filePath, extname(context.filePath)));
  let row = 0;
  try {
    // Each record goes straight to the builder and is dropped (on_record returns null), so no array of rows is kept.
    parse(decoded.text.replace(/^\uFEFF/, ""), {
      delimiter: kind === "tsv" ? "\t" : ",",
      // TSV files rarely quote; a stray quote inside a field must not swallow the rest of the file.
      quote: kind === "tsv" ? false : '"',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      on_record: (record: string[]) => {
        row += 1;
        builder.addRow(
          row,
          record.map((text, column) => ({ column, text })),
        );
        return null;
      },
    });
  } catch (error) {
    if (error instanceof DocumentLoadError) throw error;
    if (error instanceof CsvError) throw new DocumentLoadError("corrupt", { detail: `not valid ${kind.toUpperCase()} (${error.message})`, cause: error });
    throw error;
  }
  return { ...builder.finish(), encoding: decoded.encoding };
}
