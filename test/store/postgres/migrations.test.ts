// The PostgreSQL store's schema and `check`: migrations applied once on a fresh database (at open and by
// `alpaca-rag migrate`), re-runs change nothing, concurrent openers apply each step once; a store made before knowledge
// bases opens with its files in `default`; the CLI ingests into a postgres:// store, `check` finds it clean, and finds
// each kind of disagreement when the database is damaged.
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

  it("moves the files of a store made before knowledge bases (schema 1) into `default`, keeping documents and searches", async () => {
    const url = await freshDatabase();
    // Schema 1 as that version made it, with one document under two paths, written as that version wrote rows.
    await sql(
      url,
      `CREATE TABLE schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
       ${migrations[0].sql}
       INSERT INTO schema_migrations(version, description) VALUES (1, 'v1');
       INSERT INTO meta(key, value) VALUES ('embedding', 'none');
       INSERT INTO documents(sha256, kind, bytes, text, page_starts, chunk_count, ingested_at) VALUES ('s1', 'text', 6, '长江大桥', '[0]', 1, 'then');
       INSERT INTO chunks(document_id, idx, text, char_start, char_end, token_count, terms, term_count)
         SELECT id, 0, '长江大桥', 0, 4, 3, '长江 大桥', 2 FROM documents;
       INSERT INTO chunk_terms(term, chunk_id, tf, length) SELECT t, (SELECT id FROM chunks), 1, 2 FROM unnest(ARRAY['长江', '大桥']) t;
       INSERT INTO term_stats VALUES ('长江', 1), ('大桥', 1);
       UPDATE store_totals SET chunks = 1, term_length = 2;
       INSERT INTO files(path, document_id, size, mtime_ms, added_at) SELECT p, (SELECT id FROM documents), 6, 1, 'then' FROM unnest(ARRAY['b.txt', 'a/x.txt']) p;`,
    );
    expect(await checkStore(url)).toMatchObject({ ok: false, problems: [`${url} has schema version 1; this alpaca-rag knows ${latestVersion}: run alpaca-rag migrate`] });
    const store = await openStore(url, { write: true });
    try {
      expect((await store.listKbs()).map((k) => [k.name, k.files, k.documents, k.chunks])).toEqual([["default", 2, 1, 1]]);
      expect((await store.listFiles({ kbs: ["default"] })).map((f) => [f.kb, f.path])).toEqual([["default", "a/x.txt"], ["default", "b.txt"]]);
      const hits = await store.lexicalSearch(["大桥"], 5, { kbs: ["default"] });
      expect((await store.chunksByIds(hits.map((h) => h.chunkId), { kbs: ["default"] }))[0].sources).toEqual([
        { kb: "default", path: "a/x.txt" },
        { kb: "default", path: "b.txt" },
      ]);
      // The same path may now be in another base too.
      await store.createKb("hr");
      const again = await store.commitFile(file("b.txt", 6, 1, "hr"), { documentId: (await store.documentIdForSha("s1"))! });
      expect(again.sameAs).toBeNull();
      expect(await store.count("files")).toBe(3);
    } finally {
      await store.close();
    }
    expect(await checkStore(url)).toMatchObject({ ok: true, documents: 1, files: 3, chunks: 1, problems: [] });
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
    expect(first.stdout).toBe(`${url}: applied migrations ${migrations.map((m) => m.version).join(", ")}; schema version ${latestVersion}\n`);
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
    // A base row gone under its files (only possible with the constraint dropped, as a hand-edited database might be).
    await sql(url, "ALTER TABLE files DROP CONSTRAINT files_kb_fkey; UPDATE files SET kb = 'ghost' WHERE path = 'a.txt'; DELETE FROM knowledge_bases");
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
    expect(problems).toContain('the "default" knowledge base is missing');
    expect(problems).toContain('files in knowledge bases the store does not have: default:c.txt, ghost:a.txt');
  });
});
