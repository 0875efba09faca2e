// Follows the inbox while the server runs: a document added, changed, renamed or deleted there starts an ingest by
// itself. File events come from chokidar; a burst of them becomes one ingest, started only once the inbox has been
// quiet and every file that changed has stopped changing (so a file still being copied is never read half-written).
// Events that come in while an ingest runs start one more right after it. Temporary and hidden files never count.
import fs from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { isSupportedFile } from "../../ingest/loaders/index.js";
import { isIgnoredName } from "../../ingest/scan.js";
import { StoreLockedError } from "../../store/lock.js";

export interface InboxWatcherOptions {
  /** The folder to follow (absolute or relative to the working directory). */
  inbox: string;
  /**
   * Runs one ingest; the watcher never calls it again before the last call settled. `changed`: the files and folders
   * (absolute) that changed since the last call, so only their knowledge bases need ingesting; null: anything may have.
   */
  ingest: (changed: string[] | null) => Promise<unknown>;
  /** Folders inside the inbox that are never watched, e.g. the store when it lives there (its writes would loop). */
  ignore?: string[];
  /**
   * Milliseconds the inbox must be quiet, and each changed file unmodified, before the ingest starts. Default 1000:
   * long enough to cover a copy's gaps between writes, short enough that a change shows in search within seconds.
   */
  debounceMs?: number;
  /**
   * Longest a change waits when files keep changing without a pause (a log that grows forever, say). Default 60000:
   * then the inbox is ingested as it is, and ingested again once it settles.
   */
  maxDelayMs?: number;
  /** Wait before trying again when another process holds the store's write lock. Default 5000. */
  retryMs?: number;
  /** Notes for the log: watcher errors, ingests that failed. Default: none. */
  onNotice?: (message: string) => void;
}

/**
 * Suffixes of files that are still on their way or belong to an editor: downloads in progress (.part, .crdownload,
 * .download, .partial), temporary files (.tmp, .temp), vim swap files (.swp, .swo, .swx, usually hidden too) and
 * backups (`notes.txt~`). Hidden files and Office owner files (`~$x.docx`) are left out by isIgnoredName, as the
 * ingest itself leaves them out.
 */
const temporarySuffix = /(\.(part|partial|crdownload|download|tmp|temp|swp|swo|swx)|~)$/i;
/** Emacs auto-save files: `#notes.txt#`. */
const autosaveName = /^#.*#$/;

/** True for a name that never starts an ingest, file or folder. */
export function isTemporaryName(name: string): boolean {
  return isIgnoredName(name) || temporarySuffix.test(name) || autosaveName.test(name);
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

export class InboxWatcher {
  private readonly inbox: string;
  private readonly ignore: string[];
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly retryMs: number;
  private watcher: FSWatcher | null = null;
  /** Files (absolute) changed since the last ingest started; folders count through the files inside them. */
  private readonly dirty = new Set<string>();
  /** Files and folders (absolute) changed since the last ingest started, or null after a failed try (anything). */
  private changedPaths: Set<string> | null = new Set();
  /** Something changed (a file, a folder, a retry) since the last ingest started. */
  private pending = false;
  private firstPendingAt = 0;
  private lastEventAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** A flush is looking at the changed files (stat calls): a timer firing meanwhile leaves the decision to it. */
  private flushing = false;
  private closed = false;

  constructor(private readonly options: InboxWatcherOptions) {
    this.inbox = path.resolve(options.inbox);
    this.ignore = (options.ignore ?? []).map((p) => path.resolve(p));
    this.debounceMs = options.debounceMs ?? 1000;
    this.maxDelayMs = Math.max(options.maxDelayMs ?? 60_000, this.debounceMs);
    this.retryMs = options.retryMs ?? 5000;
  }

  /** Starts watching; resolves once the existing folders are being watched (changes from then on are seen). */
  async start(): Promise<void> {
    if (this.watcher) return;
    const watcher = watch(this.inbox, {
      ignoreInitial: true,
      // The ingest follows symbolic links once; so does the watcher.
      followSymlinks: true,
      ignored: (p: string) => this.ignored(p),
    });
    this.watcher = watcher;
    watcher.on("add", (p) => this.fileEvent(p));
    watcher.on("change", (p) => this.fileEvent(p));
    watcher.on("unlink", (p) => this.fileEvent(p));
    // A folder renamed or removed: the files inside it moved or went too.
    watcher.on("addDir", (p) => this.folderEvent(p));
    watcher.on("unlinkDir", (p) => this.folderEvent(p));
    watcher.on("error", (e) => this.options.onNotice?.(`inbox watcher: ${(e as Error)?.message ?? String(e)}`));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  /** Stops watching and waits for an ingest it started to end. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.watcher?.close();
    this.watcher = null;
    await this.running;
  }

  private ignored(p: string): boolean {
    const absolute = path.resolve(p);
    if (this.ignore.some((folder) => isInside(absolute, folder))) return true;
    const relative = path.relative(this.inbox, absolute);
    if (relative === "" || relative.startsWith("..")) return false;
    return relative.split(path.sep).some(isTemporaryName);
  }

  private fileEvent(p: string): void {
    // Other files are only listed as skipped by the ingest: nothing in the store changes for them.
    if (!isSupportedFile(p)) return;
    this.dirty.add(path.resolve(p));
    this.changedPaths?.add(path.resolve(p));
    this.changed();
  }

  private folderEvent(p: string): void {
    if (path.resolve(p) === this.inbox) return;
    this.changedPaths?.add(path.resolve(p));
    this.changed();
  }

  private changed(): void {
    const now = Date.now();
    if (!this.pending) this.firstPendingAt = now;
    this.pending = true;
    this.lastEventAt = now;
    // Each event restarts the quiet time, but never past maxDelayMs from the first change.
    this.schedule(Math.min(this.debounceMs, this.firstPendingAt + this.maxDelayMs - now));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, Math.max(0, delayMs));
  }

  /** Milliseconds until every changed file has been left alone for debounceMs; 0 when they all have. */
  private async unsettledFor(now: number): Promise<number> {
    let wait = 0;
    for (const file of this.dirty) {
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(file);
      } catch {
        continue; // gone: its deletion is what the ingest will see
      }
      const age = now - stat.mtimeMs;
      // A modification time in the future (a copied file, a skewed clock) says nothing about the copy: no wait.
      if (age >= 0 && age < this.debounceMs) wait = Math.max(wait, this.debounceMs - age);
    }
    return wait;
  }

  private async flush(): Promise<void> {
    if (this.closed || !this.pending || this.running || this.flushing) return;
    const now = Date.now();
    const overdue = now - this.firstPendingAt >= this.maxDelayMs;
    if (!overdue) {
      const quietFor = now - this.lastEventAt;
      if (quietFor < this.debounceMs) return this.schedule(this.debounceMs - quietFor);
    }
    this.flushing = true;
    let wait: number;
    try {
      wait = await this.unsettledFor(now);
    } finally {
      this.flushing = false;
    }
    if (this.closed || this.running) return;
    if (!overdue) {
      // The stat calls took a moment: an event that came in meanwhile restarts the quiet time.
      if (this.lastEventAt > now) return this.schedule(this.debounceMs - (Date.now() - this.lastEventAt));
      if (wait > 0) return this.schedule(wait);
    }
    const changed = this.changedPaths;
    if (overdue && wait > 0) {
      // Ingested as they are while still changing: once more after they settle, even if no event comes after this
      // one (the last write may have come just before it). The files stay dirty and their paths stay changed.
      this.firstPendingAt = this.lastEventAt = Date.now();
    } else {
      this.pending = false;
      this.dirty.clear();
      this.changedPaths = new Set();
    }
    this.running = this.runIngest(changed ? [...changed] : null).finally(() => {
      this.running = null;
      if (this.pending) this.schedule(Math.max(0, this.debounceMs - (Date.now() - this.lastEventAt)));
    });
  }

  private async runIngest(changed: string[] | null): Promise<void> {
    try {
      await this.options.ingest(changed);
    } catch (e) {
      if (e instanceof StoreLockedError) {
        // Another process (a command-line ingest) is writing the store: try again once it is done.
        this.options.onNotice?.(`inbox watcher: ${e.message}; trying again in ${Math.round(this.retryMs / 1000)} s`);
        this.changedPaths = null;
        if (!this.pending) this.firstPendingAt = Date.now();
        this.pending = true;
        this.lastEventAt = Math.max(this.lastEventAt, Date.now() + this.retryMs - this.debounceMs);
        return;
      }
      this.options.onNotice?.(`inbox watcher: ingest failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}
