// alpaca-rag's side of the formats benchmark, run in its own process: every file of a folder read by loadDocument
// (the loader its extension is registered with; an extension with no loader yet is reported as unsupported), timed,
// then the folder ingested lexical-only (embedding.model "none": the comparison is about extraction, not embeddings).
// The same script ingests the plain-text reference and LangChain's extracted text, so all three share one retriever.
import fs from "node:fs";
import path from "node:path";
import { loadSettings } from "../src/config/load.js";
import { DocumentLoadError, isSupportedFile, loadDocument } from "../src/ingest/loaders/index.js";
import { ocrServiceFor } from "../src/ingest/ocr/service.js";
import { ingestFolder } from "../src/ingest/pipeline.js";
import type { ExtractedFile } from "./formats-langchain.js";
import { serveChild } from "./lib/measure.js";
import { projectRoot } from "./lib/paths.js";

export interface FormatsAlpacaOptions {
  dir: string;
  storeDir: string;
}

export interface FormatsAlpacaResult {
  files: ExtractedFile[];
  chunks: number;
  ingestSeconds: number;
}

export async function ingestFormats(opts: FormatsAlpacaOptions): Promise<FormatsAlpacaResult> {
  const files: ExtractedFile[] = [];
  fs.rmSync(opts.storeDir, { recursive: true, force: true });
  fs.mkdirSync(opts.storeDir, { recursive: true });
  const settings = loadSettings({ cwd: projectRoot, env: {}, overrides: { store: opts.storeDir, inbox: opts.dir, threads: 2, gpu: false, "embedding.model": "none" } });
  // Scanned pages are read here, timed, and cached in the store's OCR cache, so the ingest below reads them from it.
  const ocr = ocrServiceFor(settings, opts.storeDir, () => {});
  for (const name of fs.readdirSync(opts.dir).sort()) {
    const file = path.join(opts.dir, name);
    if (!isSupportedFile(file)) {
      files.push({ file: name, status: "unsupported", reason: `no loader for ${path.extname(name)} yet`, seconds: 0, chars: 0 });
      continue;
    }
    const started = performance.now();
    try {
      const doc = await loadDocument(file, undefined, { ocr: ocr ?? undefined });
      files.push({ file: name, status: "read", seconds: (performance.now() - started) / 1000, chars: doc.text.length });
    } catch (error) {
      if (!(error instanceof DocumentLoadError)) throw error;
      files.push({ file: name, status: "failed", reason: error.message, seconds: (performance.now() - started) / 1000, chars: 0 });
    }
  }
  await ocr?.close();
  const summary = await ingestFolder({ settings });
  return { files, chunks: summary.chunks, ingestSeconds: summary.seconds };
}

serveChild(import.meta.url, ingestFormats);
