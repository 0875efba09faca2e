// The PostgreSQL store's dense vectors: pgvector values in chunks.vector (the source of truth, no derived file to
// reconcile), an HNSW index with vector_cosine_ops over `vector::vector(n)` for the bound model's dimension (made
// when the model is bound; see migrations.ts for why the column has no dimension), and the nearest-chunk search with
// hnsw.ef_search set for that one query from the same size-aware breadth as the embedded store.
import type pg from "pg";
import type { VectorHit } from "../contract.js";
import { defaultEfSearch } from "../ranking.js";
import { coversEveryKbSql } from "./kbs.js";

/** pgvector's largest hnsw.ef_search. */
const maxEfSearch = 1000;

/** pgvector's text form of a vector: "[0.1,0.2,…]" (finite numbers only, so it is safe to inline). */
export function vectorLiteral(vector: Float32Array | readonly number[]): string {
  const parts: string[] = [];
  for (const v of vector) {
    if (!Number.isFinite(v)) throw new Error("vector holds a value that is not a finite number");
    parts.push(String(v));
  }
  return `[${parts.join(",")}]`;
}

/** pgvector's text form back to numbers. */
export function parseVector(text: string): Float32Array {
  return Float32Array.from(text.slice(1, -1).split(",").map(Number));
}

type Queryable = Pick<pg.PoolClient, "query">;

/** Drops every HNSW index (another model's) and, for `dimension`, makes the one searches use. */
export async function replaceVectorIndex(client: Queryable, dimension: number | null): Promise<void> {
  const existing = await client.query<{ name: string }>(
    "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'chunks' AND indexname LIKE 'chunks_vector_%'",
  );
  for (const { name } of existing.rows) await client.query(`DROP INDEX IF EXISTS "${name.replace(/"/g, '""')}"`);
  if (dimension === null) return;
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 2000)
    throw new Error(`embedding dimension ${dimension}: pgvector's HNSW index takes 1 to 2000 dimensions`);
  await client.query(`CREATE INDEX chunks_vector_${dimension} ON chunks USING hnsw ((vector::vector(${dimension})) vector_cosine_ops)`);
}

/**
 * The `k` nearest chunks by cosine similarity among `live` vectors of `dimension`, of documents with a file in one of
 * `kbs`. One round trip: the settings are made with set_config(…, true) for this statement's implicit transaction
 * only, so a pooled connection keeps none.
 *
 * The scope filters inside the index scan: with hnsw.iterative_scan = relaxed_order (pgvector 0.8) the scan goes on
 * past ef_search candidates until k of them pass the filter (up to hnsw.max_scan_tuples, 20,000 by default), so a
 * small base still gets k hits; relaxed order may hand them over slightly out of order, so they are sorted again by
 * distance outside the materialized scan. A scope naming every base skips the filter (an InitPlan, decided once).
 */
export async function vectorSearch(
  pool: pg.Pool,
  dimension: number,
  live: number,
  query: Float32Array,
  k: number,
  kbs: readonly string[],
  ef?: number,
): Promise<VectorHit[]> {
  if (k <= 0 || live === 0 || kbs.length === 0) return [];
  if (query.length !== dimension) throw new Error(`query vector has dimension ${query.length}; the store's is ${dimension}`);
  const breadth = Math.min(maxEfSearch, Math.max(ef ?? defaultEfSearch(live), k));
  const n = Math.min(Math.floor(k), live);
  const literal = `'${vectorLiteral(query)}'::vector(${dimension})`;
  // Base names go in as a quoted array literal: a multi-statement query (the simple protocol) takes no parameters.
  const scope = `'${pgArrayLiteral(kbs).replace(/'/g, "''")}'`;
  const results = (await pool.query(
    `SELECT set_config('hnsw.ef_search', '${breadth}', true), set_config('hnsw.iterative_scan', 'relaxed_order', true);
     WITH nearest AS MATERIALIZED (
       SELECT c.id, c.vector::vector(${dimension}) <=> ${literal} AS distance
       FROM chunks c
       WHERE c.vector IS NOT NULL
         AND (${coversEveryKbSql(scope)}
              OR EXISTS (SELECT 1 FROM files f WHERE f.document_id = c.document_id AND f.kb = ANY(${scope}::text[])))
       ORDER BY c.vector::vector(${dimension}) <=> ${literal} LIMIT ${n})
     SELECT id, 1 - distance AS similarity FROM nearest ORDER BY distance, id`,
  )) as unknown as Array<pg.QueryResult<{ id: number; similarity: number }>>;
  return results[1].rows.map((r) => ({ chunkId: r.id, similarity: r.similarity }));
}

/** PostgreSQL's text form of a text[]: every element double-quoted, with backslashes and quotes escaped. */
function pgArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}
