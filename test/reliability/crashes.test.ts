// SIGKILL the real `alpaca-rag ingest` (a child process) at seeded random moments, during a first ingest and during an
// incremental re-ingest after edits, deletions, renames and additions; after every kill the store opens and holds only
// whole documents, and the run that finishes leaves a store that passes `check` and answers exactly as a clean one.
// Both vector indexes go through it: hnswlib float32 (vectors.hnsw) and usearch float16 (vectors.usearch, which cannot
// list its keys, so orphans a kill leaves in it make the next open rebuild it).
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { chooseEmbeddingModel, loadEmbedder, resolveEmbedderFile, type Embedder } from "../../src/models/embedder.js";
import { retrieveDetailed } from "../../src/retrieval/hybrid.js";
import { checkStore } from "../../src/store/check.js";
import { openStore } from "../../src/store/open.js";
import { killIngestWhileEmbedding, startCli } from "../cliProcess.js";
import { cmrcParagraphs, storiesModel, tempDir, testSettings } from "../helpers.js";
import { cliFlags, seededRandom, storeContents } from "./fixtures.js";

const paragraphs = cmrcParagraphs();
const initialCount = 40;
/** Questions whose answers the final store must rank exactly as a clean store does. */
const queries = paragraphs.slice(0, 80).flatMap((p) => p.qas.slice(0, 1).map((q) => q.question)).filter((_, i) => i % 5 === 0);

function writeInitial(inbox: string): void {
  paragraphs.slice(0, initialCount).forEach((p, i) => fs.writeFileSync(path.join(inbox, `p${String(i).padStart(3, "0")}.txt`), p.context));
}

/** Edits 12 files, deletes 6, renames 4 and adds 14: 30 files for the re-ingest to embed or relink. */
function applyChanges(inbox: string): void {
  const file = (i: number) => path.join(inbox, `p${String(i).padStart(3, "0")}.txt`);
  for (let i = 0; i < 12; i++) fs.appendFileSync(file(i), `\n\n补记：第${i}号文件在复查时又补充了一段说明，记录了修订的日期和原因。`);
  for (let i = 12; i < 18; i++) fs.rmSync(file(i));
  for (let i = 18; i < 22; i++) fs.renameSync(file(i), path.join(inbox, `renamed-${i}.txt`));
  paragraphs.slice(initialCount, initialCount + 14).forEach((p, i) => fs.writeFileSync(path.join(inbox, `new-${i}.txt`), p.context));
}

interface SearchRow {
  paths: string[];
  index: number;
  text: string;
  score: string;
}

/**
 * What a user of this store finds for every query: the lexical ranking (BM25, deterministic), and the dense ranking
 * searched exhaustively (ef above the store's size). At the default ef, HNSW is approximate: a graph that went through
 * deletions may rank a rare neighbour differently from a fresh one even without any crash, so that is not compared.
 */
async function answers(storeDir: string, embedder: Embedder): Promise<{ lexical: SearchRow[][]; dense: SearchRow[][] }> {
  const store = await openStore(storeDir);
  try {
    const lexical: SearchRow[][] = [];
    const dense: SearchRow[][] = [];
    for (const query of queries) {
      const result = await retrieveDetailed({ kbs: ["default"], store, embedder, query, k: 5, candidates: 50, weights: { dense: 0, lexical: 1 }, mergeNeighbours: true });
      lexical.push(result.chunks.map((c) => ({ paths: c.paths, index: c.index, text: c.text, score: c.score.toFixed(6) })));
      const hits = await store.vectorSearch(await embedder.embedQuery(query), 20, { kbs: ["default"], ef: ((await store.vectorStatus())?.count ?? 0) + 100 });
      const chunks = new Map((await store.chunksByIds(hits.map((h) => h.chunkId), { kbs: ["default"] })).map((c) => [c.id, c]));
      dense.push(hits.map((h) => ({ paths: chunks.get(h.chunkId)!.paths, index: chunks.get(h.chunkId)!.index, text: chunks.get(h.chunkId)!.text, score: h.similarity.toFixed(5) })));
    }
    return { lexical, dense };
  } finally {
    await store.close();
  }
}

interface Reference {
  contents: Map<string, string[]>;
  answers: Awaited<ReturnType<typeof answers>>;
  /** How long the clean ingest spent on the files (model loading left out): the window kills are drawn from. */
  workMs: number;
}

/** Problems `check` may find right after a kill: only the derived vector file may lag behind SQLite. */
async function sqliteProblems(storeDir: string): Promise<string[]> {
  return (await checkStore(storeDir)).problems.filter((p) => !p.includes("vectors.hnsw") && !p.includes("vectors.usearch"));
}

describe.each(["float32", "float16"] as const)("SIGKILL during real ingests, %s vectors", (vectorPrecision) => {
  const env = { ALPACA_RAG_VECTOR_PRECISION: vectorPrecision };
  const inbox = tempDir("alpaca-rag-crash-inbox-");
  const storeDir = tempDir("alpaca-rag-crash-store-");
  const args = ["ingest", inbox, ...cliFlags(storeDir, storiesModel), "--chunk-size", "200", "--chunk-overlap", "32"];
  const random = seededRandom(20261127);
  let embedder: Embedder;
  let before: Map<string, string[]>;
  const kills: Array<{ phase: string; afterMs: number }> = [];

  beforeAll(async () => {
    const settings = testSettings({ store: tempDir(), inbox });
    const choice = await chooseEmbeddingModel(settings);
    if (choice.kind !== "model") throw new Error(choice.reason);
    embedder = await loadEmbedder(settings, choice, await resolveEmbedderFile(settings, choice));
  });

  afterAll(async () => {
    await embedder?.dispose();
    console.log(`[reliability] kills survived: ${kills.length}, each followed by open + consistency check (${kills.map((k) => `${k.phase}@${k.afterMs}ms`).join(", ")})`);
  });

  /** A clean in-process ingest of the inbox as it is now, into a new store: the reference. */
  async function cleanIngest(): Promise<Reference> {
    const clean = tempDir("alpaca-rag-crash-clean-");
    const summary = await ingestFolder({ settings: testSettings({ store: clean, inbox, vectorPrecision }) });
    expect(summary.failed).toEqual([]);
    return { contents: storeContents(clean), answers: await answers(clean, embedder), workMs: (summary.seconds - summary.modelLoadSeconds) * 1000 };
  }

  /**
   * Starts the ingest, kills it at a seeded moment once it is embedding (a share of `windowMs`, a tenth of a clean run, so
   * five kills cannot use it all up on a fast machine), and checks what the kill left: the store opens,
   * SQLite is consistent, and every document seen is whole, one of the versions in `allowed`. Counts kills that hit a
   * running process; returns false when the run had already finished.
   */
  async function killRound(phase: string, windowMs: number, allowed: Array<Map<string, string[]>>): Promise<boolean> {
    const afterMs = Math.round(random() * windowMs);
    const { killed } = await killIngestWhileEmbedding(args, afterMs, env);
    if (killed) kills.push({ phase, afterMs });
    expect(await sqliteProblems(storeDir)).toEqual([]);
    for (const [p, chunks] of storeContents(storeDir)) expect(allowed.some((v) => JSON.stringify(v.get(p)) === JSON.stringify(chunks)), p).toBe(true);
    return killed;
  }

  async function finishAndCompare(reference: Reference): Promise<void> {
    const result = await startCli([...args, "--json"], env).done;
    expect(result.code, result.stderr).toBe(0);
    const report = await checkStore(storeDir);
    expect(report.problems).toEqual([]);
    expect(fs.readdirSync(storeDir).filter((f) => f.startsWith("vectors."))).toEqual([vectorPrecision === "float16" ? "vectors.usearch" : "vectors.hnsw"]);
    expect(report.ok).toBe(true);
    // No duplicate or orphan chunks: exactly the clean store's chunks, each with one vector.
    expect(storeContents(storeDir)).toEqual(reference.contents);
    // (No two files share content here, so the store's chunks are the sum over paths.)
    expect(report.chunks).toBe([...reference.contents.values()].reduce((n, c) => n + c.length, 0));
    expect(report.vectors).toBe(report.chunks);
    expect(await answers(storeDir, embedder)).toEqual(reference.answers);
  }

  it("first ingest: killed again and again, then finished, it equals a clean ingest", { timeout: 240_000 }, async () => {
    writeInitial(inbox);
    const reference = await cleanIngest();
    expect(reference.contents.size).toBe(initialCount);
    let phaseKills = 0;
    for (let round = 0; round < 8 && phaseKills < 5; round++) if (await killRound("first", reference.workMs / 10, [reference.contents])) phaseKills += 1;
    expect(phaseKills).toBe(5);
    await finishAndCompare(reference);
    before = reference.contents;
  });

  it("incremental re-ingest after edits, deletions, renames and additions: killed, then finished, it equals a clean ingest", { timeout: 240_000 }, async () => {
    expect(before).toBeDefined();
    applyChanges(inbox);
    const reference = await cleanIngest();
    // A document seen mid-run is either its old version (by its old or new name) or its new one, never a mix.
    const renamedBefore = new Map(before);
    for (let i = 18; i < 22; i++) renamedBefore.set(`renamed-${i}.txt`, before.get(`p${String(i).padStart(3, "0")}.txt`)!);
    let phaseKills = 0;
    for (let round = 0; round < 8 && phaseKills < 5; round++) if (await killRound("re-ingest", reference.workMs / 10, [renamedBefore, reference.contents])) phaseKills += 1;
    expect(phaseKills).toBe(5);
    await finishAndCompare(reference);
    expect(kills.length).toBeGreaterThanOrEqual(10);
  });
});
