// Bringing a store's schema up to date on its own (`alpaca-rag migrate`): a PostgreSQL store applies its missing
// numbered migrations (postgres/migrations.ts); the embedded store upgrades its SQLite file when opened.
import { storeTarget } from "./open.js";
import { createPool, openFailure, redactUrl } from "./postgres/connection.js";
import { migrate, schemaVersion } from "./postgres/migrations.js";
import { schemaVersion as sqliteSchemaVersion } from "./sqlite/database.js";
import { SqliteStore } from "./sqlite/store.js";

export interface MigrateResult {
  /** The store's location (a folder, or the URL without its password). */
  store: string;
  /** Migrations applied now (empty: already current). */
  applied: number[];
  /** The schema version after. */
  version: number;
}

export async function migrateStore(target: string): Promise<MigrateResult> {
  const resolved = storeTarget(target);
  if (resolved.kind === "sqlite") {
    const store = SqliteStore.open(resolved.dir, { vectors: false });
    const before = Number((store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined) ?? 0);
    store.closeSync();
    return { store: store.location, applied: [], version: Math.max(before, sqliteSchemaVersion) };
  }
  const location = redactUrl(resolved.url);
  const pool = createPool(resolved.url);
  try {
    const applied = await migrate(pool, location).catch((e: unknown) => {
      throw openFailure(location, e);
    });
    return { store: location, applied, version: await schemaVersion(pool) };
  } finally {
    await pool.end().catch(() => {});
  }
}
