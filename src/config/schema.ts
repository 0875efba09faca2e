// The one typed settings model of alpaca-rag. Every module receives a `Settings` object; none reads the environment itself.
import { z } from "zod";

/** `gpu`: "auto" lets node-llama-cpp pick CUDA/Vulkan/Metal when present; true demands one; false forces the CPU. */
const gpuSchema = z.union([z.literal("auto"), z.boolean()]);

const embeddingSchema = z
  .object({
    /** GGUF path, `hf:` URI, "auto" (the catalog's default embedder when downloaded, else lexical-only) or "none". */
    model: z.string().min(1).default("auto"),
    /** Text put before a question when embedding it (bge-zh models want an instruction here). Empty: the model preset's. */
    queryPrefix: z.string().optional(),
    /** Text put before a passage when embedding it. Empty: the model preset's. */
    passagePrefix: z.string().optional(),
    /** Embedding context size in tokens; defaults to the model's training context, capped at 8192. */
    contextSize: z.number().int().min(64).optional(),
    /** Embedding contexts run at once. Default: 1 on CPU (llama.cpp threads already use every core), 4 on a GPU. */
    parallel: z.number().int().min(1).max(64).optional(),
  })
  .strict();

const chunkSchema = z
  .object({
    /** Target chunk size in tokens of the embedding model's tokenizer. */
    size: z.number().int().min(16).max(65536).default(384),
    /** Tokens shared by neighbouring chunks. */
    overlap: z.number().int().min(0).max(32768).default(64),
  })
  .strict()
  .refine((c) => c.overlap < c.size, { message: "must be smaller than chunk.size", path: ["overlap"] });

export const settingsSchema = z
  .object({
    /** Directory of the index (SQLite database, vector index, lock). */
    store: z.string().min(1).default("storage"),
    /** The folder of documents that `ingest` follows. */
    inbox: z.string().min(1).default("ingest"),
    /** Where downloaded models are kept. */
    modelsDir: z.string().min(1).default("models"),
    /** Hugging Face endpoint for `hf:` downloads (e.g. a mirror such as https://hf-mirror.com); default node-llama-cpp's. */
    hfEndpoint: z.string().url().optional(),
    /** llama.cpp threads; default: the machine's physical cores. */
    threads: z.number().int().min(1).max(1024).optional(),
    gpu: gpuSchema.default("auto"),
    embedding: embeddingSchema.default({}),
    chunk: chunkSchema.default({}),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

/** Keys whose values are file-system paths: relative values resolve against the config file's folder (or the cwd). */
export const pathKeys: readonly string[] = ["store", "inbox", "modelsDir", "embedding.model"];

/** Values of model keys that are not paths. */
export function isModelPath(value: string): boolean {
  if (value === "none" || value === "auto" || value.startsWith("hf:")) return false;
  return value.endsWith(".gguf") || value.includes("/") || value.includes("\\") || value.startsWith(".");
}
