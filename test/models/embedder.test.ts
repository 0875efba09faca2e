// The local embedder's CPU contexts (several chunks evaluated side by side, the threads split between contexts) give
// exactly the vectors one context gives one chunk at a time, and so does a whole ingest that keeps two documents with
// the embedder: checked with stories260K on real chunks of CMRC passages.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { chooseEmbeddingModel, cpuEmbeddingContexts, loadEmbedder, resolveEmbedderFile, type Embedder } from "../../src/models/embedder.js";
import type { Settings } from "../../src/config/schema.js";
import { loadSettings } from "../../src/config/load.js";
import { SqliteStore } from "../../src/store/sqlite/store.js";
import { cmrcParagraphs, projectRoot, storiesModel, tempDir, testSettings, writeFiles } from "../helpers.js";

async function load(settings: Settings): Promise<Embedder> {
  const choice = await chooseEmbeddingModel(settings);
  if (choice.kind !== "model") throw new Error(choice.reason);
  return loadEmbedder(settings, choice, await resolveEmbedderFile(settings, choice));
}

/** The test settings with two llama.cpp threads and no explicit embedding.parallel: the CPU default applies. */
function twoThreadSettings(store: string, inbox?: string): Settings {
  return loadSettings({
    cwd: projectRoot,
    env: {},
    configFile: undefined,
    overrides: { store, inbox, threads: 2, gpu: false, "embedding.model": storiesModel, "chunk.size": 200, "chunk.overlap": 32 },
  });
}

describe("cpuEmbeddingContexts", () => {
  it("gives one context per thread, at most 4, and no more than 1 GiB of contexts holds", () => {
    expect(cpuEmbeddingContexts(1, 1e6)).toBe(1);
    expect(cpuEmbeddingContexts(2, 1e6)).toBe(2);
    expect(cpuEmbeddingContexts(16, 1e6)).toBe(4);
    expect(cpuEmbeddingContexts(16, 400 * 1024 ** 2)).toBe(2);
    expect(cpuEmbeddingContexts(8, 2 * 1024 ** 3)).toBe(1);
  });
});

describe("LlamaEmbedder on CPU", () => {
  const texts = cmrcParagraphs()
    .slice(40, 52)
    .map((p) => p.context);
  let single: Embedder;
  let side: Embedder;

  beforeAll(async () => {
    single = await load(testSettings({ store: tempDir() })); // one thread: one context
    side = await load(twoThreadSettings(tempDir()));
  });
  afterAll(async () => {
    await single?.dispose();
    await side?.dispose();
  });

  it("uses two one-thread contexts for two threads, and one context for one thread", () => {
    expect(single.parallel).toBe(1);
    expect(side.parallel).toBe(2);
    expect(side.threads).toBe(2);
  });

  it("gives the same vectors for chunks embedded side by side as for each alone", { timeout: 120_000 }, async () => {
    // Chunks of varied lengths, cut from real passages with the model's own tokenizer.
    const chunks = texts.flatMap((t) => {
      const tokens = single.tokenizer.tokenize(t);
      return [tokens.slice(0, 200), tokens.slice(0, 37), tokens.slice(50, 170)].filter((c) => c.length > 0);
    });
    expect(chunks.length).toBeGreaterThan(30);
    const alone: Float32Array[] = [];
    for (const c of chunks) alone.push(await single.embedPassageTokens(c));
    const together = await Promise.all(chunks.map((c) => side.embedPassageTokens(c)));
    expect(together).toHaveLength(alone.length);
    for (let i = 0; i < chunks.length; i++) {
      expect(together[i].length).toBe(64);
      let worst = 0;
      for (let j = 0; j < 64; j++) worst = Math.max(worst, Math.abs(together[i][j] - alone[i][j]));
      expect(worst).toBeLessThanOrEqual(1e-6);
    }
    // Not all the same vector: the comparison above compares something.
    expect(new Set(alone.map((v) => v.join(","))).size).toBe(chunks.length);
  });

  it("stores, through a whole ingest, the vectors the embedder gives each chunk alone", { timeout: 180_000 }, async () => {
    const inbox = tempDir();
    const store = tempDir();
    const files: Record<string, string> = {};
    texts.forEach((t, i) => (files[`p${String(i).padStart(2, "0")}.txt`] = t));
    writeFiles(inbox, files);
    const summary = await ingestFolder({ settings: twoThreadSettings(store, inbox) });
    expect(summary).toMatchObject({ added: texts.length, failed: [] });
    expect(summary.embedded).toBe(summary.chunks);

    const db = SqliteStore.open(store, { vectors: false });
    let rows: Array<{ text: string; vector: Buffer; path: string }>;
    try {
      rows = db.db
        .prepare("SELECT c.text, c.vector, f.path FROM chunks c JOIN files f ON f.document_id = c.document_id ORDER BY c.id")
        .all() as typeof rows;
    } finally {
      await db.close();
    }
    expect(rows.length).toBe(summary.chunks);
    for (const row of rows) {
      const stored = new Float32Array(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength / 4);
      const alone = await single.embedPassageTokens(single.tokenizer.tokenize(row.text));
      let worst = 0;
      for (let j = 0; j < alone.length; j++) worst = Math.max(worst, Math.abs(stored[j] - alone[j]));
      expect(worst, `${path.basename(row.path)}: ${row.text.slice(0, 20)}`).toBeLessThanOrEqual(1e-6);
    }
  });
});
