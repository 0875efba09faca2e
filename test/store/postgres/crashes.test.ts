// SIGKILL the real `alpaca-rag ingest` into a PostgreSQL store at seeded random moments: after every kill the store
// checks clean (the database is the only truth: no derived file may lag) and holds only whole documents; the run that
// finishes leaves exactly what a clean ingest makes, with the same lexical and vector answers.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ingestFolder } from "../../../src/ingest/pipeline.js";
import { checkStore } from "../../../src/store/check.js";
import { openStore } from "../../../src/store/open.js";
import { lexicalQuery } from "../../../src/store/segment.js";
import { killIngestWhileEmbedding, startCli } from "../../cliProcess.js";
import { cmrcParagraphs, storiesModel, tempDir, testSettings } from "../../helpers.js";
import { cliFlags, seededRandom } from "../../reliability/fixtures.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

const paragraphs = cmrcParagraphs().slice(0, 30);
const queries = paragraphs.filter((_, i) => i % 4 === 0).map((p) => p.qas[0].question);

/** Each file's chunks (text and vector), by path. */
async function contents(url: string): Promise<Map<string, string[]>> {
  const store = await openStore(url);
  try {
    const map = new Map<string, string[]>();
    for await (const { document, files } of store.exportDocuments()) {
      const chunks = document.chunks.map((c) => `${c.text}|${c.vector ? Array.from(c.vector, (v) => v.toFixed(5)).join(",") : "-"}`);
      for (const f of files) map.set(f.path, chunks);
    }
    return new Map([...map].sort(([a], [b]) => (a < b ? -1 : 1)));
  } finally {
    await store.close();
  }
}

/** The lexical top-5 of each query and the exhaustive vector top-10 of a few stored vectors, by path and chunk. */
async function answers(url: string, probes: Float32Array[]): Promise<string[][]> {
  const store = await openStore(url);
  try {
    const keys = async (ids: number[]) => (await store.chunksByIds(ids, { kbs: ["default"] })).map((c) => `${c.paths.join("+")}#${c.index}`);
    const out: string[][] = [];
    for (const q of queries) out.push(await keys((await store.lexicalSearch(lexicalQuery(q), 5, { kbs: ["default"] })).map((h) => h.chunkId)));
    for (const p of probes) out.push(await keys((await store.vectorSearch(p, 10, { kbs: ["default"], ef: 1000 })).map((h) => h.chunkId)));
    return out;
  } finally {
    await store.close();
  }
}

describe("SIGKILL during ingests into PostgreSQL", () => {
  it("killed again and again, then finished, it checks clean and equals a clean ingest", { timeout: 600_000 }, async () => {
    const inbox = tempDir("alpaca-rag-crash-inbox-");
    paragraphs.forEach((p, i) => fs.writeFileSync(path.join(inbox, `p${String(i).padStart(3, "0")}.txt`), p.context));
    const clean = await freshDatabase();
    const summary = await ingestFolder({ settings: testSettings({ store: clean, inbox }), folder: inbox });
    expect(summary.failed).toEqual([]);
    const reference = await contents(clean);
    const probes: Float32Array[] = [];
    {
      const store = await openStore(clean);
      for await (const { document } of store.exportDocuments()) if (probes.length < 4) probes.push(document.chunks[0].vector!);
      await store.close();
    }
    const referenceAnswers = await answers(clean, probes);
    // Kills fall in a tenth of a clean run's work each, so five of them cannot use it all up on a fast machine.
    const windowMs = ((summary.seconds - summary.modelLoadSeconds) * 1000) / 10;

    const url = await freshDatabase();
    const args = ["ingest", inbox, ...cliFlags(url, storiesModel), "--chunk-size", "200", "--chunk-overlap", "32"];
    const random = seededRandom(20261129);
    const kills: number[] = [];
    for (let round = 0; round < 12 && kills.length < 5; round++) {
      const afterMs = Math.round(random() * windowMs);
      const { running, killed } = await killIngestWhileEmbedding(args, afterMs);
      if (killed) kills.push(afterMs);
      expect((await checkStore(url)).problems).toEqual([]);
      for (const [p, chunks] of await contents(url)) expect(chunks, p).toEqual(reference.get(p));
      if (!running) break; // the run finished before the kill: nothing left to interrupt
    }
    console.log(`[reliability] PostgreSQL ingest kills survived: ${kills.length} (${kills.map((ms) => `${ms}ms`).join(", ")}), window ${Math.round(windowMs)} ms`);
    expect(kills.length).toBeGreaterThanOrEqual(5);

    const finish = await startCli([...args, "--json"]).done;
    expect(finish.code, finish.stderr).toBe(0);
    const report = await checkStore(url);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.vectors).toBe(report.chunks);
    expect(await contents(url)).toEqual(reference);
    expect(await answers(url, probes)).toEqual(referenceAnswers);
  });
});
