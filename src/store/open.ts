// The one place that chooses a store implementation from the `store` setting: a folder is the embedded store (SQLite +
// FTS5 + an HNSW vector index, sqlite/); a postgres:// or postgresql:// URL is the server store (PostgreSQL + pgvector,
// postgres/).
import { storeUrlScheme } from "../config/schema.js";
import type { DocumentStore, OpenStoreOptions, VectorPrecision } from "./contract.js";
import { StoreTargetError } from "./errors.js";
import { PostgresStore } from "./postgres/store.js";
import { SqliteStore } from "./sqlite/store.js";

export { StoreTargetError } from "./errors.js";

/** What a `store` setting names. */
export type StoreTarget = { kind: "sqlite"; dir: string } | { kind: "postgres"; url: string };

/** Reads a `store` setting: a folder, or a PostgreSQL URL. */
export function storeTarget(target: string): StoreTarget {
  if (target.trim() === "") throw new StoreTargetError("store: empty; give a folder (e.g. ./storage) or a postgres:// URL");
  const scheme = storeUrlScheme(target);
  if (scheme === "postgres" || scheme === "postgresql") return { kind: "postgres", url: target.trim() };
  if (scheme !== undefined)
    throw new StoreTargetError(`store: unknown kind of store "${scheme}://…"; give a folder or a postgres:// URL`);
  return { kind: "sqlite", dir: target };
}

/** What openStore reads from settings: the store, and how its vectors are kept. */
export type StoreSettings = { store: string; vectorPrecision?: VectorPrecision };

/**
 * Opens the store named by `target` (a `store` setting, or settings holding one, whose `vectorPrecision` applies unless
 * the options give one). A writer (`write: true`) takes the write lock or is refused with StoreLockedError; see
 * DocumentStore for what every store promises.
 */
export async function openStore(target: string | StoreSettings, options: OpenStoreOptions = {}): Promise<DocumentStore> {
  const resolved = storeTarget(typeof target === "string" ? target : target.store);
  if (resolved.kind === "postgres") return PostgresStore.open(resolved.url, options);
  const vectorPrecision = options.vectorPrecision ?? (typeof target === "string" ? undefined : target.vectorPrecision);
  return SqliteStore.open(resolved.dir, { ...options, vectorPrecision });
}

/** The bases' names (DocumentStore.kbNames), from a store opened for that alone, without its vectors, and closed. */
export async function readKbNames(target: string | { store: string }): Promise<string[]> {
  const store = await openStore(target, { vectors: false });
  try {
    return await store.kbNames();
  } finally {
    await store.close();
  }
}
