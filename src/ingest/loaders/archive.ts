// ZIP containers (Office Open XML, OpenDocument, EPUB) read safely into memory: a bound on entry count and on the bytes
// inflated (so a zip bomb is refused, not expanded), encrypted files recognised, and nothing ever written to disk, so an
// entry named "../../x" is only a name. yauzl reads the central directory (a truncated archive has none, and fails)
// and checks every entry's real size against its declared one while inflating.
import type { Readable } from "node:stream";
import yauzl from "yauzl";
import { DocumentLoadError } from "./errors.js";

export interface ArchiveLimits {
  /** Entries in the central directory; more is refused. Default 20,000 (real Office files have tens to hundreds). */
  maxEntries: number;
  /** Bytes one entry may inflate to. Default 128 MiB. */
  maxEntryBytes: number;
  /** Bytes all entries read from one archive may inflate to together. Default 256 MiB. */
  maxTotalBytes: number;
}

export const defaultArchiveLimits: Readonly<ArchiveLimits> = {
  maxEntries: 20_000,
  maxEntryBytes: 128 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

/** The first bytes of an OLE compound file: what a password-protected .docx/.xlsx/.pptx really is (and a .doc/.xls). */
const compoundFileSignature = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function isCompoundFile(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && compoundFileSignature.equals(Buffer.from(bytes.buffer, bytes.byteOffset, 8));
}

const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

/** An opened archive: entry names, and entries read on demand within the limits. */
export class Archive {
  private inflated = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly limits: ArchiveLimits,
  ) {}

  /**
   * Opens a ZIP held in memory. Throws DocumentLoadError: "encrypted" for an OLE compound file (a password-protected
   * Office file), "corrupt" for anything that is not a whole ZIP, "too-large" past the entry-count limit.
   */
  static async open(bytes: Buffer, limits: Partial<ArchiveLimits> = {}): Promise<Archive> {
    const bounds = { ...defaultArchiveLimits, ...limits };
    if (bytes.length === 0) throw new DocumentLoadError("empty");
    if (isCompoundFile(bytes)) {
      throw new DocumentLoadError("encrypted", { detail: "an encrypted Office container, not a ZIP; remove the password and save again" });
    }
    let zip: yauzl.ZipFile;
    try {
      // Names stay undecoded so that yauzl does not reject "../" names (harmless here: nothing is written to disk).
      zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
    } catch (error) {
      throw new DocumentLoadError("corrupt", { detail: `not a complete ZIP archive (${(error as Error).message})`, cause: error });
    }
    if (zip.entryCount > bounds.maxEntries) {
      zip.close();
      throw new DocumentLoadError("too-large", { detail: `${zip.entryCount} archive entries (limit ${bounds.maxEntries})` });
    }
    const entries = new Map<string, yauzl.Entry>();
    try {
      for await (const entry of zip.eachEntry()) {
        const raw = entry.fileName as unknown as Buffer;
        const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
        // Two entries of one name: which one a reader sees would depend on the reader; refuse rather than guess.
        if (entries.has(name)) throw new DocumentLoadError("corrupt", { detail: `two archive entries named ${name}` });
        entries.set(name, entry);
      }
    } catch (error) {
      zip.close();
      if (error instanceof DocumentLoadError) throw error;
      throw new DocumentLoadError("corrupt", { detail: `broken ZIP directory (${(error as Error).message})`, cause: error });
    }
    return new Archive(zip, entries, bounds);
  }

  /** Entry names as stored ("/" separated), in directory order. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Declared (inflated) size of an entry, or undefined when absent. */
  sizeOf(name: string): number | undefined {
    return this.entries.get(name)?.uncompressedSize;
  }

  /**
   * One entry's bytes. Throws DocumentLoadError: "corrupt" when missing or broken, "encrypted" for a ZIP-encrypted
   * entry, "too-large" when it (or all entries read so far) would pass the limits; inflation stops at the bound.
   */
  async read(name: string): Promise<Buffer> {
    const entry = this.entries.get(name);
    if (!entry) throw new DocumentLoadError("corrupt", { detail: `missing archive entry ${name}` });
    if (entry.isEncrypted()) throw new DocumentLoadError("encrypted", { detail: `archive entry ${name} is encrypted` });
    this.checkBound(name, entry.uncompressedSize);
    let stream: Readable;
    try {
      stream = await this.zip.openReadStreamPromise(entry);
    } catch (error) {
      throw new DocumentLoadError("corrupt", { detail: `cannot read archive entry ${name} (${(error as Error).message})`, cause: error });
    }
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        length += chunk.length;
        // validateEntrySizes stops a stream that passes its declared size; this also bounds an honest giant.
        this.checkBound(name, length);
        chunks.push(chunk);
      }
    } catch (error) {
      stream.destroy();
      if (error instanceof DocumentLoadError) throw error;
      throw new DocumentLoadError("corrupt", { detail: `archive entry ${name} is damaged (${(error as Error).message})`, cause: error });
    }
    this.inflated += length;
    return Buffer.concat(chunks, length);
  }

  /** One entry as UTF-8 text (a BOM dropped). */
  async readText(name: string): Promise<string> {
    return (await this.read(name)).toString("utf8").replace(/^\uFEFF/, "");
  }

  /** Reads (and so bounds and checks) every entry `want` selects; for libraries that read the archive themselves. */
  async readAll(want: (name: string) => boolean): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const name of this.names) if (want(name)) out.set(name, await this.read(name));
    return out;
  }

  private checkBound(name: string, entryBytes: number): void {
    if (entryBytes > this.limits.maxEntryBytes) {
      throw new DocumentLoadError("too-large", { detail: `archive entry ${name} expands past ${mib(this.limits.maxEntryBytes)} (a zip bomb?)` });
    }
    if (this.inflated + entryBytes > this.limits.maxTotalBytes) {
      throw new DocumentLoadError("too-large", { detail: `archive expands past ${mib(this.limits.maxTotalBytes)} (a zip bomb?)` });
    }
  }

  close(): void {
    this.zip.close();
  }
}

/** Opens `bytes` as an archive, runs `use`, and closes it whatever happens. */
export async function withArchive<T>(bytes: Buffer, use: (archive: Archive) => Promise<T>, limits?: Partial<ArchiveLimits>): Promise<T> {
  const archive = await Archive.open(bytes, limits);
  try {
    return await use(archive);
  } finally {
    archive.close();
  }
}
