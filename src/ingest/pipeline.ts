// `ingest`: makes the store follow the inbox. Files are hashed, loaded, chunked and segmented ahead of the embedder
// (a bounded queue), so the model never waits for parsing or storage; each file is committed in one transaction.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { chooseEmbeddingModel, loadEmbedder, resolveEmbedderFile, type Embedder } from "../models/embedder.js";
import { EstimatingTokenizer, type TextTokenizer } from "../models/tokenizer.js";
import { segmentForIndex } from "../store/segment.js";
import type { NewChunk, NewDocument } from "../store/contract.js";
import { defaultKb, UnknownKbError } from "../store/kb.js";
import { openStore } from "../store/open.js";
import { ensureKbFolder, kbFolder, otherKbFolders } from "./kbFolders.js";
import { chunkDocument } from "./chunk.js";
import { DocumentLoadError, loadDocument, supportedExtensions } from "./loaders/index.js";
import { ocrServiceFor } from "./ocr/service.js";
import { scanFolder, type ScannedFile } from "./scan.js";
import { IngestFatalError, type IngestOptions, type IngestSummary } from "./ingestRun.js";
import type { ChunkDraft } from "./types.js";

export { IngestFatalError, type IngestOptions, type IngestProgress, type IngestSummary } from "./ingestRun.js";

type Job =
  | { kind: "document"; file: ScannedFile; status: "added" | "updated"; document: Omit<NewDocument, "chunks">; drafts: ChunkDraft[]; terms: string[] }
  | { kind: "link"; file: ScannedFile; status: "added" | "updated"; sha256: string }
  | { kind: "failed"; file: ScannedFile; reason: string };

/** Prepared work waiting for the embedder is capped, so memory stays bounded on huge folders. */
const maxQueuedChunks = 4096;
const vectorSaveIntervalMs = 30_000;

function sha256(bytes: Buffer): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

export async function ingestFolder(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const { settings } = options;
  const kb = options.kb ?? defaultKb;
  const notice = options.onNotice ?? (() => {});

  const store = await openStore(settings, { write: true, purpose: "ingest" });
  let kbNames: string[];
  let inbox: string;
  try {
    kbNames = await store.kbNames();
    if (!kbNames.includes(kb)) throw new UnknownKbError(kb);
    if (options.folder === undefined && kb !== defaultKb && fs.existsSync(settings.inbox)) ensureKbFolder(settings.inbox, kb);
    inbox = path.resolve(options.folder ?? kbFolder(settings.inbox, kb));
    if (!fs.existsSync(inbox)) throw new IngestFatalError(`inbox folder ${inbox} does not exist`);
    if (!fs.statSync(inbox).isDirectory()) throw new IngestFatalError(`${inbox} is not a folder`);
  } catch (e) {
    await store.close();
    throw e;
  }
  let ownedEmbedder = null as Embedder | null;
  let ocrPages = { done: 0, total: 0 };
  let onOcrProgress = () => {};
  // Images and pages without a text layer go through OCR; the engine's worker processes start at the first such page.
  // Its page cache is a file in the embedded store's folder (contract.ts says where a server store keeps it).
  const ocr = ocrServiceFor(settings, store.location, (done, total) => {
    ocrPages = { done, total };
    onOcrProgress();
  });
  try {
    const repair = store.reconcileReport;
    if (repair && (repair.restored || repair.orphansRemoved || repair.problem))
      notice(`store repaired: ${repair.restored} vectors restored, ${repair.orphansRemoved} orphans removed${repair.problem ? ` (${repair.problem})` : ""}`);
    if (options.reembed) await store.reset();

    // The model is found and checked against the store first, but loaded only when a file needs chunking:
    // a re-run over an unchanged folder never pays for loading it.
    let embedder: Embedder | null = options.embedder ?? null;
    let modelLoadSeconds = 0;
    let embeddingNote: string | null = null;
    let loadEmbedding: (() => Promise<Embedder>) | null = null;
    if (options.embedder === undefined) {
      const choice = await chooseEmbeddingModel(settings);
      if (choice.kind === "none") {
        embeddingNote = choice.reason;
        notice(`lexical-only index: ${choice.reason}`);
        await store.assertEmbedding(null);
        await store.bindEmbedding(null);
      } else {
        const file = await resolveEmbedderFile(settings, choice, { signal: options.signal });
        await store.assertEmbedding(file);
        loadEmbedding = async () => {
          const loadStarted = performance.now();
          const loaded = await loadEmbedder(settings, choice, file);
          modelLoadSeconds = (performance.now() - loadStarted) / 1000;
          notice(`embedding with ${loaded.identity.name} (${loaded.dimension}-dim, ${loaded.threads} threads, ${loaded.parallel} ${loaded.parallel === 1 ? "context" : "contexts"}, ${loaded.gpu || "CPU"})`);
          return loaded;
        };
      }
    } else await store.bindEmbedding(embedder ? embedder.identity : null);

    let tokenizer: TextTokenizer = new EstimatingTokenizer();
    let chunkSize = settings.chunk.size;
    let chunkOverlap = Math.min(settings.chunk.overlap, Math.floor(chunkSize / 2));
    const useEmbedder = async (e: Embedder) => {
      embedder = e;
      await store.bindEmbedding(e.identity);
      tokenizer = e.tokenizer;
      chunkSize = Math.min(settings.chunk.size, e.maxPassageTokens);
      chunkOverlap = Math.min(settings.chunk.overlap, Math.floor(chunkSize / 2));
    };
    if (embedder) await useEmbedder(embedder);
    let embedderLoading: Promise<void> | null = null;
    const ensureEmbedder = (): Promise<void> => {
      if (!loadEmbedding || embedder) return Promise.resolve();
      embedderLoading ??= loadEmbedding().then((e) => {
        ownedEmbedder = e;
        return useEmbedder(e);
      });
      return embedderLoading;
    };

    // The default base's folder is the inbox root, which holds the other bases' folders: those are theirs.
    const scan = scanFolder(inbox, supportedExtensions, options.folder === undefined ? otherKbFolders(kb, kbNames) : new Set());
    const summary: IngestSummary = {
      store: store.location,
      kb,
      inbox,
      embedding: null,
      embeddingNote,
      added: 0,
      updated: 0,
      unchanged: 0,
      removed: 0,
      skipped: scan.skipped.length,
      skippedFiles: scan.skipped,
      failed: [...scan.failed],
      duplicates: [],
      chunks: 0,
      embedded: 0,
      seconds: 0,
      modelLoadSeconds: 0,
      recovered: repair && (repair.restored || repair.orphansRemoved) ? { vectorsRestored: repair.restored, orphansRemoved: repair.orphansRemoved } : null,
      interrupted: false,
      ocr: { engine: null, pagesRecognised: 0, pagesFromCache: 0 },
    };

    const known = await store.files(kb);
    // Unchanged files whose size or mtime moved: noted in one write at the end, not one per file.
    const touched: Array<{ path: string; size: number; mtimeMs: number }> = [];
    const totalBytes = scan.files.reduce((n, f) => n + f.size, 0) || 1;
    let bytesDone = 0;
    let filesDone = 0;
    let lastSave = Date.now();
    const embedStart = performance.now();
    const report = (currentFile: string | null) => {
      if (!options.onProgress) return;
      const elapsed = (performance.now() - embedStart) / 1000;
      const rate = elapsed > 0 ? summary.embedded / elapsed : 0;
      const byteRate = elapsed > 0 ? bytesDone / elapsed : 0;
      options.onProgress({
        filesDone,
        filesTotal: scan.files.length,
        chunksDone: summary.chunks,
        chunksPerSecond: rate,
        etaSeconds: byteRate > 0 ? (totalBytes - bytesDone) / byteRate : null,
        currentFile,
        ocrPagesDone: ocrPages.done,
        ocrPagesTotal: ocrPages.total,
      });
    };
    report(null);
    let loadingFile: string | null = null;
    onOcrProgress = () => report(loadingFile);

    // Producer: hash, classify, load, chunk and segment, staying ahead of the embedder.
    const queue: Job[] = [];
    let queuedChunks = 0;
    let producerDone = false;
    let wakeConsumer: (() => void) | null = null;
    let wakeProducer: (() => void) | null = null;
    const firstPathBySha = new Map<string, string>();
    const failedSha = new Map<string, string>();

    const push = async (job: Job) => {
      queue.push(job);
      if (job.kind === "document") queuedChunks += job.drafts.length;
      wakeConsumer?.();
      while (queuedChunks > maxQueuedChunks && !options.signal?.aborted) await new Promise<void>((r) => (wakeProducer = r));
    };

    // A stop request must also free a producer waiting for queue space. The listener goes when the run ends: a
    // server's one shutdown signal outlives many ingests (the inbox watcher starts them), and must not keep them all.
    const freeProducer = () => {
      const wake = wakeProducer;
      wakeProducer = null;
      wake?.();
    };
    options.signal?.addEventListener("abort", freeProducer);

    const produce = async () => {
      try {
        for (const file of scan.files) {
          if (options.signal?.aborted) break;
          let bytes: Buffer;
          try {
            bytes = await fs.promises.readFile(file.absolutePath);
          } catch (e) {
            await push({ kind: "failed", file, reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
            continue;
          }
          const digest = sha256(bytes);
          const previous = known.get(file.relativePath);
          if (previous && previous.sha256 === digest) {
            summary.unchanged += 1;
            if (previous.size !== file.size || previous.mtimeMs !== file.mtimeMs)
              touched.push({ path: file.relativePath, size: file.size, mtimeMs: file.mtimeMs });
            filesDone += 1;
            bytesDone += file.size;
            continue;
          }
          const status = previous ? "updated" : "added";
          const failedBefore = failedSha.get(digest);
          if (failedBefore) {
            await push({ kind: "failed", file, reason: failedBefore });
            continue;
          }
          const sameAs = firstPathBySha.get(digest);
          if (sameAs !== undefined || (await store.documentIdForSha(digest)) !== undefined) {
            await push({ kind: "link", file, status, sha256: digest });
            continue;
          }
          firstPathBySha.set(digest, file.relativePath);
          await ensureEmbedder();
          try {
            loadingFile = file.relativePath;
            const loaded = await loadDocument(file.absolutePath, bytes, { sha256: digest, ocr: ocr ?? undefined, signal: options.signal });
            const drafts = chunkDocument(loaded, { tokenizer, chunkSize, chunkOverlap });
            if (drafts.length === 0) throw new DocumentLoadError("empty", { detail: "no text to index" });
            const terms = drafts.map((d: ChunkDraft) => segmentForIndex(d.section ? `${d.section}\n${d.text}` : d.text));
            await push({
              kind: "document",
              file,
              status,
              drafts,
              terms,
              document: {
                sha256: digest,
                kind: loaded.kind,
                bytes: bytes.length,
                pages: loaded.pageStarts.length || null,
                encoding: loaded.encoding ?? null,
                text: loaded.text,
                pageStarts: loaded.pageStarts,
              },
            });
          } catch (e) {
            const reason = e instanceof DocumentLoadError ? e.message : `could not be read: ${(e as Error).message}`;
            failedSha.set(digest, reason);
            await push({ kind: "failed", file, reason });
          }
        }
      } finally {
        producerDone = true;
        wakeConsumer?.();
      }
    };

    const nextJob = async (): Promise<Job | null> => {
      while (queue.length === 0) {
        if (producerDone) return null;
        await new Promise<void>((r) => (wakeConsumer = r));
        wakeConsumer = null;
      }
      const job = queue.shift()!;
      if (job.kind === "document") queuedChunks -= job.drafts.length;
      if (queuedChunks <= maxQueuedChunks && wakeProducer) {
        const wake = wakeProducer;
        wakeProducer = null;
        wake();
      }
      return job;
    };

    const embedDrafts = (drafts: ChunkDraft[]): Promise<Array<Float32Array | null>> =>
      embedder ? Promise.all(drafts.map((d) => embedder!.embedPassageTokens(d.tokens))) : Promise.resolve(drafts.map(() => null));

    // Consumer: the next document's chunks are queued on the embedder before this one's vectors are awaited, so its
    // contexts never idle at a document's last chunks, and SQLite work overlaps llama.cpp work. Files are still
    // committed one at a time, in order, each in one transaction.
    const consume = async () => {
      type Started = { job: Job; vectors: Promise<Array<Float32Array | null>> };
      const start = async (): Promise<Started | null> => {
        if (options.signal?.aborted) return null;
        const job = await nextJob();
        if (!job) return null;
        const vectors = job.kind === "document" ? embedDrafts(job.drafts) : Promise.resolve([]);
        // Awaited in turn below; a rejection must not surface as unhandled meanwhile.
        vectors.catch(() => {});
        return { job, vectors };
      };
      let current = await start();
      let next = current ? await start() : null;
      while (current) {
        const { job } = current;
        let vectors: Array<Float32Array | null> = [];
        let embedError: Error | null = null;
        try {
          vectors = await current.vectors;
        } catch (e) {
          embedError = e as Error;
        }
        // Keep two documents with the embedder while this one is committed.
        const after = next ? await start() : null;
        if (embedError && job.kind === "document") {
          summary.failed.push({ path: job.file.relativePath, reason: `embedding failed: ${embedError.message}` });
        } else if (job.kind === "failed") {
          summary.failed.push({ path: job.file.relativePath, reason: job.reason });
        } else if (job.kind === "link") {
          const documentId = await store.documentIdForSha(job.sha256);
          if (documentId === undefined) {
            summary.failed.push({ path: job.file.relativePath, reason: "same content as a file that failed" });
          } else {
            const { sameAs } = await store.commitFile({ kb, path: job.file.relativePath, size: job.file.size, mtimeMs: job.file.mtimeMs }, { documentId });
            summary[job.status] += 1;
            if (sameAs) summary.duplicates.push({ path: job.file.relativePath, sameAs });
          }
        } else {
          const chunks: NewChunk[] = job.drafts.map((d, i) => ({
            index: d.index,
            text: d.text,
            page: d.page,
            pageEnd: d.pageEnd,
            charStart: d.charStart,
            charEnd: d.charEnd,
            section: d.section,
            location: d.location,
            tokenCount: d.tokens.length,
            terms: job.terms[i],
            vector: vectors[i] ?? null,
          }));
          await store.commitFile({ kb, path: job.file.relativePath, size: job.file.size, mtimeMs: job.file.mtimeMs }, { document: { ...job.document, chunks } });
          summary[job.status] += 1;
          summary.chunks += chunks.length;
          if (embedder) summary.embedded += chunks.length;
        }
        filesDone += 1;
        bytesDone += job.file.size;
        report(job.file.relativePath);
        if (Date.now() - lastSave > vectorSaveIntervalMs) {
          await store.saveVectors();
          lastSave = Date.now();
        }
        current = next;
        next = after;
      }
    };

    try {
      await Promise.all([produce(), consume()]);
    } finally {
      options.signal?.removeEventListener("abort", freeProducer);
    }

    await store.touchFiles(kb, touched);
    if (options.signal?.aborted) summary.interrupted = true;
    else {
      // Deletions last, so a renamed file links to its existing document instead of being embedded again.
      // A file that is still there but failed keeps its last good version.
      const present = new Set(scan.files.map((f) => f.relativePath));
      const unreadable = summary.failed.map((f) => f.path);
      const gone = [...known.keys()].filter(
        (p) => !present.has(p) && !unreadable.some((u) => u === "." || p === u || p.startsWith(`${u}/`)),
      );
      await store.removeFiles(kb, gone);
      summary.removed = gone.length;
      // A rename looks like a copy until the old name is removed; only copies that remain are duplicates.
      const goneSet = new Set(gone);
      summary.duplicates = summary.duplicates.filter((d) => !goneSet.has(d.sameAs));
    }
    await store.refreshLexicalIndex();
    await store.saveVectors();
    summary.embedding = (await store.embedding())?.name ?? (loadEmbedding ? "(not loaded: nothing to embed)" : null);
    summary.seconds = (performance.now() - started) / 1000;
    summary.modelLoadSeconds = modelLoadSeconds;
    if (ocr) summary.ocr = { engine: await ocr.engineName(), pagesRecognised: ocr.pagesRecognised, pagesFromCache: ocr.pagesFromCache };
    report(null);
    return summary;
  } finally {
    try {
      await store.close();
    } finally {
      // The OCR cache lives beside the store; its worker processes end here too.
      await ocr?.close();
      if (ownedEmbedder) await ownedEmbedder.dispose();
    }
  }
}
