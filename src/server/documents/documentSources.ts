// What a citation points at, for the page's preview: a stored file's bytes (only files the store lists in the bases
// asked for, only inside that base's inbox folder) and a chunk's passage in its surrounding text (from the text the
// ingest extracted; only a chunk whose document has a file in those bases). Knows nothing of HTTP or keys: the caller
// passes the bases the key may see.
import fs from "node:fs";
import path from "node:path";
import type { SourceLocation } from "../../store/location.js";
import type { DocumentStore, KbScope } from "../../store/contract.js";
import { kbFolder } from "../../ingest/kbFolders.js";

/** A chunk's passage with the text around it. Example: {path: "notes.md", before: "…", passage: "…", after: "…"}. */
export interface PassageContext {
  chunkId: number;
  documentId: number;
  /** The document's first file in the bases asked for (path order), relative to its base's folder; `paths` has them all. */
  path: string;
  paths: string[];
  /** The base of `path`. */
  kb: string;
  page: number | null;
  pageEnd: number | null;
  location: SourceLocation | null;
  /** Up to `around` characters of the document's text before the passage, the passage, and after it. */
  before: string;
  passage: string;
  after: string;
  /** Whether text was cut off before `before` / after `after`. */
  moreBefore: boolean;
  moreAfter: boolean;
}

/** A file of the store, found on disk. */
export interface StoredFile {
  /** The base that lists it. */
  kb: string;
  /** Path relative to the base's inbox folder, as the store lists it. */
  path: string;
  /** The absolute path to read. */
  absolute: string;
}

/** A path no stored file could have: absolute, or with an empty, `.` or `..` segment. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}

export class DocumentSources {
  private readonly inbox: string;

  constructor(
    private readonly store: DocumentStore,
    inbox: string,
  ) {
    this.inbox = path.resolve(inbox);
  }

  /** The names of the store's bases (to check a request's `kb` against). */
  async kbNames(): Promise<string[]> {
    return this.store.kbNames();
  }

  /**
   * The file at `relative` when one of the bases of `scope` lists it (the first such base, in scope order) and it is a
   * regular file inside that base's folder (symbolic links resolved); null otherwise. Throws UnsafePathError for
   * traversal-shaped paths before looking anything up.
   */
  async file(relative: string, scope: KbScope): Promise<StoredFile | null> {
    const segments = relative.split(/[\\/]/);
    if (!relative || path.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative) || segments.some((s) => s === "" || s === "." || s === ".."))
      throw new UnsafePathError(`path: expected a file's path relative to the inbox, got ${JSON.stringify(relative.slice(0, 200))}`);
    const listed = await this.store.listFiles(scope);
    const kb = scope.kbs.find((k) => listed.some((f) => f.kb === k && f.path === relative));
    if (kb === undefined) return null;
    const folder = kbFolder(this.inbox, kb);
    let absolute: string;
    let folderReal: string;
    try {
      absolute = fs.realpathSync(path.resolve(folder, ...segments));
      folderReal = fs.realpathSync(folder);
    } catch {
      return null; // listed, but gone from the inbox since the last ingest
    }
    if (!absolute.startsWith(folderReal + path.sep) || !fs.statSync(absolute).isFile()) return null;
    return { kb, path: relative, absolute };
  }

  /**
   * The passage of chunk `chunkId` with up to `around` characters either side; null when no such chunk is stored or
   * its document has no file in the bases of `scope` (the same answer, so nothing tells one from the other).
   * `until` ends the passage elsewhere in the same document: a citation that merged neighbouring chunks keeps its
   * first chunk's id and the last one's end (`pageEnd`, `charEnd`).
   */
  async context(
    chunkId: number,
    around: number,
    scope: KbScope,
    until?: { pageEnd: number | null; charEnd: number },
  ): Promise<PassageContext | null> {
    const [chunk] = await this.store.chunksByIds([chunkId], scope);
    if (!chunk) return null;
    const doc = await this.store.documentText(chunk.documentId);
    if (!doc) return null;
    // Chunk offsets count from the start of their page (files with pages) or of the file.
    const base = (page: number | null) => (page === null ? 0 : (doc.pageStarts[page - 1] ?? 0));
    const start = base(chunk.page) + chunk.charStart;
    const chunkEnd = base(chunk.pageEnd ?? chunk.page) + chunk.charEnd;
    const end = until ? Math.min(doc.text.length, Math.max(start, base(until.pageEnd) + until.charEnd)) : chunkEnd;
    const from = Math.max(0, start - around);
    const to = Math.min(doc.text.length, end + around);
    return {
      chunkId,
      documentId: chunk.documentId,
      path: chunk.paths[0] ?? "",
      paths: chunk.paths,
      kb: chunk.sources[0]?.kb ?? scope.kbs[0] ?? "",
      page: chunk.page,
      pageEnd: until ? until.pageEnd : chunk.pageEnd,
      location: chunk.location,
      before: doc.text.slice(from, start),
      passage: doc.text.slice(start, end),
      after: doc.text.slice(end, to),
      moreBefore: from > 0,
      moreAfter: to < doc.text.length,
    };
  }
}
