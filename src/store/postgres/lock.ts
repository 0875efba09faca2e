// The PostgreSQL store's write lock: a session-level advisory lock (pg_try_advisory_lock) taken on a connection of
// its own, held for the store's lifetime, so one writer runs at a time across every machine sharing the database and
// a holder that dies (or whose machine does) loses it with its connection. The holder describes itself in a row
// (purpose, pid, host, since) that a refused writer reads back into StoreLockedError. PostgresWatcherLock is a second
// advisory lock of the same kind: the one server (of many sharing the database) that follows the inbox holds it.
import os from "node:os";
import pg from "pg";
import { StoreLockedError } from "../lock.js";
import { clientConfig } from "./connection.js";
import { lockSpace } from "./migrations.js";

const writeLockKey = 1;
const watcherLockKey = 2;

/** An advisory lock held by a connection of its own: the lock lives exactly as long as that session. */
abstract class SessionLock {
  protected lost: Error | null = null;
  protected released = false;

  protected constructor(
    protected readonly client: pg.Client,
    what: string,
  ) {
    // The server going away ends the session and with it the lock: note it, so the holder stops acting on it (writes
    // stop instead of racing a writer that may take the lock next); never crash the process over it.
    client.on("error", (e) => {
      this.lost ??= e;
    });
    client.on("end", () => {
      if (!this.released) this.lost ??= new Error(`the ${what}'s connection ended`);
    });
  }

  /** Why the lock is no longer held (its connection broke), or null while it is. */
  get failure(): Error | null {
    return this.lost;
  }
}

export class PostgresWriteLock extends SessionLock {
  private constructor(client: pg.Client) {
    super(client, "write lock");
  }

  /** Takes the lock or rejects with StoreLockedError naming the holder. */
  static async acquire(url: string, location: string, purpose: string): Promise<PostgresWriteLock> {
    const client = new pg.Client(clientConfig(url));
    client.on("error", () => {}); // until the lock's own handler is attached
    await client.connect();
    try {
      const taken = await client.query<{ taken: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS taken", [lockSpace, writeLockKey]);
      if (!taken.rows[0].taken) {
        const holder = await client.query<{ purpose: string; pid: number; host: string; since: string; backend_pid: number }>(
          `SELECT h.purpose, h.pid, h.host, h.since, h.backend_pid FROM write_lock_holder h`,
        );
        const h = holder.rows[0];
        throw new StoreLockedError(
          h
            ? `${location} is locked: another ${h.purpose} (pid ${h.pid} on ${h.host}, started ${h.since}) is writing it. ` +
                `Wait for it to finish, or stop it first.`
            : `${location} is locked: another writer is starting. Wait for it to finish, or stop it first.`,
        );
      }
      await client.query(
        `INSERT INTO write_lock_holder(single, purpose, pid, host, since, backend_pid) VALUES (true, $1, $2, $3, $4, pg_backend_pid())
         ON CONFLICT (single) DO UPDATE SET purpose = excluded.purpose, pid = excluded.pid, host = excluded.host, since = excluded.since,
           backend_pid = excluded.backend_pid`,
        [purpose, process.pid, os.hostname(), new Date().toISOString()],
      );
      return new PostgresWriteLock(client);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
  }

  /** Ends the lock's session, which releases the lock. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await this.client.query("DELETE FROM write_lock_holder WHERE backend_pid = pg_backend_pid()");
    } catch {
      // The session is gone already, and the lock with it.
    }
    await this.client.end().catch(() => {});
  }
}

/**
 * The inbox watcher's lease: held by at most one process across every machine sharing the database, released with
 * its connection (the holder stopping, dying or losing the database), so another server can take the watching over.
 */
export class PostgresWatcherLock extends SessionLock {
  private constructor(client: pg.Client) {
    super(client, "watcher lock");
  }

  /** Takes the lease, or null when another process holds it. Rejects when the database cannot be reached. */
  static async tryAcquire(url: string): Promise<PostgresWatcherLock | null> {
    const client = new pg.Client(clientConfig(url));
    client.on("error", () => {});
    await client.connect();
    try {
      const taken = await client.query<{ taken: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS taken", [lockSpace, watcherLockKey]);
      if (taken.rows[0].taken) return new PostgresWatcherLock(client);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    await client.end().catch(() => {});
    return null;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.client.end().catch(() => {});
  }
}
