// What one ingest run takes and gives back: its options, the progress it reports while it runs, the summary it ends
// with (what `ingest --json`, the server's ingest endpoints and the watcher's status show), and its fatal error.
import type { Settings } from "../config/schema.js";
import type { Embedder } from "../models/embedder.js";

export class IngestFatalError extends Error {
  override name = "IngestFatalError";
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  chunksDone: number;
  chunksPerSecond: number;
  /** Seconds left, estimated from the bytes still to process; null until there is a rate. */
  etaSeconds: number | null;
  currentFile: string | null;
  /** Pages read through OCR (or found in its cache) so far, and pages known to need it, in this run. */
  ocrPagesDone: number;
  ocrPagesTotal: number;
}

export interface IngestSummary {
  store: string;
  /** The knowledge base ingested. */
  kb: string;
  inbox: string;
  /** Embedding model file name, or null for a lexical-only store. */
  embedding: string | null;
  /** Why there is no embedding model, when there is none. */
  embeddingNote: string | null;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: number;
  skippedFiles: string[];
  failed: Array<{ path: string; reason: string }>;
  /** Files whose bytes equal another file's: stored once, searchable under every name. */
  duplicates: Array<{ path: string; sameAs: string }>;
  /** Chunks written in this run. */
  chunks: number;
  /** Chunks embedded in this run. */
  embedded: number;
  seconds: number;
  /** Part of `seconds` spent loading the embedding model (0 when nothing needed it). */
  modelLoadSeconds: number;
  /** Repairs made when the store was opened (after a crash). */
  recovered: { vectorsRestored: number; orphansRemoved: number } | null;
  /** True when a signal stopped the run early (the store is consistent; re-run to finish). */
  interrupted: boolean;
  /** OCR in this run: the engine that read pages (null: none was needed or none could run), pages it read, pages the cache had. */
  ocr: { engine: string | null; pagesRecognised: number; pagesFromCache: number };
}

export interface IngestOptions {
  settings: Settings;
  /** The knowledge base to ingest into (it must exist). Default "default". */
  kb?: string;
  /** Folder to follow; default the base's folder of settings.inbox (the inbox itself for "default", else <inbox>/<kb>). */
  folder?: string;
  /** Drop every vector and chunk and rebuild with the configured embedding model. */
  reembed?: boolean;
  onProgress?: (progress: IngestProgress) => void;
  /** Notes for a person (model loaded, store repaired, …). */
  onNotice?: (message: string) => void;
  /** Stops after the file in progress; the store stays consistent. */
  signal?: AbortSignal;
  /** Use an already loaded embedder (the server keeps one); it must match the settings. */
  embedder?: Embedder | null;
}
