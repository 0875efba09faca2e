// `alpaca-rag check`: verifies, without changing anything, that a store's parts agree (for the embedded store:
// SQLite, FTS and the vector file; for a PostgreSQL store: rows, lexical postings and statistics, vectors). The
// report is the same whatever the implementation.
import type { CheckReport } from "./contract.js";
import { storeTarget } from "./open.js";
import { checkPostgresStore } from "./postgres/check.js";
import { checkSqliteStore } from "./sqlite/check.js";

export type { CheckReport } from "./contract.js";

/** Checks the store at `target` (a folder or a postgres:// URL; see openStore). */
export async function checkStore(target: string): Promise<CheckReport> {
  const resolved = storeTarget(target);
  return resolved.kind === "postgres" ? checkPostgresStore(resolved.url) : checkSqliteStore(resolved.dir);
}
