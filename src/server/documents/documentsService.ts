// The documents the server answers from: list them, add uploads to the inbox and ingest them, delete a document
// (its files in the inbox and its chunks), re-scan the inbox (on request or for the inbox watcher), and say what is
// being ingested. Writes run one at a time; the engine's in-memory vector index is refreshed after each. Knows
// nothing of HTTP.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { storeUrlScheme } from "../../config/schema.js";
import { ingestFolder, type IngestSummary } from "../../ingest/pipeline.js";
import { supportedExtensions } from "../../ingest/loaders/index.js";
import type { QaEngine } from "../../qa/engine.js";
import { kbFolder } from "../../ingest/kbFolders.js";
import type { DocumentStore } from "../../store/contract.js";
import { defaultKb } from "../../store/kb.js";
import { StoreLockedError } from "../../store/lock.js";
import { openStore } from "../../store/open.js";
import { placeFile, safeFileName } from "./fileNames.js";
import { IngestStatusTracker, type IngestStatus, type IngestTrigger, type KbVisibility } from "./ingestStatus.js";

/** One file of the store. Example: {id: 3, path: "northvale-seed-library.pdf", kind: "pdf", pages: 2, chunks: 9, …}. */
export interface DocumentEntry {
  /** The document's id (files with the same bytes share it); DELETE /v1/documents/:id takes it. */
  id: number;
  /** The knowledge base the file belongs to. */
  kb: string;
  /** Path relative to the base's inbox folder. */
  path: string;
  kind: string;
  /** PDF pages; null for text files. */
  pages: number | null;
  chunks: number;
  bytes: number;
  /** When the file was first ingested (ISO 8601). */
  ingestedAt: string;
}

/** A file received by an upload, streamed to the staging folder. */
export interface StagedUpload {
  /** The name the client gave it (untrusted). */
  originalName: string;
  stagedPath: string;
  size: number;
}

export interface UploadedFile {
  name: string;
  /** Where it landed, relative to the inbox. */
  savedAs: string;
  /** "indexed": new chunks; "duplicate": same bytes as a file already there (found under both names); "failed": not readable, not kept. */
  status: "indexed" | "duplicate" | "failed";
  reason?: string;
}

export interface UploadResult {
  kb: string;
  files: UploadedFile[];
  ingest: IngestSummary;
}

export interface DeleteResult {
  id: number;
  kb: string;
  /** Files removed from the inbox and the store. */
  paths: string[];
  chunksRemoved: number;
}

export interface DocumentsServiceOptions {
  engine: QaEngine;
  /** Stops a running ingest after its current file (server shutdown). */
  shutdown?: AbortSignal;
  /** Notes from ingests, for the log. */
  onNotice?: (message: string) => void;
}

/**
 * Where uploads are received, inside the store's folder (ours alone): never in the inbox, which is the user's, where
 * an ingest, the watcher or another tool would see half-received files or a folder left behind.
 */
export const stagingFolderName = "upload-staging";

/** Longest an upload waits for another process's ingest to release the store (a file is ingested in seconds). */
const uploadLockWaitMs = 30_000;

/** Removes the staging folders (`HOST-PID`) of this machine's servers that are no longer running. */
function removeDeadStaging(shared: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(shared);
  } catch {
    return;
  }
  const host = os.hostname();
  for (const name of names) {
    const m = /^(.*)-(\d+)$/.exec(name);
    if (!m || m[1] !== host) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === "EPERM";
    }
    if (!alive) fs.rmSync(path.join(shared, name), { recursive: true, force: true });
  }
}

export class DocumentsService {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inbox: string;
  /** What is being ingested and how the last ingest ended. */
  readonly ingestStatus = new IngestStatusTracker();

  constructor(private readonly options: DocumentsServiceOptions) {
    this.inbox = path.resolve(options.engine.settings.inbox);
    // In the store's folder; a server store (a URL) has none, so a hidden folder beside the inbox (never in it: no
    // ingest, watcher or test of the inbox ever meets a half-received file or an empty folder left behind), on the
    // inbox's file system as a plain move into it needs (a move across file systems copies). Servers sharing a store
    // may share the inbox too: each stages in a folder of its own there and clears only its own and dead ones'.
    const store = options.engine.settings.store;
    if (storeUrlScheme(store) === undefined) {
      this.stagingDir = path.join(path.resolve(store), stagingFolderName);
      // Parts left by a server that stopped mid-upload.
      fs.rmSync(this.stagingDir, { recursive: true, force: true });
    } else {
      const shared = path.join(path.dirname(this.inbox), `.${path.basename(this.inbox)}-${stagingFolderName}`);
      this.stagingDir = path.join(shared, `${os.hostname()}-${process.pid}`);
      removeDeadStaging(shared);
      fs.rmSync(this.stagingDir, { recursive: true, force: true });
    }
  }

  /** Where uploads are received before they are named and moved into the inbox. */
  readonly stagingDir: string;

  /** Extensions the ingest reads. */
  get extensions(): readonly string[] {
    return supportedExtensions;
  }

  /** Runs writes one after another: the store has one writer, and each write ends with a refresh. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Resolves when no write is running. */
  idle(): Promise<void> {
    return this.tail.then(() => {});
  }

  /** The bases the store holds now. */
  async kbNames(): Promise<string[]> {
    return this.options.engine.store.kbNames();
  }

  /** The files of the bases `kbs` (the caller has checked the caller may see them). */
  async list(kbs: readonly string[]): Promise<DocumentEntry[]> {
    return (await this.options.engine.store.listFiles({ kbs })).map((f) => ({
      id: f.documentId,
      kb: f.kb,
      path: f.path,
      kind: f.kind,
      pages: f.pages,
      chunks: f.chunks,
      bytes: f.bytes,
      ingestedAt: f.ingestedAt,
    }));
  }

  /** What is being ingested now, and how the last ingest ended. */
  status(visible?: KbVisibility): IngestStatus {
    return this.ingestStatus.snapshot(visible);
  }

  /**
   * `willRetryLock`: a StoreLockedError is not recorded as the ingest's outcome (the caller tries again). `refresh`:
   * reload the vector index afterwards; false where the caller ingests several bases and reloads it once at the end.
   */
  private async runIngest(trigger: IngestTrigger, kb: string, willRetryLock = false, refresh = true): Promise<IngestSummary> {
    const { engine } = this.options;
    fs.mkdirSync(this.inbox, { recursive: true });
    this.ingestStatus.begin(trigger, kb);
    let summary: IngestSummary;
    try {
      summary = await ingestFolder({
        settings: engine.settings,
        kb,
        embedder: engine.embedder,
        signal: this.options.shutdown,
        onNotice: this.options.onNotice,
        onProgress: this.ingestStatus.progress,
      });
    } catch (e) {
      // While an upload waits for another server's ingest, the status keeps saying an upload is on its way.
      if (!(willRetryLock && e instanceof StoreLockedError)) this.ingestStatus.end({ error: e });
      throw e;
    } finally {
      if (refresh) await engine.store.refreshVectors();
    }
    this.ingestStatus.end({ summary });
    return summary;
  }

  /**
   * An upload's ingest: when another server sharing the store is ingesting (its watcher may be picking up this very
   * upload), waits for it up to uploadLockWaitMs instead of failing the upload; then StoreLockedError (409) as usual.
   */
  private async ingestWhenFree(trigger: IngestTrigger, kb: string): Promise<IngestSummary> {
    const deadline = Date.now() + uploadLockWaitMs;
    for (;;) {
      const last = Date.now() >= deadline || this.options.shutdown?.aborted === true;
      try {
        return await this.runIngest(trigger, kb, !last);
      } catch (e) {
        if (!(e instanceof StoreLockedError) || last) throw e;
        if (Date.now() >= deadline || this.options.shutdown?.aborted) {
          // This attempt expected to retry and did not record its refusal: record it now, as the upload's outcome.
          this.ingestStatus.end({ error: e });
          throw e;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /**
   * Makes the store follow the inbox again (files added, changed or deleted there by hand). `trigger` says who asked:
   * "request" (POST /v1/ingest, the default) or "watch" (the inbox watcher).
   */
  ingest(kbs: readonly string[], trigger: Extract<IngestTrigger, "request" | "watch"> = "request"): Promise<IngestSummary[]> {
    return this.exclusive(async () => {
      const summaries: IngestSummary[] = [];
      // A base deleted since the request was made is left out, not an error.
      const existing = new Set(await this.kbNames());
      try {
        for (const kb of kbs) if (existing.has(kb)) summaries.push(await this.runIngest(trigger, kb, false, false));
      } finally {
        await this.options.engine.store.refreshVectors();
      }
      return summaries;
    });
  }

  /**
   * The bases whose folders hold these changed paths (absolute): a path in <inbox>/<name>/ where <name> is a base is
   * that base's; any other path in the inbox is the default base's. null: every base.
   */
  async kbsFor(changed: readonly string[] | null): Promise<string[]> {
    const names = await this.kbNames();
    if (changed === null) return names;
    const kbs = new Set<string>();
    for (const p of changed) {
      const relative = path.relative(this.inbox, p);
      if (relative.startsWith("..") || path.isAbsolute(relative)) continue;
      const top = relative.split(path.sep)[0];
      kbs.add(top !== defaultKb && names.includes(top) ? top : defaultKb);
    }
    return [...kbs];
  }

  /** Runs `work` (a base's creation, rename or deletion) as the one writer, then lets the engine see its result. */
  manageKbs<T>(work: (store: DocumentStore) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const store = await openStore(this.options.engine.settings, { write: true, purpose: "server knowledge bases" });
      try {
        return await work(store);
      } finally {
        await store.close();
        await this.options.engine.store.refreshVectors();
      }
    });
  }

  /** Moves uploads into the inbox under safe, unused names, ingests, and reports each file. Unreadable files are not kept. */
  upload(kb: string, files: StagedUpload[]): Promise<UploadResult> {
    return this.exclusive(async () => {
      const folder = kbFolder(this.inbox, kb);
      fs.mkdirSync(folder, { recursive: true });
      const placed: Array<{ name: string; savedAs: string }> = [];
      try {
        for (const f of files) placed.push({ name: f.originalName, savedAs: placeFile(f.stagedPath, folder, safeFileName(f.originalName)) });
      } finally {
        for (const f of files) fs.rmSync(f.stagedPath, { force: true });
      }
      const ingest = await this.ingestWhenFree("upload", kb);
      const result: UploadedFile[] = placed.map(({ name, savedAs }) => {
        const failed = ingest.failed.find((x) => x.path === savedAs);
        if (failed) {
          fs.rmSync(path.join(folder, savedAs), { force: true });
          return { name, savedAs, status: "failed", reason: failed.reason };
        }
        return { name, savedAs, status: ingest.duplicates.some((d) => d.path === savedAs) ? "duplicate" : "indexed" };
      });
      return { kb, files: result, ingest };
    });
  }

  /** Deletes a document: its files leave the inbox (or a later ingest would bring them back) and the store. Null: no such document. */
  remove(kb: string, id: number): Promise<DeleteResult | null> {
    return this.exclusive(async () => {
      const { engine } = this.options;
      // Only this base's files: the same document listed in another base stays there.
      const paths = (await engine.store.listFiles({ kbs: [kb] })).filter((f) => f.documentId === id).map((f) => f.path);
      if (paths.length === 0) return null;
      const folder = kbFolder(this.inbox, kb);
      for (const p of paths) {
        const absolute = path.resolve(folder, p);
        // Store paths are relative to the base's folder; never touch anything outside it whatever they say.
        if (absolute.startsWith(folder + path.sep)) fs.rmSync(absolute, { force: true });
      }
      const store = await openStore(engine.settings, { write: true, purpose: "server delete" });
      let chunksRemoved: number;
      try {
        chunksRemoved = await store.removeFiles(kb, paths);
      } finally {
        await store.close();
        await engine.store.refreshVectors();
      }
      return { id, kb, paths, chunksRemoved };
    });
  }
}
