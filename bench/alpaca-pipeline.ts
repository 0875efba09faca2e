// alpaca-rag's side of the ingest benchmark, run in its own process: a first ingest of the corpus into a fresh store,
// a second ingest of the unchanged folder, and the chunks' tokens (for the raw-limit loop to embed the very same input).
import fs from "node:fs";
import { loadSettings } from "../src/config/load.js";
import { ingestFolder, type IngestSummary } from "../src/ingest/pipeline.js";
import { SqliteStore } from "../src/store/sqlite/store.js";
import { serveChild } from "./lib/measure.js";
import { projectRoot } from "./lib/paths.js";

export interface AlpacaIngestOptions {
  dir: string;
  storeDir: string;
  modelPath: string;
  threads: number;
  chunkSize: number;
  chunkOverlap: number;
}

export interface AlpacaIngestResult {
  first: IngestSummary;
  /** Embedding contexts the first ingest used (from its notice), for the raw loop to run with the same split. */
  embeddingContexts: number;
  second: IngestSummary;
  /** Token ids of every stored chunk, in id order, as the embedder received them (prefix-free). */
  chunkTokens: number[][];
  tokens: number;
}

export async function runAlpacaIngest(opts: AlpacaIngestOptions): Promise<AlpacaIngestResult> {
  fs.rmSync(opts.storeDir, { recursive: true, force: true });
  const settings = loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: {
      store: opts.storeDir,
      inbox: opts.dir,
      threads: opts.threads,
      gpu: false,
      "embedding.model": opts.modelPath,
      "chunk.size": opts.chunkSize,
      "chunk.overlap": opts.chunkOverlap,
    },
  });
  let embeddingContexts = 1;
  const first = await ingestFolder({
    settings,
    onNotice: (m) => {
      const found = /, (\d+) contexts?, /.exec(m);
      if (found) embeddingContexts = Number(found[1]);
    },
  });
  const second = await ingestFolder({ settings });
  if (first.failed.length) throw new Error(`alpaca-rag failed on ${first.failed.map((f) => f.path).join(", ")}`);
  if (second.unchanged !== first.added || second.embedded !== 0) throw new Error("second ingest was not a no-op");
  // Re-tokenize the stored texts with the model's tokenizer, exactly as the chunker counted them.
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: opts.modelPath, vocabOnly: true });
  const store = SqliteStore.open(opts.storeDir, { vectors: false });
  const texts = store.db.prepare("SELECT text FROM chunks ORDER BY id").pluck().all() as string[];
  await store.close();
  const chunkTokens = texts.map((t) => model.tokenize(t, false) as number[]);
  return { first, second, embeddingContexts, chunkTokens, tokens: chunkTokens.reduce((n, t) => n + t.length, 0) };
}

serveChild(import.meta.url, runAlpacaIngest);
