// `alpaca-rag check` on the embedded store: verifies, without changing anything, that SQLite, FTS and the vector
// file agree.
import fs from "node:fs";
import path from "node:path";
import type { CheckReport } from "../contract.js";
import { blobToVector } from "./documents.js";
import { verifyPackedPostings } from "./packedPostings.js";
import { databaseFileName, SqliteStore } from "./store.js";
import { sampleIds as sample } from "./vectorIndex.js";
import { vectorIndexKinds } from "./vectorIndexKinds.js";
import { storedPrecision } from "./vectors.js";

export async function checkSqliteStore(dir: string): Promise<CheckReport> {
  const absolute = path.resolve(dir);
  if (!fs.existsSync(path.join(absolute, databaseFileName)))
    return { ok: false, documents: 0, files: 0, chunks: 0, vectors: 0, embedding: "-", problems: [`${absolute} holds no store (${databaseFileName} missing)`] };
  // Open as a reader: no lock, and the vector file on disk is inspected as it is, not as reconcile would repair it.
  const store = SqliteStore.open(absolute, { vectors: false });
  const db = store.db;
  const problems: string[] = [];
  const ids = (sql: string) => db.prepare(sql).pluck().all() as number[];
  try {
    const identity = await store.embedding();
    const integrity = db.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") problems.push(`SQLite integrity check: ${String(integrity)}`);
    const ftsIntegrity = (() => {
      try {
        db.prepare("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')").run();
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    })();
    if (ftsIntegrity) problems.push(`FTS integrity check: ${ftsIntegrity}`);

    const noTerms = ids("SELECT c.id FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM chunks_fts f WHERE f.rowid = c.id)");
    if (noTerms.length) problems.push(`chunks without an FTS row: ${sample(noTerms)}`);
    const orphanTerms = ids("SELECT f.rowid FROM chunks_fts f WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = f.rowid)");
    if (orphanTerms.length) problems.push(`FTS rows without a chunk: ${sample(orphanTerms)}`);
    problems.push(...verifyPackedPostings(db));
    const unusedDocuments = ids("SELECT d.id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.document_id = d.id)");
    if (unusedDocuments.length) problems.push(`documents no file points to: ${sample(unusedDocuments)}`);
    const danglingFiles = db.prepare("SELECT f.path FROM files f WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = f.document_id)").pluck().all() as string[];
    if (danglingFiles.length) problems.push(`files pointing to missing documents: ${danglingFiles.slice(0, 10).join(", ")}`);
    const miscounted = ids("SELECT d.id FROM documents d WHERE d.chunk_count != (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)");
    if (miscounted.length) problems.push(`documents whose chunks are incomplete or duplicated: ${sample(miscounted)}`);
    const orphanChunks = ids("SELECT c.id FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)");
    if (orphanChunks.length) problems.push(`chunks without a document: ${sample(orphanChunks)}`);
    const duplicateContent = ids("SELECT count(*) - count(DISTINCT sha256) FROM documents")[0];
    if (duplicateContent) problems.push(`${duplicateContent} documents stored twice`);

    let vectors = 0;
    if (identity) {
      const wrongSize = ids(`SELECT id FROM chunks WHERE vector IS NULL OR length(vector) != ${identity.dimension * 4}`);
      if (wrongSize.length) problems.push(`chunks without a vector of dimension ${identity.dimension}: ${sample(wrongSize)}`);
      const live = new Set(ids("SELECT id FROM chunks WHERE vector IS NOT NULL"));
      const precision = storedPrecision(db);
      const kind = vectorIndexKinds[precision];
      const file = path.join(absolute, kind.fileName);
      if (!fs.existsSync(file)) {
        if (live.size) problems.push(`${kind.fileName} is missing but ${live.size} chunks have vectors`);
      } else {
        const getVector = db.prepare("SELECT vector FROM chunks WHERE id = ?").pluck();
        const found = kind.check(file, identity.dimension, live, (id) => blobToVector(getVector.get(id) as Buffer));
        problems.push(...found.problems);
        vectors = found.vectors;
      }
    } else {
      const stray = ids("SELECT count(*) FROM chunks WHERE vector IS NOT NULL")[0];
      if (stray) problems.push(`${stray} chunks have vectors in a lexical-only store`);
    }
    return {
      ok: problems.length === 0,
      documents: await store.count("documents"),
      files: await store.count("files"),
      chunks: await store.count("chunks"),
      vectors,
      embedding: identity === undefined ? "not set" : identity === null ? "none (lexical-only)" : `${identity.name} (${identity.dimension})`,
      problems,
    };
  } finally {
    store.closeSync();
  }
}
