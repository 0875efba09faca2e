// The PostgreSQL store's schema and `check`: migrations applied once on a fresh database (at open and by
// `alpaca-rag migrate`), re-runs change nothing, concurrent openers apply each step once; the CLI ingests into a
// postgres:// store, `check` finds it clean, and finds each kind of disagreement when the database is damaged.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { checkStore } from "../../../src/store/check.js";
import { migrateStore } from "../../../src/store/migrate.js";
import { openStore } from "../../../src/store/open.js";
import { latestVersion, migrations } from "../../../src/store/postgres/migrations.js";
import { runCli } from "../../cliProcess.js";
import { shippedSampleInbox, shippedSampleNames, tempDir } from "../../helpers.js";
import { doc, file, identity } from "../fixtures.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("PostgreSQL store migrations", () => {
  it("applies every migration once on a fresh database, and re-runs are no-ops", async () => {
    const url = await freshDatabase();
    // check changes nothing: an empty database is reported, not made into a store.
    expect(await checkStore(url)).toMatchObject({ ok: false, problems: [`${url} holds no store (no schema_migrations table)`] });
    expect(await sql(url, "SELECT to_regclass('schema_migrations') AS t")).toEqual([{ t: null }]);
    expect(await migrateStore(url)).toEqual({ store: url, applied: migrations.map((m) => m.version), version: latestVersion });
    expect(await migrateStore(url)).toEqual({ store: url, applied: [], version: latestVersion });
    const recorded = await sql<{ version: number; description: string }>(url, "SELECT version, description FROM schema_migrations ORDER BY version");
    expect(recorded).toEqual(migrations.map((m) => ({ version: m.version, description: m.description })));
    const store = await openStore(url, { write: true });
    expect(await store.count("documents")).toBe(0);
    await store.close();
  });

  it("lets several openers of a fresh database race: each step runs once", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    expect(await Promise.all(stores.map((s) => s.count("chunks")))).toEqual([0, 0, 0, 0]);
    await Promise.all(stores.map((s) => s.close()));
    expect(await sql(url, "SELECT version FROM schema_migrations")).toHaveLength(migrations.length);
  });

  it("`alpaca-rag migrate --store URL` migrates, then says the schema is current; ingest and check work on the URL", async () => {
    const url = await freshDatabase();
    const first = await runCli(["migrate", "--store", url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`${url}: applied migration 1; schema version ${latestVersion}\n`);
    const again = await runCli(["migrate", "--store", url, "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({ store: url, applied: [], version: latestVersion });

    const common = ["--store", url, "--threads", "1", "--gpu", "false", "--models-dir", tempDir()];
    const ingest = await runCli(["ingest", shippedSampleInbox(), "--embedding-model", "none", "--json", ...common]);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ added: shippedSampleNames.length, failed: [], store: url });
    const check = await runCli(["check", "--json", "--store", url]);
    expect(check.code, check.stderr).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report).toMatchObject({ ok: true, documents: shippedSampleNames.length, files: shippedSampleNames.length, problems: [] });
    expect(report.chunks).toBeGreaterThan(shippedSampleNames.length);
    const search = await runCli(["search", "望月桥", "--json", "-k", "3", ...common]);
    expect(search.code, search.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(search.stdout))).toContain("lanxi-wangyue-bridge.md");
  });
});

describe("check on a PostgreSQL store", () => {
  it("finds a store clean, then names each disagreement in a damaged one", async () => {
    const url = await freshDatabase();
    const store = await openStore(url, { write: true });
    await store.bindEmbedding(identity);
    const a = await store.commitFile(file("a.txt"), { document: doc("a", ["南京长江大桥建成通车", "桥梁的结构"], [[1, 0, 0, 0], [0, 1, 0, 0]]) });
    await store.commitFile(file("b.txt"), { document: doc("b", ["The river bridge opened"], [[0, 0, 1, 0]]) });
    await store.commitFile(file("c.txt"), { document: doc("c", ["替换前的内容"], [[0, 0, 0, 1]]) });
    await store.commitFile(file("c.txt", 11, 2), { document: doc("c2", ["替换后的内容"], [[0, 1, 1, 0]]) });
    await store.removeFiles("default", ["b.txt"]);
    await store.close();
    expect(await checkStore(url)).toEqual({ ok: true, documents: 2, files: 2, chunks: 3, vectors: 3, embedding: "test.gguf (4)", problems: [] });

    await sql(url, `DELETE FROM chunk_terms WHERE chunk_id = ${a.chunkIds[0]} AND term = (SELECT min(term) FROM chunk_terms WHERE chunk_id = ${a.chunkIds[0]})`);
    await sql(url, `UPDATE chunks SET vector = NULL WHERE id = ${a.chunkIds[1]}`);
    await sql(url, "DROP INDEX chunks_vector_4");
    await sql(url, `INSERT INTO documents(sha256, kind, bytes, text, page_starts, chunk_count, ingested_at) VALUES ('x', 'text', 1, 'x', '[]', 3, 'now')`);
    const report = await checkStore(url);
    expect(report.ok).toBe(false);
    const problems = report.problems.join("\n");
    expect(problems).toContain(`chunks whose lexical postings do not match their terms: ${a.chunkIds[0]}`);
    expect(problems).toMatch(/term statistics that disagree with the postings: /);
    expect(problems).toMatch(/store totals disagree: kept 3 chunks, \d+ terms, 3 vectors; counted 3, \d+, 2/);
    expect(problems).toContain(`chunks without a vector of dimension 4: ${a.chunkIds[1]}`);
    expect(problems).toContain("the HNSW index for dimension 4 is missing");
    expect(problems).toMatch(/documents no file points to: \d+/);
    expect(problems).toMatch(/documents whose chunks are incomplete or duplicated: \d+/);
  });
});
