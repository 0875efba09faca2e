// `alpaca-rag check` on a PostgreSQL store: verifies, without changing anything, that documents, files, chunks, the
// lexical postings and their statistics, the running totals, the knowledge bases and the vectors (with their HNSW
// index) agree.
import type { CheckReport } from "../contract.js";
import { parseEmbedding } from "../embedding.js";
import { createPool, openFailure, redactUrl } from "./connection.js";
import { latestVersion, schemaVersion } from "./migrations.js";

function sample(ids: Array<number | string>): string {
  return ids.slice(0, 10).join(", ") + (ids.length > 10 ? ` … (${ids.length})` : "");
}

export async function checkPostgresStore(url: string): Promise<CheckReport> {
  // A reader that changes nothing: no lock (a running ingest is not disturbed), and no migrations (a database that
  // holds no store, or an older schema, is reported, not upgraded).
  const location = redactUrl(url);
  const db = createPool(url);
  let version: number;
  try {
    version = await schemaVersion(db);
  } catch (e) {
    await db.end().catch(() => {});
    throw openFailure(location, e);
  }
  if (version !== latestVersion) {
    await db.end().catch(() => {});
    const problem =
      version === 0
        ? `${location} holds no store (no schema_migrations table)`
        : `${location} has schema version ${version}; this alpaca-rag knows ${latestVersion}${version < latestVersion ? ": run alpaca-rag migrate" : ""}`;
    return { ok: false, documents: 0, files: 0, chunks: 0, vectors: 0, embedding: "-", problems: [problem] };
  }
  const problems: string[] = [];
  const client = await db.connect();
  const ids = async (sql: string, params: unknown[] = []) => (await client.query<{ id: number | string }>(sql, params)).rows.map((r) => r.id);
  try {
    // One snapshot for every query, so a commit landing mid-check cannot look like a disagreement.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const identity = parseEmbedding((await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'embedding'")).rows[0]?.value);
    const count = async (table: string) => Number((await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

    const unusedDocuments = await ids("SELECT d.id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.document_id = d.id)");
    if (unusedDocuments.length) problems.push(`documents no file points to: ${sample(unusedDocuments)}`);
    // Bases: `default` always there, and every file in a base the store has (the foreign key keeps this; a
    // hand-edited database may not).
    if ((await client.query("SELECT 1 FROM knowledge_bases WHERE name = 'default'")).rowCount === 0)
      problems.push('the "default" knowledge base is missing');
    const homeless = await ids(
      "SELECT f.kb || ':' || f.path AS id FROM files f WHERE NOT EXISTS (SELECT 1 FROM knowledge_bases k WHERE k.name = f.kb) ORDER BY f.kb, f.path",
    );
    if (homeless.length) problems.push(`files in knowledge bases the store does not have: ${sample(homeless)}`);
    const miscounted = await ids("SELECT d.id FROM documents d WHERE d.chunk_count != (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)");
    if (miscounted.length) problems.push(`documents whose chunks are incomplete or duplicated: ${sample(miscounted)}`);
    const noTerms = await ids(
      `SELECT c.id FROM chunks c LEFT JOIN (SELECT chunk_id, sum(tf) AS total, min(length) AS low, max(length) AS high FROM chunk_terms GROUP BY chunk_id) p
       ON p.chunk_id = c.id WHERE coalesce(p.total, 0) != c.term_count OR (p.chunk_id IS NOT NULL AND (p.low != c.term_count OR p.high != c.term_count))`,
    );
    if (noTerms.length) problems.push(`chunks whose lexical postings do not match their terms: ${sample(noTerms)}`);
    const badStats = await ids(
      `SELECT coalesce(s.term, p.term) AS id FROM term_stats s FULL JOIN (SELECT term, count(*) AS df FROM chunk_terms GROUP BY term) p
       ON p.term = s.term WHERE s.df IS DISTINCT FROM p.df`,
    );
    if (badStats.length) problems.push(`term statistics that disagree with the postings: ${sample(badStats)}`);
    const totals = (await client.query<{ chunks: number; term_length: number; vectors: number }>("SELECT chunks, term_length, vectors FROM store_totals")).rows[0];
    const actual = (
      await client.query<{ chunks: number; term_length: number | null; vectors: number }>(
        "SELECT count(*) AS chunks, sum(term_count)::bigint AS term_length, count(vector) AS vectors FROM chunks",
      )
    ).rows[0];
    if (totals.chunks !== actual.chunks || totals.term_length !== (actual.term_length ?? 0) || totals.vectors !== actual.vectors)
      problems.push(
        `store totals disagree: kept ${totals.chunks} chunks, ${totals.term_length} terms, ${totals.vectors} vectors; ` +
          `counted ${actual.chunks}, ${actual.term_length ?? 0}, ${actual.vectors}`,
      );

    let vectors = 0;
    if (identity) {
      const wrong = await ids("SELECT id FROM chunks WHERE vector IS NULL OR vector_dims(vector) != $1", [identity.dimension]);
      if (wrong.length) problems.push(`chunks without a vector of dimension ${identity.dimension}: ${sample(wrong)}`);
      vectors = actual.vectors;
      const index = await client.query("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1", [
        `chunks_vector_${identity.dimension}`,
      ]);
      if (index.rowCount === 0) problems.push(`the HNSW index for dimension ${identity.dimension} is missing`);
    } else if (actual.vectors) {
      problems.push(`${actual.vectors} chunks have vectors in a ${identity === null ? "lexical-only" : "model-less"} store`);
    }
    const report: CheckReport = {
      ok: problems.length === 0,
      documents: await count("documents"),
      files: await count("files"),
      chunks: actual.chunks,
      vectors,
      embedding: identity === undefined ? "not set" : identity === null ? "none (lexical-only)" : `${identity.name} (${identity.dimension})`,
      problems,
    };
    await client.query("COMMIT");
    return report;
  } finally {
    client.release();
    await db.end().catch(() => {});
  }
}
