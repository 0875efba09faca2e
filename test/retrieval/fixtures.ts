// A store built by a real ingest of the given files with stories260K, opened for reading with the same embedder:
// the setting every retrieval test starts from.
import path from "node:path";
import { ingestFolder, type IngestSummary } from "../../src/ingest/pipeline.js";
import type { Settings } from "../../src/config/schema.js";
import { chooseEmbeddingModel, loadEmbedder, type Embedder } from "../../src/models/embedder.js";
import type { DocumentStore } from "../../src/store/contract.js";
import { openStore } from "../../src/store/open.js";
import { tempDir, testSettings, writeFiles } from "../helpers.js";

export interface IngestedStore {
  dir: string;
  inbox: string;
  settings: Settings;
  summary: IngestSummary;
  store: DocumentStore;
  embedder: Embedder;
  close(): Promise<void>;
}

export async function ingestedStore(files: Record<string, string | Buffer>): Promise<IngestedStore> {
  const dir = tempDir();
  const inbox = path.join(dir, "inbox");
  writeFiles(inbox, files);
  const settings = testSettings({ store: path.join(dir, "store"), inbox });
  const summary = await ingestFolder({ settings });
  const choice = await chooseEmbeddingModel(settings);
  if (choice.kind !== "model") throw new Error(choice.reason);
  const embedder = await loadEmbedder(settings, choice);
  const store = await openStore(settings.store);
  return {
    dir,
    inbox,
    settings,
    summary,
    store,
    embedder,
    async close() {
      await store.close();
      await embedder.dispose();
    },
  };
}
