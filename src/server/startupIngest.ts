// Brings the store up to date with the inbox before the server answers: a new store is ingested (or, with an empty
// inbox, told which embedding model it will use) before the engine opens it; an existing one is ingested with the
// engine's embedder, so the model is loaded once.
import type { Settings } from "../config/schema.js";
import { ingestFolder, type IngestSummary } from "../ingest/pipeline.js";
import { loadConfiguredEmbedder } from "../models/embedder.js";
import type { QaEngine } from "../qa/engine.js";
import { StoreLockedError } from "../store/lock.js";
import { defaultKb } from "../store/kb.js";
import { openStore, readKbNames } from "../store/open.js";

/** A store with no embedding decision yet has never been ingested into: the engine cannot open it. */
export async function storeIsUndecided(settings: Settings): Promise<boolean> {
  const store = await openStore(settings, { vectors: false });
  try {
    return (await store.embedding()) === undefined;
  } finally {
    await store.close();
  }
}

/**
 * Ties a new, empty store to the configured embedding model (or to none), as its first ingest would, so the server
 * can start with an empty inbox and still embed what is uploaded later. Loads the model once to learn its identity.
 */
export async function decideEmbedding(settings: Settings, options: { download?: boolean } = {}): Promise<void> {
  const store = await openStore(settings, { write: true, purpose: "serve" });
  try {
    if ((await store.embedding()) !== undefined) return;
    const embedder = await loadConfiguredEmbedder(settings, options);
    if (!embedder) {
      await store.bindEmbedding(null);
      return;
    }
    try {
      await store.bindEmbedding(embedder.identity);
    } finally {
      await embedder.dispose();
    }
  } finally {
    await store.close();
  }
}

export interface StartupIngestOptions {
  /** The opened engine, whose embedder the ingest uses; null before the engine opens (a new store). */
  engine: QaEngine | null;
  onNotice: (message: string) => void;
}

/** The store's bases, the default one first. */
async function kbNames(settings: Settings): Promise<string[]> {
  const names = await readKbNames(settings);
  return [defaultKb, ...names.filter((n) => n !== defaultKb)];
}

/**
 * Ingests every base's inbox folder, the default one first (only changed files do any work); one summary per base.
 * Another process's ingest in progress is noted, not fatal.
 */
export async function startupIngest(settings: Settings, options: StartupIngestOptions): Promise<IngestSummary[] | null> {
  const { engine } = options;
  try {
    const summaries: IngestSummary[] = [];
    for (const kb of await kbNames(settings))
      summaries.push(await ingestFolder({ settings, kb, embedder: engine ? engine.embedder : undefined, onNotice: options.onNotice }));
    await engine?.store.refreshVectors();
    return summaries;
  } catch (e) {
    // Serve what the store holds now; POST /v1/ingest catches up later.
    if (e instanceof StoreLockedError && engine) {
      options.onNotice(`start-up ingest skipped: ${e.message}`);
      return null;
    }
    throw e;
  }
}
