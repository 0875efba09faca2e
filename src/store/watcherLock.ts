// Which server follows the inbox when several share one store: a PostgreSQL store hands the watching to the one
// process holding an advisory lock (postgres/lock.ts), so an inbox shared by many servers is ingested by one of them;
// a folder store belongs to one machine and its server always watches.
import type { StoreTarget } from "./open.js";
import { PostgresWatcherLock } from "./postgres/lock.js";

export interface WatcherLease {
  /** Why the lease ended by itself (the database went away), or null while it is held. */
  readonly failure: Error | null;
  release(): Promise<void>;
}

const always: WatcherLease = { failure: null, release: async () => {} };

/** Takes the watcher's lease for the store `target`, or null when another process holds it. */
export async function tryWatcherLease(target: StoreTarget): Promise<WatcherLease | null> {
  if (target.kind === "sqlite") return always;
  return PostgresWatcherLock.tryAcquire(target.url);
}
