// .xlsx workbooks as LoadedDocuments: each worksheet streamed row by row from its XML (SheetArchive: bounded ZIP,
// saxes), cells rendered as Excel shows them (shared strings, numbers, dates from the cell's number format, booleans,
// errors), then written as header-named rows by SheetTextBuilder. Formulas are never evaluated: a formula cell shows
// the value the file cached when it was last saved, or, with none cached, its formula text.
import type { LoadedDocument } from "../types.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { attribute, SheetArchive } from "./sheetArchive.js";
import { SheetTextBuilder, type SheetCell } from "./sheetRows.js";

interface SheetRef {
  name: string;
  path: string;
}

interface NumberFormats {
  /** Per cell style index (the `s` attribute): the number format's code, or its built-in id when it has no code. */
  styles: Array<string | number>;
  date1904: boolean;
}

/** Built-in number format ids that show dates or times (ECMA-376 18.8.30, East Asian ids included). */
const builtInDateIds = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
const builtInPercentIds = new Set([9, 10]);

/** A format code without its literal parts (quoted text, escapes, [colour] and [locale] brackets). */
function formatSymbols(code: string): string {
  return code.replace(/"[^"]*"/g, "").replace(/\\./g, "").replace(/\[(?!h\]|m\]|s\])[^\]]*\]/gi, "").replace(/_.|\*./g, "");
}

function isDateFormat(format: string | number | undefined): boolean {
  if (typeof format === "number") return builtInDateIds.has(format);
  return format !== undefined && !/^general$/i.test(format) && /[ymdhs]/i.test(formatSymbols(format.split(";")[0]));
}

function isPercentFormat(format: string | number | undefined): boolean {
  if (typeof format === "number") return builtInPercentIds.has(format);
  return format !== undefined && formatSymbols(format).includes("%");
}

/** A number as Excel shows it in General format: at most 15 significant digits, no float noise. */
function plainNumber(n: number): string {
  return String(Number.parseFloat(n.toPrecision(15)));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** An Excel serial date as "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or "HH:MM[:SS]" (a time of day alone). */
function serialDate(serial: number, date1904: boolean, format: string | number | undefined): string {
  // The 1900 system counts a 29 February 1900 that never was (Lotus's bug, kept by Excel): serials before it are a day off.
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, serial < 60 ? 31 : 30);
  const date = new Date(epoch + Math.round(serial * 86_400) * 1000);
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const seconds = date.getUTCSeconds() ? `:${pad(date.getUTCSeconds())}` : "";
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}${seconds}`;
  const symbols = typeof format === "string" ? formatSymbols(format) : "";
  const timeOnly = (typeof format === "number" && [18, 19, 20, 21, 45, 46, 47].includes(format)) || (symbols !== "" && !/[yd]/i.test(symbols));
  if (timeOnly) return time;
  return serial % 1 === 0 ? day : `${day} ${time}`;
}

/** Resolves a relationship target against the folder of the part that names it ("xl/" for the workbook). */
function resolveTarget(base: string, target: string): string {
  if (target.startsWith("/")) return target.slice(1);
  const parts = base.split("/").filter(Boolean);
  for (const piece of target.split("/")) {
    if (piece === "..") parts.pop();
    else if (piece !== ".") parts.push(piece);
  }
  return parts.join("/");
}

/** Relationship id → target path of a .rels part (absent part: none). */
async function readRelationships(archive: SheetArchive, relsPath: string, base: string): Promise<Map<string, { type: string; path: string }>> {
  const rels = new Map<string, { type: string; path: string }>();
  if (!archive.has(relsPath)) return rels;
  await archive.parse(relsPath, (p) =>
    p.on("opentag", (node) => {
      if (node.local !== "Relationship") return;
      const id = attribute(node, "Id");
      const target = attribute(node, "Target");
      if (id && target && attribute(node, "TargetMode") !== "External") rels.set(id, { type: attribute(node, "Type") ?? "", path: resolveTarget(base, target) });
    }),
  );
  return rels;
}

/** The sheets in workbook order with their part paths, whether dates count from 1904, and the shared strings' path. */
async function readWorkbook(archive: SheetArchive): Promise<{ sheets: SheetRef[]; date1904: boolean; sharedStrings?: string; styles?: string }> {
  const root = await readRelationships(archive, "_rels/.rels", "");
  const workbookPath = [...root.values()].find((r) => r.type.endsWith("/officeDocument"))?.path ?? "xl/workbook.xml";
  const base = workbookPath.slice(0, workbookPath.lastIndexOf("/") + 1);
  const relsPath = `${base}_rels/${workbookPath.slice(base.length)}.rels`;
  const rels = await readRelationships(archive, relsPath, base);
  const refs: Array<{ name: string; id: string }> = [];
  let date1904 = false;
  await archive.parse(workbookPath, (p) =>
    p.on("opentag", (node) => {
      if (node.local === "workbookPr") date1904 = /^(1|true)$/.test(attribute(node, "date1904") ?? "");
      if (node.local !== "sheet") return;
      const id = Object.values(node.attributes).find((a) => a.local === "id" && a.prefix !== "")?.value;
      if (id) refs.push({ name: attribute(node, "name") ?? id, id });
    }),
  );
  const sheets = refs.flatMap((r) => {
    const rel = rels.get(r.id);
    // Chart sheets and dialog sheets hold no cells.
    return rel && rel.type.endsWith("/worksheet") && archive.has(rel.path) ? [{ name: r.name, path: rel.path }] : [];
  });
  const byType = (suffix: string) => [...rels.values()].find((r) => r.type.endsWith(suffix) && archive.has(r.path))?.path;
  return { sheets, date1904, sharedStrings: byType("/sharedStrings"), styles: byType("/styles") };
}

/** Per cell style index, its number format (code, or built-in id). */
async function readStyles(archive: SheetArchive, path: string | undefined): Promise<Array<string | number>> {
  if (!path) return [];
  const codes = new Map<number, string>();
  const styles: Array<string | number> = [];
  let inCellXfs = false;
  await archive.parse(path, (p) => {
    p.on("opentag", (node) => {
      if (node.local === "numFmt") codes.set(Number(attribute(node, "numFmtId")), attribute(node, "formatCode") ?? "");
      else if (node.local === "cellXfs") inCellXfs = true;
      else if (node.local === "xf" && inCellXfs) {
        const id = Number(attribute(node, "numFmtId") ?? 0);
        styles.push(codes.get(id) ?? id);
      }
    });
    p.on("closetag", (node) => {
      if (node.local === "cellXfs") inCellXfs = false;
    });
  });
  return styles;
}

/**
 * The text of <t> elements under one item element (an <si> shared string, an <is> inline string), leaving out
 * phonetic guides (<rPh>). Fed by the parser's handlers of the part being read (saxes keeps one handler per event).
 */
class ItemText {
  private inItem = false;
  private inT = false;
  private phonetic = 0;
  private text = "";

  constructor(private readonly item: string) {}

  open(local: string): void {
    if (local === this.item) {
      this.inItem = true;
      this.text = "";
    } else if (this.inItem && local === "rPh") this.phonetic++;
    else if (this.inItem && local === "t") this.inT = this.phonetic === 0;
  }

  add(text: string): void {
    if (this.inT) this.text += text;
  }

  /** The item's text when `local` closes the item, else null. */
  close(local: string): string | null {
    if (local === "t") this.inT = false;
    else if (local === "rPh") this.phonetic--;
    else if (local === this.item && this.inItem) {
      this.inItem = false;
      return this.text;
    }
    return null;
  }
}

async function readSharedStrings(archive: SheetArchive, path: string | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (!path) return strings;
  const si = new ItemText("si");
  await archive.parse(path, (p) => {
    p.on("opentag", (node) => si.open(node.local));
    p.on("text", (t) => si.add(t));
    p.on("cdata", (t) => si.add(t));
    p.on("closetag", (node) => {
      const text = si.close(node.local);
      if (text !== null) strings.push(text);
    });
  });
  return strings;
}

/** "B12" → 1 (0-based column), or undefined when the reference is absent or malformed. */
function columnOf(ref: string | undefined): number | undefined {
  const letters = ref && /^\$?([A-Z]{1,3})/i.exec(ref)?.[1]?.toUpperCase();
  if (!letters) return undefined;
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** One cell's shown text from its type, raw value, formula and number format. */
function renderCell(type: string, value: string | null, inline: string | null, formula: string | null, format: string | number | undefined, formats: NumberFormats, shared: string[]): SheetCell["text"] | null {
  if (type === "inlineStr") return inline;
  if (value === null) return formula ? `=${formula}` : inline;
  switch (type) {
    case "s":
      return shared[Number(value)] ?? null;
    case "b":
      return value === "1" || value === "true" ? "TRUE" : "FALSE";
    case "str":
    case "e":
      return value;
    default: {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) return value;
      if (isDateFormat(format)) return serialDate(n, formats.date1904, format);
      if (isPercentFormat(format)) return `${plainNumber(n * 100)}%`;
      return plainNumber(n);
    }
  }
}

/** Streams one worksheet's rows into the builder. */
async function readSheet(archive: SheetArchive, sheet: SheetRef, formats: NumberFormats, shared: string[], builder: SheetTextBuilder, signal?: AbortSignal): Promise<void> {
  builder.startSheet(sheet.name);
  let rowNumber = 0;
  let column = -1;
  let cells: SheetCell[] = [];
  let cell: { type: string; style: number; value: string | null; formula: string | null; inline: string | null } | null = null;
  let field: "v" | "f" | null = null;
  const inline = new ItemText("is");
  const onText = (t: string) => {
    if (cell && field === "v") cell.value += t;
    else if (cell && field === "f") cell.formula += t;
    else inline.add(t);
  };
  await archive.parse(sheet.path, (p) => {
    p.on("opentag", (node) => {
      const local = node.local;
      if (local === "row") {
        if (signal?.aborted) throw signal.reason;
        const r = Number(attribute(node, "r"));
        rowNumber = Number.isInteger(r) && r > 0 ? r : rowNumber + 1;
        column = -1;
        cells = [];
      } else if (local === "c") {
        column = columnOf(attribute(node, "r")) ?? column + 1;
        cell = { type: attribute(node, "t") ?? "n", style: Number(attribute(node, "s") ?? 0), value: null, formula: null, inline: null };
      } else if (cell && (local === "v" || local === "f")) {
        field = local;
        cell[local === "v" ? "value" : "formula"] = "";
      } else inline.open(local);
    });
    p.on("text", onText);
    p.on("cdata", onText);
    p.on("closetag", (node) => {
      const local = node.local;
      if (local === "v" || local === "f") field = null;
      else if (local === "c" && cell) {
        const text = renderCell(cell.type, cell.value, cell.inline, cell.formula, formats.styles[cell.style], formats, shared);
        if (text !== null && text !== "") cells.push({ column, text, typed: cell.type === "b" || (cell.type === "n" && cell.value !== null) });
        cell = null;
      } else if (local === "row") builder.addRow(rowNumber, cells);
      else {
        const text = inline.close(local);
        if (text !== null && cell) cell.inline = text;
      }
    });
  });
}

/** An .xlsx file's bytes as a LoadedDocument: one section per worksheet, one location mark per row. */
export async function loadXlsxDocument(bytes: Buffer, context: LoadContext, kind: LoadedDocument["kind"] = "xlsx"): Promise<LoadedDocument> {
  const archive = await SheetArchive.open(bytes, ".xlsx");
  try {
    if (!archive.has("[Content_Types].xml")) throw new DocumentLoadError("corrupt", { detail: "a ZIP archive without [Content_Types].xml is not an .xlsx workbook" });
    const workbook = await readWorkbook(archive);
    const formats: NumberFormats = { styles: await readStyles(archive, workbook.styles), date1904: workbook.date1904 };
    const shared = await readSharedStrings(archive, workbook.sharedStrings);
    const builder = new SheetTextBuilder(kind);
    for (const sheet of workbook.sheets) await readSheet(archive, sheet, formats, shared, builder, context.signal);
    return builder.finish();
  } finally {
    archive.close();
  }
}
