// `alpaca-rag check`: verifies, without changing anything, that a store's parts agree (for the embedded store:
// SQLite, FTS and the vector file). The report is the same whatever the implementation.
import { checkSqliteStore } from "./sqlite/check.js";
import type { CheckReport } from "./contract.js";
import { storeTarget } from "./open.js";

export type { CheckReport } from "./contract.js";


/** Checks the store at `target` (a folder; see openStore). */
export async function checkStore(target: string): Promise<CheckReport> {
  const resolved = storeTarget(target);
  return checkSqliteStore(resolved.dir);
}
