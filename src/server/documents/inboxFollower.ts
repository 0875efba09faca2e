// Decides whether this server follows the inbox. With a store several servers share (PostgreSQL), only the holder of
// the store's watcher lease runs the inbox watcher; the others try to take the lease every few seconds, so when the
// watching server stops, dies or loses the database, another one takes over (and ingests what changed meanwhile).
// With a folder store the lease is always granted. Where the watching happens shows in the ingest status.
import type { StoreTarget } from "../../store/open.js";
import { tryWatcherLease, type WatcherLease } from "../../store/watcherLock.js";
import type { InboxWatcher } from "./inboxWatcher.js";
import type { IngestStatusTracker } from "./ingestStatus.js";

export interface InboxFollowerOptions {
  store: StoreTarget;
  /** Makes the watcher to run while the lease is held (a fresh one each time). */
  watcher: () => InboxWatcher;
  /** Called when the lease is taken over from another server: catch up with the inbox. */
  onTakeOver: () => void;
  status: IngestStatusTracker;
  /** How often a server without the lease tries to take it, and a holder checks it still has it. Default 5000. */
  retryMs?: number;
  onNotice?: (message: string) => void;
}

export class InboxFollower {
  private lease: WatcherLease | null = null;
  private watcher: InboxWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private tick: Promise<void> = Promise.resolve();

  constructor(private readonly options: InboxFollowerOptions) {}

  /** Takes the lease and starts watching, or notes that another server watches; rejects if the watcher cannot start. */
  async start(): Promise<void> {
    await this.attempt(false, true);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.tick = this.check().finally(() => this.schedule());
    }, this.options.retryMs ?? 5000);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    if (this.lease) {
      const lost = this.lease.failure;
      if (!lost) return;
      this.options.onNotice?.(`inbox watcher: stopped, the store's watcher lease was lost (${lost.message}); trying to take it again`);
      await this.stopWatching();
      this.options.status.watcher = "elsewhere";
      return;
    }
    await this.attempt(true, false).catch((e: unknown) => this.options.onNotice?.(`inbox watcher: ${(e as Error)?.message ?? String(e)}`));
  }

  /** Tries to take the lease; with it, starts the watcher. `takeOver`: someone else watched before, catch up. */
  private async attempt(takeOver: boolean, first: boolean): Promise<void> {
    let lease: WatcherLease | null;
    try {
      lease = await tryWatcherLease(this.options.store);
    } catch (e) {
      if (!first) throw e;
      // The database is down at start: serve anyway, and keep trying.
      this.options.onNotice?.(`inbox watcher: could not reach the store to decide who watches (${(e as Error)?.message ?? String(e)}); trying again`);
      this.options.status.watcher = "elsewhere";
      return;
    }
    if (!lease) {
      if (first) this.options.onNotice?.("inbox watcher: another server sharing this store follows the inbox; this one takes over if it stops");
      this.options.status.watcher = "elsewhere";
      return;
    }
    if (this.closed) return void (await lease.release());
    const watcher = this.options.watcher();
    try {
      await watcher.start();
    } catch (e) {
      await watcher.close().catch(() => {});
      await lease.release();
      throw e;
    }
    this.lease = lease;
    this.watcher = watcher;
    this.options.status.watching = true;
    this.options.status.watcher = "here";
    if (takeOver) {
      this.options.onNotice?.("inbox watcher: this server now follows the inbox");
      this.options.onTakeOver();
    }
  }

  private async stopWatching(): Promise<void> {
    const watcher = this.watcher;
    const lease = this.lease;
    this.watcher = null;
    this.lease = null;
    this.options.status.watching = false;
    await watcher?.close();
    await lease?.release();
  }

  /** Stops watching and gives the lease back (another server takes over at its next try). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tick;
    await this.stopWatching();
    this.options.status.watcher = "off";
  }
}
