// The PostgreSQL server a benchmark measures: the one named by --url or ALPACA_RAG_TEST_PG, or a throwaway cluster
// started here (scripts/pg-test-cluster.sh) and stopped by `stop()`. Where neither is possible (no PostgreSQL or no
// pgvector on the machine) the benchmark says why and exits cleanly, as the others do for a missing tool.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { flag } from "./cli.js";
import { projectRoot } from "./paths.js";

const script = path.join(projectRoot, "scripts", "pg-test-cluster.sh");

export interface BenchPostgres {
  /** postgres:// URL of the server's maintenance database. */
  url: string;
  /** Stops the cluster if this benchmark started it. */
  stop(): void;
  /** Creates an empty database named `prefix` plus a unique suffix; returns its URL. */
  createDatabase(prefix: string): Promise<string>;
}

/**
 * A new empty database on the server at `url` (its maintenance database), named `prefix` plus a unique suffix; returns
 * the new database's URL. The tests' fresh databases are made by it too.
 */
export async function createDatabase(url: string, prefix: string): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const created = new URL(url);
  created.pathname = `/${name}`;
  return created.toString();
}

/** `bench`: the benchmark's name for the skip message; `work`: its scratch folder (removed when it skips). */
export function benchPostgres(bench: string, work: string): BenchPostgres {
  const given = flag("--url") ?? process.env.ALPACA_RAG_TEST_PG;
  if (given) return { url: given, stop: () => {}, createDatabase: (prefix) => createDatabase(given, prefix) };
  const dir = path.join(work, "cluster");
  try {
    const url = execFileSync("bash", [script, "start", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim().split("\n").pop()!;
    return { url, stop: () => execFileSync("bash", [script, "stop", dir]), createDatabase: (prefix) => createDatabase(url, prefix) };
  } catch (e) {
    const why = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim().split("\n").pop();
    console.log(`${bench}: skipped, no PostgreSQL with pgvector to start here (${why}); install postgresql and run scripts/pgvector.sh, or pass --url`);
    fs.rmSync(work, { recursive: true, force: true });
    process.exit(0);
  }
}
