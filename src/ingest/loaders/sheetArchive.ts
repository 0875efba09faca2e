// The ZIP side of .xlsx and .ods files, read safely: yauzl lists the entries from the central directory and inflates
// one entry at a time as a stream, checking that no entry yields more bytes than it declares; we bound the entry count
// and the total bytes inflated, so a zip bomb is refused before it costs memory or time. Entries are XML, parsed by
// saxes as they stream (saxes never expands DTD entities, so external entities and billion-laughs payloads fail as
// undefined entities). A password-protected Office file is not a ZIP but an OLE compound file holding an
// "EncryptedPackage" stream, and is recognised as such.
import { SaxesParser, type SaxesOptions } from "saxes";
import yauzl from "yauzl";
import { DocumentLoadError } from "./errors.js";

/** Most bytes the entries read from one archive may inflate to, in all; a spreadsheet's XML is rarely a tenth of it. */
export const maxInflatedBytes = 512 * 2 ** 20;
/** Most entries an archive may list (a workbook has a few per sheet). */
const maxEntries = 20_000;

const zipMagic = Buffer.from("PK\x03\x04", "latin1");
const emptyZipMagic = Buffer.from("PK\x05\x06", "latin1");
const oleMagic = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** The stream name an encrypted OOXML file keeps its contents in, as UTF-16LE in the compound file's directory. */
const encryptedPackageName = Buffer.from("EncryptedPackage", "utf16le");

export type XmlParser = SaxesParser<{ xmlns: true }>;

/** Throws the load error for bytes that are not a ZIP archive: an encrypted Office file, another OLE file, or junk. */
function refuseNonZip(bytes: Buffer, format: string): never {
  if (bytes.subarray(0, oleMagic.length).equals(oleMagic)) {
    if (bytes.includes(encryptedPackageName)) throw new DocumentLoadError("encrypted", { detail: `a password-protected ${format} file` });
    throw new DocumentLoadError("corrupt", { detail: `an OLE compound file, not a ${format} (ZIP) archive; a legacy format under a new extension?` });
  }
  throw new DocumentLoadError("corrupt", { detail: `not a ${format} (ZIP) archive` });
}

function openZip(bytes: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  if (zip.entryCount > maxEntries) return Promise.reject(new DocumentLoadError("too-large", { detail: `${zip.entryCount} archive entries (at most ${maxEntries})` }));
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on("entry", (entry: yauzl.Entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve(entries));
    zip.on("error", reject);
    zip.readEntry();
  });
}

/** A yauzl or saxes failure as the load error a person reads. */
function asLoadError(error: unknown, entryName: string): Error {
  if (error instanceof DocumentLoadError) return error;
  // A stop request (the signal's reason, thrown from a row handler) is not a fault of the file.
  if (error instanceof Error && error.name === "AbortError") return error;
  const message = error instanceof Error ? error.message : String(error);
  // yauzl's validateEntrySizes: the entry inflates past the size it declares, which only a crafted archive does.
  if (/too many bytes/i.test(message)) return new DocumentLoadError("too-large", { detail: `${entryName} inflates beyond its declared size`, cause: error });
  return new DocumentLoadError("corrupt", { detail: `${entryName}: ${message}`, cause: error });
}

/** An opened .xlsx/.ods archive: its entry names, and each XML entry streamed through a parser. */
export class SheetArchive {
  private inflated = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
  ) {}

  /** Opens `bytes` as a ZIP archive; throws DocumentLoadError (encrypted, corrupt, too-large) when it cannot be one. */
  static async open(bytes: Buffer, format: string): Promise<SheetArchive> {
    if (bytes.length === 0) throw new DocumentLoadError("empty");
    const head = bytes.subarray(0, 4);
    if (!head.equals(zipMagic) && !head.equals(emptyZipMagic)) refuseNonZip(bytes, format);
    let zip: yauzl.ZipFile;
    try {
      zip = await openZip(bytes);
    } catch (error) {
      throw asLoadError(error, "the archive");
    }
    try {
      return new SheetArchive(zip, await listEntries(zip));
    } catch (error) {
      zip.close();
      throw asLoadError(error, "the archive");
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Streams entry `name` through a namespace-aware saxes parser set up by `listen` (which adds its event handlers).
   * Throws DocumentLoadError: "corrupt" for a missing entry or bad XML, "too-large" past the inflation bound.
   */
  async parse(name: string, listen: (parser: XmlParser) => void): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new DocumentLoadError("corrupt", { detail: `missing ${name}` });
    // The declared size is checked before inflating anything, and yauzl holds the entry to it while inflating.
    this.inflated += entry.uncompressedSize;
    if (this.inflated > maxInflatedBytes)
      throw new DocumentLoadError("too-large", { detail: `its XML inflates to more than ${maxInflatedBytes / 2 ** 20} MiB` });
    const parser = new SaxesParser<{ xmlns: true }>({ xmlns: true } satisfies SaxesOptions);
    listen(parser);
    try {
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        this.zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s))),
      );
      const decoder = new TextDecoder("utf-8");
      for await (const chunk of stream as AsyncIterable<Buffer>) parser.write(decoder.decode(chunk, { stream: true }));
      parser.write(decoder.decode());
      parser.close();
    } catch (error) {
      throw asLoadError(error, name);
    }
  }

  close(): void {
    this.zip.close();
  }
}

/** The value of the attribute with local name `local` (any namespace), or undefined. */
export function attribute(node: { attributes: Record<string, { local: string; value: string }> }, local: string): string | undefined {
  for (const key in node.attributes) {
    const a = node.attributes[key];
    if (a.local === local) return a.value;
  }
  return undefined;
}
