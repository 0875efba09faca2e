// Spreadsheet rows as text a reader (and a retriever) understands on their own: each row becomes one line that names
// its columns ("列名1: 值1；列名2: 值2"), each sheet a section, each row a location mark. Shared by the xlsx, ods and
// csv/tsv loaders, which only turn their files into rows of cells; the rows arrive one at a time, so a sheet of any
// length is never held whole, only the text it becomes (bounded by maxSheetTextChars).
import type { LoadedDocument, LocationMark, SectionStart } from "../types.js";
import { DocumentLoadError } from "./errors.js";

/** One cell as its file stores it, already rendered as the spreadsheet shows it. */
export interface SheetCell {
  /** 0-based column (A = 0). */
  column: number;
  text: string;
  /** True for numbers, dates, times and booleans: such a cell makes a row look like data, not like column headers. */
  typed?: boolean;
}

/** Most characters of text one spreadsheet file may become (about 128 MB in memory); beyond it the file is refused. */
export const maxSheetTextChars = 64 * 2 ** 20;

/** Most rows one file may become, in all its sheets (a location mark each). */
export const maxSheetRows = 2_000_000;

/** A first row whose cells are longer than this is content (a passage, a note), not a column header. */
const maxHeaderChars = 64;
/** At most this many one-cell title rows ("2023年销售表") are passed over before the header row. */
const maxTitleRows = 3;

/** Column letters as the spreadsheet shows them: 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(column: number): string {
  let letters = "";
  for (let n = column + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** A cell's text on one line: line breaks and runs of whitespace become one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const numberLike = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?(?:e[-+]?\d+)?%?$/i;
const dateLike = /^\d{2,4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/;

/** Whether a text cell reads as a value rather than a name: a number, a percentage, a date. */
function looksLikeValue(text: string): boolean {
  return (numberLike.test(text) && /\d/.test(text)) || dateLike.test(text);
}

interface PendingRow {
  row: number;
  cells: SheetCell[];
}

/**
 * Collects sheets row by row into one LoadedDocument. Per sheet: the first non-empty row is its header when it reads
 * like one (every cell short text, none a number or date), else the columns are named by letter and that row is data;
 * one-cell rows above a wider header are titles, kept as plain lines. The header row itself becomes no line: its names
 * are in every row below it.
 */
export class SheetTextBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly sections: SectionStart[] = [];
  private readonly marks: LocationMark[] = [];
  private sheet: string | null = null;
  private sheetStarted = false;
  /** Rows held until the header is decided (titles, then the header candidate). */
  private pending: PendingRow[] = [];
  private headers: string[] | null = null;
  private titleRows = 0;

  constructor(private readonly kind: LoadedDocument["kind"]) {}

  /** Starts a sheet; rows added next belong to it. */
  startSheet(name: string): void {
    this.endSheet();
    this.sheet = name;
  }

  /**
   * Adds row number `row` (1-based, as the spreadsheet numbers it) of the current sheet. Cells may come in any column
   * order; empty cells may be left out.
   */
  addRow(row: number, cells: SheetCell[]): void {
    if (this.sheet === null) throw new Error("addRow before startSheet");
    const filled = cells
      .map((c) => ({ ...c, text: oneLine(c.text) }))
      .filter((c) => c.text !== "")
      .sort((a, b) => a.column - b.column);
    if (filled.length === 0) return;
    if (this.headers !== null) {
      this.writeRow(row, filled);
      return;
    }
    this.pending.push({ row, cells: filled });
    this.decideHeader(false);
  }

  /** The document of every sheet added; throws DocumentLoadError ("empty") when no sheet had a non-empty cell. */
  finish(): LoadedDocument {
    this.endSheet();
    const text = this.parts.join("");
    if (text.trim() === "") throw new DocumentLoadError("empty", { detail: "no non-empty cells" });
    return { kind: this.kind, text, pageStarts: [], sections: this.sections, locations: this.marks };
  }

  private endSheet(): void {
    if (this.sheet !== null && this.headers === null) this.decideHeader(true);
    this.sheet = null;
    this.sheetStarted = false;
    this.pending = [];
    this.headers = null;
    this.titleRows = 0;
  }

  /**
   * Decides the header once enough rows are pending: a one-cell row followed by a wider row is a title; the next
   * candidate is the header if it reads like one and some row follows it. At the sheet's end (`atEnd`) a lone row is data.
   */
  private decideHeader(atEnd: boolean): void {
    while (this.pending.length >= 2 || (atEnd && this.pending.length > 0)) {
      const [first, second] = this.pending;
      if (second && first.cells.length === 1 && second.cells.length > 1 && this.titleRows < maxTitleRows) {
        // A title line above the table; it may not be the last one, so look again with the row after it.
        this.writeLine(first.row, first.cells[0].text);
        this.pending.shift();
        this.titleRows++;
        continue;
      }
      const headerLike = second !== undefined && first.cells.every((c) => !c.typed && c.text.length <= maxHeaderChars && !looksLikeValue(c.text));
      if (headerLike) {
        this.headers = [];
        for (const c of first.cells) this.headers[c.column] = c.text;
        this.pending.shift();
      } else this.headers = [];
      const rest = this.pending;
      this.pending = [];
      for (const p of rest) this.writeRow(p.row, p.cells);
      return;
    }
  }

  private writeRow(row: number, cells: SheetCell[]): void {
    const headers = this.headers ?? [];
    this.writeLine(row, cells.map((c) => `${headers[c.column] || columnLetters(c.column)}: ${c.text}`).join("；"));
  }

  private writeLine(row: number, line: string): void {
    const name = this.sheet ?? "";
    if (!this.sheetStarted) {
      if (this.length > 0) this.append("\n\n");
      this.sections.push({ offset: this.length, title: name });
      this.sheetStarted = true;
    } else this.append("\n");
    if (this.marks.length >= maxSheetRows) throw new DocumentLoadError("too-large", { detail: `more than ${maxSheetRows} non-empty rows` });
    this.marks.push({ offset: this.length, kind: "sheet", index: row, name });
    this.append(line);
  }

  private append(s: string): void {
    this.length += s.length;
    if (this.length > maxSheetTextChars)
      throw new DocumentLoadError("too-large", { detail: `more than ${maxSheetTextChars} characters of cell text` });
    this.parts.push(s);
  }
}
