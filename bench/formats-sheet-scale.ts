// One large workbook through alpaca-rag's .xlsx loader and chunker, in its own process so that its peak RSS is the
// loader's own: seconds to load (stream the sheet XML into row text and marks), seconds to chunk (the splitter over
// the whole sheet's text, EstimatingTokenizer as in a lexical-only ingest), and the process's peak resident memory.
import { chunkDocument } from "../src/ingest/chunk.js";
import { loadDocument } from "../src/ingest/loaders/index.js";
import { EstimatingTokenizer } from "../src/models/tokenizer.js";
import { serveChild } from "./lib/measure.js";

export interface SheetScaleOptions {
  file: string;
}

export interface SheetScaleResult {
  rows: number;
  textChars: number;
  chunks: number;
  loadSeconds: number;
  chunkSeconds: number;
  /** Resident memory before loading (Node, tsx and the loaders' modules), in bytes. */
  baseRssBytes: number;
}

export async function measureSheet(opts: SheetScaleOptions): Promise<SheetScaleResult> {
  const baseRssBytes = process.memoryUsage().rss;
  let started = performance.now();
  const doc = await loadDocument(opts.file);
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const chunks = chunkDocument(doc, { tokenizer: new EstimatingTokenizer(), chunkSize: 384, chunkOverlap: 64 });
  const chunkSeconds = (performance.now() - started) / 1000;
  return { rows: doc.locations?.length ?? 0, textChars: doc.text.length, chunks: chunks.length, loadSeconds, chunkSeconds, baseRssBytes };
}

serveChild(import.meta.url, measureSheet);
