// Readers during a real ingest (a child process): the test process opens the store again and again while documents
// are added, edited and deleted, and checks that every document it sees is whole (its chunks, their FTS rows and
// vectors all there) and one of its real versions, never a mix; searches return only such documents; a second writer
// is refused by the lock.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { chooseEmbeddingModel, loadEmbedder, resolveEmbedderFile, type Embedder } from "../../src/models/embedder.js";
import { retrieveDetailed } from "../../src/retrieval/hybrid.js";
import { openDatabase } from "../../src/store/sqlite/database.js";
import { StoreLockedError } from "../../src/store/lock.js";
import { databaseFileName, SqliteStore } from "../../src/store/sqlite/store.js";
import { startCli } from "../cliProcess.js";
import { cmrcParagraphs, storiesModel, tempDir, testSettings } from "../helpers.js";
import { cliFlags, storeContents } from "./fixtures.js";

const paragraphs = cmrcParagraphs().slice(100, 160);
const queries = paragraphs.filter((_, i) => i % 8 === 0).map((p) => p.qas[0].question);
const dimension = 64; // stories260K's embedding size, checked below against the store

/** A document's chunk texts as one hash: two versions of a file compare by it. */
const versionOf = (texts: string[]) => crypto.createHash("sha256").update(JSON.stringify(texts)).digest("hex");

interface Observation {
  /** Read-only snapshots taken while the ingest ran. */
  snapshots: number;
  /** Of them, those that caught the store part-way (some but not all of the run's work visible). */
  midway: number;
  documentsChecked: number;
  searches: number;
  resultsChecked: number;
  /** path → every version hash seen for it. */
  seen: Map<string, Set<string>>;
  /** What searches returned: path, chunk index and text, to check against the final versions. */
  results: Array<{ path: string; index: number; text: string }>;
  problems: string[];
}

/**
 * One consistent snapshot through a read-only connection, in one read transaction: every document has exactly
 * documents.chunk_count chunks, each with its FTS row and a vector of the store's dimension.
 */
function inspectSnapshot(storeDir: string, o: Observation): number {
  const db = openDatabase(path.join(storeDir, databaseFileName), { readonly: true });
  try {
    return db.transaction(() => {
      const rows = db
        .prepare(
          `SELECT d.id, d.chunk_count, c.idx, c.text, length(c.vector) AS bytes,
                  EXISTS (SELECT 1 FROM chunks_fts t WHERE t.rowid = c.id) AS fts
           FROM documents d LEFT JOIN chunks c ON c.document_id = d.id ORDER BY d.id, c.idx`,
        )
        .all() as Array<{ id: number; chunk_count: number; idx: number | null; text: string | null; bytes: number | null; fts: number }>;
      const byDocument = new Map<number, { expected: number; texts: string[] }>();
      for (const r of rows) {
        const d = byDocument.get(r.id) ?? { expected: r.chunk_count, texts: [] };
        byDocument.set(r.id, d);
        if (r.idx === null) continue;
        if (r.idx !== d.texts.length) o.problems.push(`document ${r.id}: chunk ${r.idx} out of order`);
        if (!r.fts) o.problems.push(`document ${r.id}: chunk ${r.idx} has no FTS row`);
        if (r.bytes !== dimension * 4) o.problems.push(`document ${r.id}: chunk ${r.idx} has no ${dimension}-dim vector`);
        d.texts.push(r.text!);
      }
      for (const [id, d] of byDocument) {
        if (d.texts.length !== d.expected) o.problems.push(`document ${id}: ${d.texts.length} of ${d.expected} chunks visible`);
        o.documentsChecked += 1;
      }
      for (const [p, id] of db.prepare("SELECT path, document_id FROM files").raw().all() as Array<[string, number]>) {
        const d = byDocument.get(id);
        if (!d) o.problems.push(`${p}: points to missing document ${id}`);
        else o.seen.set(p, (o.seen.get(p) ?? new Set()).add(versionOf(d.texts)));
      }
      return byDocument.size;
    })();
  } finally {
    db.close();
  }
}

/** Searches through an ordinary reader (as `search` and the server open the store); results must be whole documents. */
async function searchDuringIngest(storeDir: string, embedder: Embedder, query: string, o: Observation): Promise<void> {
  const store = SqliteStore.open(storeDir);
  try {
    const result = await retrieveDetailed({ kbs: ["default"], store, embedder, query, k: 5, candidates: 30, weights: { dense: 1, lexical: 1 } });
    o.searches += 1;
    const complete = store.db.prepare("SELECT chunk_count = (SELECT count(*) FROM chunks WHERE document_id = d.id) FROM documents d WHERE d.id = ?").pluck();
    for (const c of result.chunks) {
      const whole = complete.get(c.documentId) as number | undefined;
      // A document replaced since the search ran is gone (undefined); one that is there must be complete.
      if (whole === 0) o.problems.push(`search returned a chunk of incomplete document ${c.documentId}`);
      o.results.push({ path: c.source, index: c.index, text: c.text });
      o.resultsChecked += 1;
    }
  } finally {
    await store.close();
  }
}

/** Runs the real CLI ingest and reads the store the whole time it runs. */
async function observeIngest(storeDir: string, inbox: string, embedder: Embedder, during?: () => Promise<void>): Promise<Observation> {
  const o: Observation = { snapshots: 0, midway: 0, documentsChecked: 0, searches: 0, resultsChecked: 0, seen: new Map(), results: [], problems: [] };
  const run = startCli(["ingest", inbox, ...cliFlags(storeDir, storiesModel), "--chunk-size", "200", "--chunk-overlap", "32", "--json"]);
  let exited = false;
  void run.done.then(() => (exited = true));
  // Until the writer holds the lock and the schema exists, there is nothing to see.
  const ready = () => {
    if (!fs.existsSync(path.join(storeDir, "write.lock"))) return false;
    try {
      const db = openDatabase(path.join(storeDir, databaseFileName), { readonly: true });
      try {
        return db.prepare("SELECT value FROM meta WHERE key = 'embedding'").pluck().get() !== undefined;
      } finally {
        db.close();
      }
    } catch {
      return false;
    }
  };
  while (!exited && !ready()) await new Promise((r) => setTimeout(r, 20));
  let duringDone = false;
  let first: number | null = null;
  for (let i = 0; !exited; i++) {
    const documents = inspectSnapshot(storeDir, o);
    o.snapshots += 1;
    first ??= documents;
    if (documents !== first) o.midway += 1;
    if (i % 3 === 0) await searchDuringIngest(storeDir, embedder, queries[i % queries.length], o);
    if (!duringDone && during && documents !== first) {
      duringDone = true;
      await during();
    }
    // A short pause: the reader must not starve the writer of the machine's CPU.
    await new Promise((r) => setTimeout(r, 15));
  }
  const result = await run.done;
  expect(result.code, result.stderr).toBe(0);
  return o;
}

describe("readers during a real ingest", () => {
  const inbox = tempDir("alpaca-rag-concurrent-inbox-");
  const storeDir = tempDir("alpaca-rag-concurrent-store-");
  let embedder: Embedder;
  let firstVersions: Map<string, string[]>;
  const figures: string[] = [];

  beforeAll(async () => {
    paragraphs.slice(0, 40).forEach((p, i) => fs.writeFileSync(path.join(inbox, `doc-${String(i).padStart(2, "0")}.txt`), p.context));
    const settings = testSettings({ store: storeDir, inbox });
    const choice = await chooseEmbeddingModel(settings);
    if (choice.kind !== "model") throw new Error(choice.reason);
    embedder = await loadEmbedder(settings, choice, await resolveEmbedderFile(settings, choice));
    expect(embedder.dimension).toBe(dimension);
  });

  afterAll(async () => {
    await embedder?.dispose();
    console.log(`[reliability] concurrency: ${figures.join("; ")}`);
  });

  function expectOnlyRealVersions(o: Observation, versions: Array<Map<string, string[]>>, label: string): void {
    expect(o.problems).toEqual([]);
    expect(o.midway, "snapshots that caught the ingest part-way").toBeGreaterThan(5);
    for (const [p, hashes] of o.seen)
      for (const h of hashes) expect(versions.some((v) => v.has(p) && versionOf(v.get(p)!) === h), `${p} seen in a version that never existed`).toBe(true);
    for (const r of o.results)
      expect(versions.some((v) => v.get(r.path)?.[r.index] === r.text), `search result ${r.path}#${r.index}`).toBe(true);
    figures.push(`${label}: ${o.snapshots} snapshots (${o.midway} part-way), ${o.documentsChecked} documents and ${o.searches} searches (${o.resultsChecked} results) checked`);
  }

  it("a first ingest: every document seen is whole, and a second writer is refused meanwhile", { timeout: 180_000 }, async () => {
    let refused: unknown = null;
    const o = await observeIngest(storeDir, inbox, embedder, async () => {
      refused = await ingestFolder({ settings: testSettings({ store: storeDir, inbox }) }).catch((e: unknown) => e);
    });
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as Error).message).toMatch(/is locked: another ingest \(pid \d+/);
    firstVersions = storeContents(storeDir);
    expect(firstVersions.size).toBe(40);
    expectOnlyRealVersions(o, [firstVersions], "first ingest");
  });

  it("a re-ingest after edits, deletions and additions: each document is its old or its new version, never half of one", { timeout: 180_000 }, async () => {
    expect(firstVersions).toBeDefined();
    for (let i = 0; i < 14; i++) fs.appendFileSync(path.join(inbox, `doc-${String(i).padStart(2, "0")}.txt`), `\n\n修订：本文件第${i}次复核后补充了这一段。`);
    for (let i = 14; i < 20; i++) fs.rmSync(path.join(inbox, `doc-${String(i).padStart(2, "0")}.txt`));
    paragraphs.slice(40, 56).forEach((p, i) => fs.writeFileSync(path.join(inbox, `added-${i}.txt`), p.context));
    const o = await observeIngest(storeDir, inbox, embedder);
    const secondVersions = storeContents(storeDir);
    expect(secondVersions.size).toBe(50);
    expectOnlyRealVersions(o, [firstVersions, secondVersions], "re-ingest");
  });
});
