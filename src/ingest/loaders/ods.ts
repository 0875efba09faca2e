// .ods spreadsheets (OpenDocument) as LoadedDocuments: content.xml streamed through saxes (SheetArchive: bounded ZIP),
// each table a sheet, each row's cells as the file shows them (the paragraphs the application wrote, else the typed
// value), then written as header-named rows by SheetTextBuilder. Repeated rows and columns (how ODS stores a
// million empty rows in a few bytes) advance the numbering without being expanded unless they hold text. Formulas are
// never evaluated: a formula cell shows its cached result, or, with none, its formula text.
import type { LoadedDocument } from "../types.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { attribute, SheetArchive } from "./sheetArchive.js";
import { SheetTextBuilder, type SheetCell } from "./sheetRows.js";

const tableNs = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const textNs = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const officeNs = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";

/** Columns a spreadsheet can have (LibreOffice's and Excel's limit); a repeat past it is ignored. */
const maxColumns = 16_384;
/** Rows a sheet can have (the same limit); a repeat past it is ignored. */
const maxRows = 1_048_576;
/** Most spaces one <text:s text:c="…"/> may stand for. */
const maxSpaceRun = 256;

const typedValues = new Set(["float", "percentage", "currency", "date", "time", "boolean"]);

/** "PT12H30M05S" → "12:30:05". */
function isoDuration(value: string): string {
  const m = /^-?P(?:\d+D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(value);
  if (!m) return value;
  const pad = (x: string | undefined) => String(Math.floor(Number(x ?? 0))).padStart(2, "0");
  return `${pad(m[1])}:${pad(m[2])}:${pad(m[3])}`;
}

interface CellState {
  repeat: number;
  valueType: string | undefined;
  value: string | undefined;
  formula: string | undefined;
  paragraphs: string[];
}

/** A cell's shown text: its paragraphs, else its typed value, else its formula text (never evaluated). */
function cellText(cell: CellState): string {
  const shown = cell.paragraphs.join("\n").trim();
  if (shown) return shown;
  if (cell.value !== undefined && cell.value !== "") {
    switch (cell.valueType) {
      case "percentage":
        return `${Number.parseFloat((Number(cell.value) * 100).toPrecision(15))}%`;
      case "date":
        return cell.value.replace(/T00:00:00(\.0+)?$/, "").replace("T", " ");
      case "time":
        return isoDuration(cell.value);
      case "boolean":
        return cell.value === "true" ? "TRUE" : "FALSE";
      default:
        return cell.value;
    }
  }
  return cell.formula ? `=${cell.formula.replace(/^[a-z]+:=/i, "")}` : "";
}

/** An .ods file's bytes as a LoadedDocument: one section per table, one location mark per row. */
export async function loadOdsDocument(bytes: Buffer, context: LoadContext): Promise<LoadedDocument> {
  const archive = await SheetArchive.open(bytes, ".ods");
  try {
    if (!archive.has("content.xml")) throw new DocumentLoadError("corrupt", { detail: "an OpenDocument archive without content.xml" });
    const builder = new SheetTextBuilder("ods");
    let depth = 0; // tables open (a table inside a cell is read as part of that cell's sheet)
    let rowNumber = 0;
    let rowRepeat = 1;
    let column = 0;
    let cells: SheetCell[] = [];
    let cell: CellState | null = null;
    let paragraph: string | null = null;
    let skip = 0; // inside an annotation (a comment, not shown in the cell)
    await archive.parse("content.xml", (p) => {
      p.on("opentag", (node) => {
        const { local, uri } = node;
        if (skip > 0 || (uri === officeNs && local === "annotation")) {
          skip++;
          return;
        }
        if (uri === tableNs) {
          if (local === "table" && depth++ === 0) {
            builder.startSheet(attribute(node, "name") ?? `Sheet${depth}`);
            rowNumber = 0;
          } else if (local === "table-row" && depth === 1) {
            if (context.signal?.aborted) throw context.signal.reason;
            rowRepeat = Math.max(1, Number(attribute(node, "number-rows-repeated") ?? 1) || 1);
            column = 0;
            cells = [];
          } else if ((local === "table-cell" || local === "covered-table-cell") && depth === 1) {
            cell = {
              repeat: Math.max(1, Number(attribute(node, "number-columns-repeated") ?? 1) || 1),
              valueType: attribute(node, "value-type"),
              value: attribute(node, "value") ?? attribute(node, "date-value") ?? attribute(node, "time-value") ?? attribute(node, "boolean-value"),
              formula: attribute(node, "formula"),
              paragraphs: [],
            };
          }
        } else if (uri === textNs && cell) {
          if ((local === "p" || local === "h") && paragraph === null) paragraph = "";
          else if (paragraph !== null && local === "s") paragraph += " ".repeat(Math.min(maxSpaceRun, Number(attribute(node, "c") ?? 1) || 1));
          else if (paragraph !== null && local === "tab") paragraph += "\t";
          else if (paragraph !== null && local === "line-break") paragraph += "\n";
        }
      });
      p.on("text", (t) => {
        if (skip === 0 && paragraph !== null) paragraph += t;
      });
      p.on("closetag", (node) => {
        const { local, uri } = node;
        if (skip > 0) {
          skip--;
          return;
        }
        if (uri === textNs && (local === "p" || local === "h") && cell && paragraph !== null) {
          cell.paragraphs.push(paragraph);
          paragraph = null;
        } else if (uri === tableNs && (local === "table-cell" || local === "covered-table-cell") && depth === 1 && cell) {
          const text = cellText(cell);
          if (text !== "") {
            const typed = typedValues.has(cell.valueType ?? "");
            for (let c = column; c < Math.min(column + cell.repeat, maxColumns); c++) cells.push({ column: c, text, typed });
          }
          column += cell.repeat;
          cell = null;
        } else if (uri === tableNs && local === "table-row" && depth === 1) {
          // Empty repeated rows (often a million at a sheet's end) only move the numbering on.
          if (cells.length > 0) for (let r = rowNumber + 1; r <= Math.min(rowNumber + rowRepeat, maxRows); r++) builder.addRow(r, cells);
          rowNumber += rowRepeat;
        } else if (uri === tableNs && local === "table") depth--;
      });
    });
    return builder.finish();
  } finally {
    archive.close();
  }
}
