// The one place that chooses a store implementation from the `store` setting: a folder is the embedded store
// (SQLite + FTS5 + hnswlib, sqlite/); a postgres:// URL will be the server store (PostgreSQL + pgvector), refused
// with a clear error until it exists.
import { storeUrlScheme } from "../config/schema.js";
import type { DocumentStore, OpenStoreOptions } from "./contract.js";
import { SqliteStore } from "./sqlite/store.js";

export class StoreTargetError extends Error {
  override name = "StoreTargetError";
}

/** What a `store` setting names. */
export type StoreTarget = { kind: "sqlite"; dir: string };

/** Reads a `store` setting: a folder, or (not yet supported) a database URL. */
export function storeTarget(target: string): StoreTarget {
  if (target.trim() === "") throw new StoreTargetError("store: empty; give a folder (e.g. ./storage)");
  const scheme = storeUrlScheme(target);
  if (scheme === "postgres" || scheme === "postgresql")
    throw new StoreTargetError(`store: PostgreSQL stores (${scheme}://…) are not supported by this version yet; give a folder`);
  if (scheme !== undefined) throw new StoreTargetError(`store: unknown kind of store "${scheme}://…"; give a folder`);
  return { kind: "sqlite", dir: target };
}

/**
 * Opens the store named by `target` (a `store` setting, or settings holding one). A writer (`write: true`) takes the
 * write lock or is refused with StoreLockedError; see DocumentStore for what every store promises.
 */
export async function openStore(target: string | { store: string }, options: OpenStoreOptions = {}): Promise<DocumentStore> {
  const resolved = storeTarget(typeof target === "string" ? target : target.store);
  return SqliteStore.open(resolved.dir, options);
}
