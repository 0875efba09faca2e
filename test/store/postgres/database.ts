// PostgreSQL for the tests: the cluster named by ALPACA_RAG_TEST_PG (CI starts one), or else a throwaway cluster this
// test file starts itself (scripts/pg-test-cluster.sh, in a temporary folder) and stops after its tests, so a single
// `npx vitest run FILE` works alone. Each test gets a fresh, empty database of its own.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createDatabase } from "../../../bench/lib/postgres-cluster.js";
import { afterAll } from "vitest";
import { projectRoot, tempDir } from "../../helpers.js";

const run = promisify(execFile);
const script = path.join(projectRoot, "scripts", "pg-test-cluster.sh");

export interface TestCluster {
  /** The maintenance URL (a database that exists). */
  url: string;
  /** The cluster's folder when this file started it (null: the CI's cluster). */
  dir: string | null;
}

let cluster: Promise<TestCluster> | null = null;

/** Starts a cluster of this file's own in `dir`; returns its URL. */
export async function startCluster(dir: string): Promise<string> {
  const { stdout } = await run("bash", [script, "start", dir], { timeout: 120_000 });
  return stdout.trim().split("\n").pop()!;
}

export async function stopCluster(dir: string): Promise<void> {
  await run("bash", [script, "stop", dir], { timeout: 120_000 });
}

/** Registers the clean-up of a cluster this file may start; call at the top level of the test file. */
export function usePostgres(): void {
  afterAll(async () => {
    const started = cluster ? await cluster.catch(() => null) : null;
    cluster = null;
    if (started?.dir) await stopCluster(started.dir);
  });
}

/** The cluster the tests use (started at first use when ALPACA_RAG_TEST_PG is unset). */
export function testCluster(): Promise<TestCluster> {
  cluster ??= (async () => {
    const given = process.env.ALPACA_RAG_TEST_PG;
    if (given) return { url: given, dir: null };
    const parent = tempDir("alpaca-rag-pg-");
    // The cluster belongs to the `postgres` user when the tests run as root: it must be able to reach its folder.
    fs.chmodSync(parent, 0o755);
    const dir = path.join(parent, "cluster");
    return { url: await startCluster(dir), dir };
  })();
  return cluster;
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database in the test cluster; returns its URL. */
export async function freshDatabase(): Promise<string> {
  return createDatabase((await testCluster()).url, "t");
}
