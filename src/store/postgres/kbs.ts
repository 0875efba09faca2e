// The PostgreSQL store's knowledge bases: listing them with their counts, creating, renaming (files follow by
// ON UPDATE CASCADE) and deleting them with their files and the documents only those files used. The names, their
// rules and the errors are shared with the embedded store (kb.ts); every write here runs inside a transaction the
// caller opened (store.ts), so a base goes whole or not at all.
import type pg from "pg";
import type { KnowledgeBase } from "../contract.js";
import { assertKbName, defaultKb, KbExistsError, KbNameError, UnknownKbError } from "../kb.js";

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

export async function hasKb(db: Queryable, name: string): Promise<boolean> {
  return ((await db.query("SELECT 1 FROM knowledge_bases WHERE name = $1", [name])).rowCount ?? 0) > 0;
}

/** Throws UnknownKbError unless the base exists; `lock` holds its row until the transaction ends (a commit into it). */
export async function requireKb(db: Queryable, name: string, lock = false): Promise<void> {
  const found = await db.query(`SELECT 1 FROM knowledge_bases WHERE name = $1${lock ? " FOR SHARE" : ""}`, [name]);
  if (found.rowCount === 0) throw new UnknownKbError(name);
}

/** True when `kbs` names every base the store has: a search then needs no filter (as the embedded store decides). */
export function coversEveryKbSql(param: string): string {
  return `(SELECT bool_and(k.name = ANY(${param}::text[])) FROM knowledge_bases k)`;
}

export async function listKbs(db: Queryable): Promise<KnowledgeBase[]> {
  // Counts in one pass over files; a document shared by two bases counts in both.
  const result = await db.query<{ name: string; created_at: string; files: number; documents: number; chunks: number }>(
    `SELECT k.name, k.created_at,
            count(f.path) AS files,
            count(DISTINCT f.document_id) AS documents,
            coalesce((SELECT sum(d.chunk_count) FROM documents d
                      WHERE d.id IN (SELECT g.document_id FROM files g WHERE g.kb = k.name)), 0)::bigint AS chunks
     FROM knowledge_bases k LEFT JOIN files f ON f.kb = k.name
     GROUP BY k.name, k.created_at ORDER BY k.name`,
  );
  return result.rows.map((r) => ({ name: r.name, createdAt: r.created_at, files: r.files, documents: r.documents, chunks: r.chunks }));
}

export async function kbNames(db: Queryable): Promise<string[]> {
  return (await db.query<{ name: string }>("SELECT name FROM knowledge_bases ORDER BY name")).rows.map((r) => r.name);
}

export async function createKb(client: Queryable, name: string): Promise<void> {
  assertKbName(name);
  const inserted = await client.query("INSERT INTO knowledge_bases(name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [
    name,
    new Date().toISOString(),
  ]);
  if (inserted.rowCount === 0) throw new KbExistsError(name);
}

export async function renameKb(client: Queryable, from: string, to: string): Promise<void> {
  await requireKb(client, from);
  if (from === defaultKb) throw new KbNameError(`the "${defaultKb}" knowledge base cannot be renamed`);
  assertKbName(to);
  if (await hasKb(client, to)) throw new KbExistsError(to);
  await client.query("UPDATE knowledge_bases SET name = $1 WHERE name = $2", [to, from]);
}

/**
 * Deletes a base and its files; returns the documents those files pointed to (the caller collects the ones no other
 * file uses, in the same transaction).
 */
export async function deleteKbFiles(client: Queryable, name: string): Promise<number[]> {
  await requireKb(client, name);
  if (name === defaultKb) throw new KbNameError(`the "${defaultKb}" knowledge base cannot be deleted`);
  const deleted = await client.query<{ document_id: number }>("DELETE FROM files WHERE kb = $1 RETURNING document_id", [name]);
  await client.query("DELETE FROM knowledge_bases WHERE name = $1", [name]);
  return deleted.rows.map((r) => r.document_id);
}
