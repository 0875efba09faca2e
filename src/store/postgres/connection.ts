// Connections to a PostgreSQL store: the URL as messages show it (never with its password), a connection pool that
// survives the server going away (an 'error' handler on every idle client; the pool opens fresh connections on the
// next request), and the translation of the `pg` client's failures into the store's errors: a URL that names nothing
// usable at open (StoreTargetError) and a server that stopped answering later (StoreUnavailableError).
import pg from "pg";
import { StoreTargetError, StoreUnavailableError } from "../errors.js";

/** bigint columns (ids, counts) as JavaScript numbers: ids and counts stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as "text");
  }) as typeof pg.types.getTypeParser,
};

/** The URL without its password (user info kept, `password` query parameter dropped), for locations and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.searchParams.delete("password");
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1@");
  }
}

/** Settings for a client of the database at `url`. */
export function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, types, connectionTimeoutMillis: 10_000, application_name: "alpaca-rag" };
}

/** A pool whose broken idle connections are logged away instead of crashing the process. */
export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(url), max: 8, idleTimeoutMillis: 30_000, allowExitOnIdle: true });
  // An idle client whose server went away emits 'error' on the pool; without a listener Node would crash.
  pool.on("error", () => {});
  return pool;
}

const connectionCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** True when `error` means the server is unreachable or the connection broke (not a fault of the statement). */
export function isConnectionFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : "";
  if (connectionCodes.has(code)) return true;
  // 08xxx connection exceptions; 57P01-57P03 the server shutting down or starting up.
  if (/^08/.test(code) || code === "57P01" || code === "57P02" || code === "57P03") return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /Connection terminated|connection timeout|Client has encountered a connection error|Connection ended/i.test(message);
}

/** What went wrong opening the store at `location` (the redacted URL), as an error naming it and the remedy. */
export function openFailure(location: string, error: unknown): Error {
  const e = error as { code?: unknown; message?: unknown; hostname?: unknown };
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  const url = (() => {
    try {
      return new URL(location);
    } catch {
      return null;
    }
  })();
  const where = url ? `${url.hostname}:${url.port || "5432"}` : location;
  const database = url ? decodeURIComponent(url.pathname.replace(/^\//, "")) || "(the user's default)" : "?";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new StoreTargetError(`store ${location}: unknown host ${url?.hostname ?? "?"}`);
  if (code === "ECONNREFUSED")
    return new StoreTargetError(`store ${location}: nothing accepts connections at ${where} (is PostgreSQL running there?)`);
  if (code === "3D000") return new StoreTargetError(`store ${location}: database "${database}" does not exist on ${where}; create it first`);
  if (code === "28P01" || code === "28000") return new StoreTargetError(`store ${location}: the server refused the login (${message})`);
  if (code === "58P01" || /extension "vector" is not available|vector\.control/.test(message))
    return new StoreTargetError(
      `store ${location}: the pgvector extension is not installed on that server (install it: scripts/pgvector.sh, or postgresql-NN-pgvector)`,
    );
  if (code === "42501" && /extension "vector"/.test(message))
    return new StoreTargetError(
      `store ${location}: pgvector is not enabled in database "${database}" and this user may not enable it (${message}); ` +
        `have a superuser run CREATE EXTENSION vector there`,
    );
  if (code === "42501") return new StoreTargetError(`store ${location}: not allowed to create the store's tables (${message})`);
  if (isConnectionFailure(error)) return new StoreTargetError(`store ${location}: cannot connect (${message})`);
  return new StoreTargetError(`store ${location}: ${message}`);
}

/** A failure during use: a broken connection becomes StoreUnavailableError; anything else is passed on. */
export function useFailure(location: string, error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isConnectionFailure(error)) return error;
  return new StoreUnavailableError(`store ${location} is unavailable: ${(error as Error).message}; try again once the database is back`);
}

/** Runs `work` in one transaction on a client of `pool` (rolled back on any failure). */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = "BEGIN"): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackError) {
      broken = rollbackError as Error; // the connection itself is gone: do not give it back to the pool
    }
    throw e;
  } finally {
    client.release(broken);
  }
}
