// Spreadsheet files made at test time for the sheet loaders' tests: workbooks written by exceljs, OpenDocument
// spreadsheets assembled from their XML with jszip, ZIP archives written byte by byte (to make bombs and liars that no
// library would write), an encrypted-Office-style OLE file written by cfb, and LibreOffice conversions.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import CFB from "cfb";
import ExcelJS from "exceljs";
import JSZip from "jszip";

/** A workbook from rows per sheet; a cell may be an exceljs value (formula objects, dates, rich text). */
export async function makeXlsx(sheets: Record<string, ExcelJS.CellValue[][]>, prepare?: (workbook: ExcelJS.Workbook) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const sheet = workbook.addWorksheet(name);
    for (const row of rows) sheet.addRow(row);
  }
  prepare?.(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Writes a workbook of `rows` rows (streamed by exceljs, so the test process never holds it whole). */
export async function writeLargeXlsx(file: string, rows: number, row: (i: number) => ExcelJS.CellValue[], header: string[]): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true });
  const sheet = workbook.addWorksheet("明细");
  sheet.addRow(header).commit();
  for (let i = 0; i < rows; i++) sheet.addRow(row(i)).commit();
  sheet.commit();
  await workbook.commit();
}

const odsNamespaces = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"',
].join(" ");

/** An .ods whose tables are given as their <table:table> XML (the body of office:spreadsheet). */
export async function makeOds(tablesXml: string): Promise<Buffer> {
  const zip = new JSZip();
  zip.file("mimetype", "application/vnd.oasis.opendocument.spreadsheet", { compression: "STORE" });
  zip.file(
    "META-INF/manifest.xml",
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">' +
      '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>' +
      '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
  );
  zip.file("content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${odsNamespaces} office:version="1.2"><office:body><office:spreadsheet>${tablesXml}</office:spreadsheet></office:body></office:document-content>`);
  return zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

/** Replaces (or adds) entries of an existing archive, e.g. an exceljs workbook's shared strings. */
export async function withEntries(archive: Buffer, entries: Record<string, string>): Promise<Buffer> {
  const zip = await JSZip.loadAsync(archive);
  for (const [name, content] of Object.entries(entries)) zip.file(name, content);
  return zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

interface RawEntry {
  name: string;
  /** Deflated bytes as stored. */
  data: Buffer;
  crc: number;
  /** The uncompressed size written in the headers (a liar declares less than it holds). */
  declaredSize: number;
}

/** A ZIP archive written field by field, so that its headers can claim what its data does not hold. */
export function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** An entry of `bytes` copies of one byte, deflated a megabyte at a time (a real bomb: tiny stored, huge inflated). */
export function repeatedEntry(name: string, bytes: number, fill = 0x20, declaredSize = bytes): RawEntry {
  const block = Buffer.alloc(2 ** 20, fill);
  const parts: Buffer[] = [];
  let crc = 0;
  for (let left = bytes; left > 0; left -= block.length) {
    const piece = left >= block.length ? block : block.subarray(0, left);
    crc = zlib.crc32(piece, crc);
    // Each block is its own deflate run ending in a sync flush (no final bit), so the runs join into one stream.
    parts.push(zlib.deflateRawSync(piece, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  }
  parts.push(zlib.deflateRawSync(Buffer.alloc(0)));
  return { name, data: Buffer.concat(parts), crc, declaredSize };
}

/** A small text entry, deflated honestly. */
export function textEntry(name: string, text: string): RawEntry {
  const bytes = Buffer.from(text, "utf8");
  return { name, data: zlib.deflateRawSync(bytes), crc: zlib.crc32(bytes), declaredSize: bytes.length };
}

/** An OLE compound file laid out as Office lays out a password-protected .xlsx (EncryptionInfo + EncryptedPackage). */
export function encryptedOfficeFile(): Buffer {
  const container = CFB.utils.cfb_new();
  CFB.utils.cfb_add(container, "/EncryptionInfo", Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0, ...Buffer.from("<encryption/>")]));
  CFB.utils.cfb_add(container, "/EncryptedPackage", Buffer.alloc(4096, 0x5a));
  return Buffer.from(CFB.write(container, { type: "buffer" }) as Uint8Array);
}

/** Converts `file` with LibreOffice (`format`: "xls", "ods", …) into `outDir`; the new file's path. */
export function libreOfficeConvert(file: string, format: string, outDir: string, profile: string): string {
  execFileSync("soffice", ["--headless", "--norestore", `-env:UserInstallation=file://${profile}`, "--convert-to", format, "--outdir", outDir, file], { timeout: 180_000, stdio: "ignore" });
  const out = path.join(outDir, `${path.basename(file, path.extname(file))}.${format}`);
  if (!fs.existsSync(out)) throw new Error(`LibreOffice did not convert ${file} to ${format}`);
  return out;
}
