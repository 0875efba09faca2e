// The PostgreSQL store's lexical search: BM25 computed in SQL over our own terms (chunk_terms postings, term_stats
// chunk counts, store_totals lengths), with the same parameters and the same query-term pruning (ranking.ts) as the
// embedded store's FTS5, so both rank a corpus alike. Also turns a chunk's stored terms into its postings, splitting
// and folding them as FTS5's unicode61 tokenizer (remove_diacritics 2) does, so chunk lengths and counts agree too.
import type pg from "pg";
import type { KbScope, LexicalHit } from "../contract.js";
import { commonTermShare, keepEveryTermBelow } from "../ranking.js";
import { coversEveryKbSql } from "./kbs.js";

/** FTS5's bm25() constants. */
const k1 = 1.2;
const b = 0.75;

/** Latin letters with diacritics, which unicode61 folds to their base letter (remove_diacritics 2). */
const latinWithMarks = /[\u00c0-\u024f\u1e00-\u1eff]/gu;
/** What unicode61 keeps in tokens: letters, numbers and private-use characters; everything else separates. */
const separators = /[^\p{L}\p{N}\p{Co}]+/u;

/** The index tokens of a chunk's space-joined terms, as FTS5's unicode61 tokenizer would cut and fold them. */
export function indexTokens(terms: string): string[] {
  const folded = terms.toLowerCase().replace(latinWithMarks, (c) => c.normalize("NFD").replace(/\p{M}/gu, ""));
  return folded.split(separators).filter((t) => t !== "");
}

/** A chunk's postings: each distinct token with its count, and the chunk's length in tokens. */
export function postings(terms: string): { counts: Map<string, number>; length: number } {
  const tokens = indexTokens(terms);
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return { counts, length: tokens.length };
}

type Queryable = Pick<pg.PoolClient, "query">;

/**
 * Adds the postings of new chunks (from `postings`), their terms' chunk counts and the totals (`vectors`: how many of them have one),
 * in one statement inside the commit's transaction.
 */
export async function addPostings(
  client: Queryable,
  chunks: ReadonlyArray<{ id: number; postings: ReturnType<typeof postings> }>,
  vectors: number,
): Promise<void> {
  const term: string[] = [];
  const chunk: number[] = [];
  const tf: number[] = [];
  const length: number[] = [];
  let total = 0;
  for (const c of chunks) {
    const p = c.postings;
    total += p.length;
    for (const [t, n] of p.counts) {
      term.push(t);
      chunk.push(c.id);
      tf.push(n);
      length.push(p.length);
    }
  }
  await client.query(
    `WITH posted AS (
       INSERT INTO chunk_terms(term, chunk_id, tf, length) SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[])),
     counted AS (
       INSERT INTO term_stats(term, df) SELECT t, count(*) FROM unnest($1::text[]) AS t GROUP BY t
       ON CONFLICT (term) DO UPDATE SET df = term_stats.df + excluded.df)
     UPDATE store_totals SET chunks = chunks + $5, term_length = term_length + $6, vectors = vectors + $7`,
    [term, chunk, tf, length, chunks.length, total, vectors],
  );
}

/**
 * Takes the postings of chunks about to be deleted out of the statistics (their rows go with the chunks by cascade);
 * returns their total length. Terms left in no chunk are dropped.
 */
export async function removePostings(client: Queryable, chunkIds: readonly number[]): Promise<number> {
  if (chunkIds.length === 0) return 0;
  const gone = await client.query<{ term: string; n: number }>(
    "SELECT term, count(*) AS n FROM chunk_terms WHERE chunk_id = ANY($1::bigint[]) GROUP BY term",
    [chunkIds],
  );
  if (gone.rows.length > 0) {
    const terms = gone.rows.map((r) => r.term);
    await client.query(
      "UPDATE term_stats s SET df = s.df - g.n FROM unnest($1::text[], $2::int[]) AS g(term, n) WHERE s.term = g.term",
      [terms, gone.rows.map((r) => r.n)],
    );
    await client.query("DELETE FROM term_stats WHERE term = ANY($1::text[]) AND df <= 0", [terms]);
  }
  const length = await client.query<{ total: number | null }>("SELECT sum(term_count)::bigint AS total FROM chunks WHERE id = ANY($1::bigint[])", [
    chunkIds,
  ]);
  return length.rows[0].total ?? 0;
}

/**
 * BM25 for the ORed terms, best first (equal scores by chunk id), at most `limit`. One statement, so one round trip
 * and one snapshot: the statistics, the pruning and the postings agree. The pruning is ranking.ts's keptQueryTerms
 * written in SQL (terms in no chunk go; from keepEveryTermBelow chunks on, so do terms in over commonTermShare of them,
 * unless that leaves none, when the rarest stays, the first of equals); the IDF is FTS5's, ln((N − n + 0.5) /
 * (n + 0.5)), and 1e-6 where that is not positive. The contract and parity tests hold both stores to the same results.
 *
 * The scope is a filter on each ranked chunk inside the statement (HAVING, before ORDER BY … LIMIT), so a small base
 * still gets `limit` hits; the statistics stay the whole store's, as FTS5's do in the embedded store, so a chunk scores
 * the same scoped or not. A scope naming every base skips the filter (decided once per statement, an InitPlan).
 */
export async function lexicalSearch(pool: pg.Pool, terms: readonly string[], limit: number, scope: KbScope): Promise<LexicalHit[]> {
  if (terms.length === 0 || limit <= 0 || scope.kbs.length === 0) return [];
  const rows = await pool.query<{ id: number; score: number }>(
    `WITH totals AS (SELECT chunks, term_length FROM store_totals),
     present AS (
       SELECT q.term, q.ord, s.df FROM unnest($1::text[]) WITH ORDINALITY AS q(term, ord) JOIN term_stats s ON s.term = q.term WHERE s.df > 0),
     spread AS (SELECT p.term, p.df FROM present p, totals t WHERE t.chunks < $2 OR p.df <= t.chunks * $3::float8),
     kept AS (
       SELECT term, df FROM spread
       UNION ALL
       SELECT term, df FROM (SELECT term, df FROM present ORDER BY df, ord LIMIT 1) rarest WHERE NOT EXISTS (SELECT 1 FROM spread)),
     weights AS (
       SELECT k.term,
              CASE WHEN (t.chunks - k.df + 0.5)::float8 / (k.df + 0.5)::float8 > 1
                   THEN ln((t.chunks - k.df + 0.5)::float8 / (k.df + 0.5)::float8) ELSE 1e-6 END AS idf,
              t.term_length::float8 / t.chunks AS average
       FROM kept k, totals t)
     SELECT p.chunk_id AS id,
            sum(w.idf * (p.tf * ($4::float8 + 1))
                / (p.tf + $4::float8 * (1 - $5::float8 + $5::float8 * p.length / w.average))) AS score
     FROM chunk_terms p JOIN weights w ON p.term = w.term
     GROUP BY p.chunk_id
     HAVING ${coversEveryKbSql("$7")}
         OR EXISTS (SELECT 1 FROM chunks c JOIN files f ON f.document_id = c.document_id
                    WHERE c.id = p.chunk_id AND f.kb = ANY($7::text[]))
     ORDER BY score DESC, p.chunk_id
     LIMIT $6`,
    [[...terms], keepEveryTermBelow, commonTermShare, k1, b, limit, [...scope.kbs]],
  );
  return rows.rows.map((r) => ({ chunkId: r.id, score: r.score }));
}
