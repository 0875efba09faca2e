// The baseline a user would write with LangChain JS: DirectoryLoader (TextLoader, PDFLoader) →
// RecursiveCharacterTextSplitter (sizes in characters) → LlamaCppEmbeddings → HNSWLib.fromDocuments → save.
//
// Threads: LlamaCppEmbeddings.initialize({ modelPath, threads }) passes `threads` (and batchSize/contextSize) straight
// to model.createEmbeddingContext in @langchain/community 1.1.29, so the plain call is enough; we read the context's
// thread count back and return it so a mismatch cannot go unnoticed. It calls getLlama() with defaults (GPU "auto"),
// which on a CPU-only machine is the same prebuilt CPU binary that raw-embed.ts uses; `gpu` in the result says which.
import { DirectoryLoader } from "@langchain/classic/document_loaders/fs/directory";
import { TextLoader } from "@langchain/classic/document_loaders/fs/text";
import { PDFLoader } from "@langchain/community/document_loaders/fs/pdf";
import { LlamaCppEmbeddings } from "@langchain/community/embeddings/llama_cpp";
import { HNSWLib } from "@langchain/community/vectorstores/hnswlib";
import type { Document } from "@langchain/core/documents";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { serveChild, timeIt } from "./lib/measure.js";

export interface LangchainIngestOptions {
  /** Folder of .txt and .pdf files (other files are ignored). */
  dir: string;
  modelPath: string;
  /** llama.cpp threads for the embedding context. */
  threads: number;
  /** Chunk size in characters (RecursiveCharacterTextSplitter's unit); see `charBudget` for choosing it. */
  chunkSize: number;
  /** Overlap in characters. */
  chunkOverlap: number;
  /** Where HNSWLib.save writes hnswlib.index, docstore.json and args.json; no save when absent. */
  saveDir?: string;
}

export interface LangchainIngestResult {
  /** Whole pipeline, model load included: what the user waits for. */
  seconds: number;
  chunks: number;
  /** Files loaded (distinct `source`s). */
  documents: number;
  /** LangChain Documents before splitting (PDFLoader makes one per page). */
  loaderDocuments: number;
  phases: { loadFiles: number; split: number; modelLoad: number; embedAndIndex: number; save: number };
  /** Threads the embedding context uses, read back from node-llama-cpp. */
  threads: number;
  contextSize: number;
  /** The GPU backend LangChain's getLlama() picked, or false for CPU. */
  gpu: string | false;
}

/** Loading and splitting alone, so a driver can hand exactly these chunks to the raw embedder. */
export async function loadAndSplit(opts: Pick<LangchainIngestOptions, "dir" | "chunkSize" | "chunkOverlap">) {
  const loader = new DirectoryLoader(
    opts.dir,
    { ".txt": (p) => new TextLoader(p), ".pdf": (p) => new PDFLoader(p) },
    true,
    "ignore",
  );
  const loaded = await timeIt(() => loader.load());
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: opts.chunkSize, chunkOverlap: opts.chunkOverlap });
  const split = await timeIt(() => splitter.splitDocuments(loaded.value));
  return { documents: loaded.value, chunks: split.value, seconds: { loadFiles: loaded.seconds, split: split.seconds } };
}

export async function runLangchainIngest(opts: LangchainIngestOptions): Promise<LangchainIngestResult> {
  const start = performance.now();
  const { documents, chunks, seconds } = await loadAndSplit(opts);
  const init = await timeIt(() => LlamaCppEmbeddings.initialize({ modelPath: opts.modelPath, threads: opts.threads }));
  const embeddings = init.value;
  try {
    const context = embeddingContextOf(embeddings);
    if (context.idealThreads !== opts.threads)
      throw new Error(`LlamaCppEmbeddings runs ${context.idealThreads} threads, not the ${opts.threads} asked for`);
    const indexed = await timeIt(() => HNSWLib.fromDocuments(chunks, embeddings));
    const saved = await timeIt(async () => {
      if (opts.saveDir) await indexed.value.save(opts.saveDir);
    });
    return {
      seconds: (performance.now() - start) / 1000,
      chunks: chunks.length,
      documents: new Set(documents.map((d: Document) => String(d.metadata.source))).size,
      loaderDocuments: documents.length,
      phases: { ...seconds, modelLoad: init.seconds, embedAndIndex: indexed.seconds, save: saved.seconds },
      threads: context.idealThreads,
      contextSize: context.contextSize,
      gpu: embeddings._model.llama.gpu,
    };
  } finally {
    await embeddings._embeddingContext.dispose();
    await embeddings._model.dispose();
  }
}

/** The LlamaContext behind LangChain's embedding context (node-llama-cpp keeps it in an internal field). */
function embeddingContextOf(embeddings: LlamaCppEmbeddings): { idealThreads: number; contextSize: number } {
  return (embeddings._embeddingContext as unknown as { _llamaContext: { idealThreads: number; contextSize: number } })
    ._llamaContext;
}

serveChild(import.meta.url, runLangchainIngest);
