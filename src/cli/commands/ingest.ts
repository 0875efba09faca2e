// `alpaca-rag ingest [DIR]`: make the store follow a folder; exit 0 when every file went in, 2 when some failed.
import type { Command } from "commander";
import { ingestFolder, type IngestOptions, type IngestProgress, type IngestSummary } from "../../ingest/pipeline.js";
import { loadConfiguredEmbedder } from "../../models/embedder.js";
import { openStore, readKbNames } from "../../store/open.js";
import { defaultKb } from "../../store/kb.js";
import { kbsFromFlag, withKbFlag } from "../kbFlags.js";
import type { Settings } from "../../config/schema.js";
import { createProgressView } from "../progress.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface IngestFlags extends CommonFlags {
  kb?: string[];
  json?: boolean;
  reembed?: boolean;
}

async function printHuman(summary: IngestSummary, storeDir: string): Promise<void> {
  const kb = summary.kb;
  const out = process.stdout;
  out.write(
    `\nIndexed ${summary.inbox} into ${summary.store}${summary.kb === defaultKb ? "" : ` (knowledge base ${summary.kb})`} in ${summary.seconds.toFixed(1)} s\n` +
      `  added ${summary.added}, updated ${summary.updated}, unchanged ${summary.unchanged}, removed ${summary.removed}, ` +
      `skipped ${summary.skipped}, failed ${summary.failed.length}; ${summary.chunks} chunks written, ${summary.embedded} embedded\n` +
      `  embedding: ${summary.embedding ?? `none (lexical-only: ${summary.embeddingNote})`}\n`,
  );
  if (summary.ocr.pagesRecognised + summary.ocr.pagesFromCache > 0)
    out.write(`  OCR: ${summary.ocr.pagesRecognised} pages read${summary.ocr.engine ? ` with ${summary.ocr.engine}` : ""}, ${summary.ocr.pagesFromCache} from the cache\n`);
  for (const f of summary.failed) out.write(`  failed  ${f.path}: ${f.reason}\n`);
  for (const s of summary.skippedFiles) out.write(`  skipped ${s}: not a PDF, .txt or .md file\n`);
  for (const d of summary.duplicates) out.write(`  same content as ${d.sameAs}: ${d.path} (stored once, found under both names)\n`);
  const store = await openStore(storeDir, { vectors: false });
  try {
    const files = await store.listFiles({ kbs: [kb] });
    out.write(`\n${kb === defaultKb ? "The store" : `Knowledge base ${kb}`} now holds ${files.length} files:\n`);
    for (const f of files)
      out.write(`  ${f.path}  (${f.kind}${f.pages ? `, ${f.pages} pages` : ""}, ${f.chunks} chunks, document ${f.documentId})\n`);
  } finally {
    await store.close();
  }
}

/** The store's bases other than `done`. */
/**
 * --reembed: empties the whole store, then reads every base again from its folder (`kb` first). With several bases the
 * embedding model is loaded once here (null: lexical-only) so that each base's ingest does not load it again.
 */
async function reembedEveryBase(settings: Settings, kb: string, folder: string | undefined, base: IngestOptions & { signal: AbortSignal }): Promise<IngestSummary> {
  const others = (await readKbNames(settings)).filter((name) => name !== kb);
  const embedder = others.length > 0 ? await loadConfiguredEmbedder(settings, { signal: base.signal }) : undefined;
  if (embedder) base.onNotice?.(`embedding every knowledge base with ${embedder.identity.name} (${embedder.dimension}-dim, ${embedder.threads} threads)`);
  try {
    const summary = await ingestFolder({ ...base, settings, kb, folder, reembed: true, embedder });
    for (const other of others) {
      if (summary.interrupted || base.signal.aborted) break;
      const s = await ingestFolder({ settings, kb: other, signal: base.signal, onNotice: base.onNotice, embedder });
      base.onNotice?.(`knowledge base ${other}: ${s.added} files ingested again, ${s.chunks} chunks, ${s.failed.length} failed`);
    }
    return summary;
  } finally {
    await embedder?.dispose();
  }
}

export function registerIngestCommand(program: Command): void {
  withKbFlag(
    withSettingsFlags(
      program
        .command("ingest")
        .argument("[dir]", "folder of documents (default: the knowledge base's inbox folder: the inbox setting, ./ingest, for the default base, ./ingest/NAME for base NAME)")
        .description("index a folder of PDFs, .txt and .md files; re-runs add, update and remove only what changed"),
    ),
    false,
  )
    .option("--json", "print one JSON summary on stdout")
    .option("--reembed", "drop all vectors and chunks and rebuild with the configured embedding model (every knowledge base is ingested again)")
    .option("--chunk-size <tokens>", "chunk size in tokens (settings key: chunk.size)")
    .option("--chunk-overlap <tokens>", "chunk overlap in tokens (settings key: chunk.overlap)")
    .action(async (dir: string | undefined, flags: IngestFlags) => {
      const settings = settingsFromFlags(flags);
      const abort = new AbortController();
      const onSignal = () => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write("\nstopping after the files in progress (press Ctrl-C again to quit at once)\n");
        abort.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const view = flags.json ? null : createProgressView();
      let summary: IngestSummary;
      const onNotice = flags.json ? undefined : (m: string) => process.stderr.write(`${m}\n`);
      try {
        const kb = (await kbsFromFlag(settings, flags.kb, false))[0];
        const run = { settings, signal: abort.signal, onProgress: view ? (p: IngestProgress) => view.update(p) : undefined, onNotice };
        // --reembed empties the whole store: the other bases are read again from their folders, so none is left empty.
        summary = flags.reembed ? await reembedEveryBase(settings, kb, dir, run) : await ingestFolder({ ...run, kb, folder: dir });
      } finally {
        view?.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else await printHuman(summary, settings.store);
      process.exitCode = summary.interrupted ? 130 : summary.failed.length > 0 ? 2 : 0;
    });
}
