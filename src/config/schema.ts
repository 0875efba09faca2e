// The one typed settings model of alpaca-rag. Every module receives a `Settings` object; none reads the environment itself.
import { z } from "zod";

/** `gpu`: "auto" lets node-llama-cpp pick CUDA/Vulkan/Metal when present; true demands one; false forces the CPU. */
const gpuSchema = z.union([z.literal("auto"), z.boolean()]);

/** One URL or a list of them, always read as a list. */
const urlList = z.preprocess((v) => (typeof v === "string" ? [v] : v), z.array(z.string().url()).min(1));

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
    /**
     * OpenAI-compatible servers (llama.cpp's llama-server with --embeddings) that compute the vectors instead of this
     * process; one URL or a list (a pool). `model` still names the same GGUF file: its tokenizer cuts the chunks and its
     * fingerprint is what the store records, so the vectors are those a local model of that file gives. Env: comma-separated.
     */
    url: urlList.optional(),
    /** API key for those servers, sent as a Bearer token. */
    apiKey: z.string().optional(),
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

const generatorSchema = z
  .object({
    /**
     * A catalog preset (e.g. "chinese-alpaca-2-7b"), a GGUF path, an `hf:` URI, "auto" (the first Alpaca-2 preset
     * already downloaded, else extractive answers) or "none" (extractive answers: the best sentences, cited).
     */
    model: z.string().min(1).default("auto"),
    /** Quantization of a preset (Q4_K default). */
    quant: z.string().optional(),
    /**
     * Base URL of an OpenAI-compatible server (llama.cpp server, vLLM) to generate with instead of a local file, or a
     * list of them: a pool whose least busy healthy member takes each request. Env: comma-separated.
     */
    url: urlList.optional(),
    /** Model name to send to that server; default: each server's own, from its /v1/models. */
    remoteModel: z.string().optional(),
    /** API key for that server, sent as a Bearer token. */
    apiKey: z.string().optional(),
    /** A smaller model of the same vocabulary (e.g. chinese-alpaca-2-1.3b) drafting tokens for speculative decoding. */
    draftModel: z.string().optional(),
    /** Context window in tokens; default the preset's (4K, 16K or 64K) or the file's. */
    contextSize: z.number().int().min(128).optional(),
    /** Tokens reserved for the answer (and the most it generates). */
    maxTokens: z.number().int().min(1).default(512),
    temperature: z.number().min(0).max(5).default(0.2),
    topK: z.number().int().min(0).default(40),
    topP: z.number().min(0).max(1).default(0.9),
    repeatPenalty: z.number().min(0.5).max(3).default(1.1),
    /** Requests generated at once (context sequences). */
    parallel: z.number().int().min(1).max(64).default(1),
    /** "default" or "long" (asks for detailed, well-reasoned answers). */
    systemPrompt: z.enum(["default", "long"]).default("default"),
  })
  .strict();

const retrievalSchema = z
  .object({
    /** Sources given to the model (before packing drops what does not fit). */
    k: z.number().int().min(1).max(200).default(6),
    /** Candidates each retriever (dense, lexical) contributes to fusion. */
    candidates: z.number().int().min(1).max(2000).default(50),
    /** Weight of dense results in rank fusion; default: measured per store so a weak embedder cannot hurt. */
    denseWeight: z.number().min(0).max(10).optional(),
    /** Weight of lexical results in rank fusion. */
    lexicalWeight: z.number().min(0).max(10).default(1),
  })
  .strict();

const rerankSchema = z
  .object({
    /** A GGUF reranking model (bge-reranker style) path or `hf:` URI; unset: no reranking. */
    model: z.string().optional(),
    /** Fused candidates the reranker reorders. */
    candidates: z.number().int().min(1).max(500).default(30),
  })
  .strict();

const promptsSchema = z
  .object({
    /** Folder of the prompt templates; default the shipped prompts/. */
    dir: z.string().optional(),
    system: z.string().optional(),
    systemLong: z.string().optional(),
    ragZh: z.string().optional(),
    ragEn: z.string().optional(),
    completionZh: z.string().optional(),
    completionEn: z.string().optional(),
  })
  .strict();

/** `alpaca-rag serve`: where it listens, who may call it, and how much it accepts at once. */
const serverSchema = z
  .object({
    /** Address to bind. Default 127.0.0.1 (this machine only); any other address requires `apiKeys`. */
    host: z.string().min(1).default("127.0.0.1"),
    /** TCP port; 0 picks a free one. Default 7860 (8080 is llama.cpp server's, a likely `generator.url`). */
    port: z.number().int().min(0).max(65535).default(7860),
    /** Bearer keys accepted; empty: no authentication (loopback only). Env: comma-separated. */
    apiKeys: z.array(z.string().min(8, "an API key needs at least 8 characters")).default([]),
    /**
     * Host names (optionally with ":port"; a leading "." matches every subdomain) that requests may name in their Host
     * header besides the loopback ones (localhost, 127.0.0.1, [::1] with the server's port). Without API keys only
     * these and the loopback names are served, which stops DNS rebinding; with keys, an empty list accepts any Host.
     * Env: comma-separated. Default none.
     */
    allowedHosts: z.array(z.string().min(1).regex(/^[^\s/@]+$/, "a host name, optionally with :port (no scheme or path)")).default([]),
    /**
     * Web origins ("https://intranet.example:8443") whose pages may call the API from a browser: they pass the
     * cross-site check and get CORS headers. Default none: only the server's own page may change anything from a browser.
     * Env: comma-separated.
     */
    allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^\s/]+$/, "an origin: scheme://host[:port], no path")).default([]),
    /** Largest JSON request body in bytes. Default 1 MiB. */
    maxBodyBytes: z.number().int().min(1024).default(1024 * 1024),
    /** Longest question (or last chat message) in characters. Default 4000. */
    maxQuestionChars: z.number().int().min(1).default(4000),
    /** Largest uploaded file in bytes. Default 50 MiB. */
    maxUploadBytes: z.number().int().min(1).default(50 * 1024 * 1024),
    /** Most files in one upload. Default 20. */
    maxUploadFiles: z.number().int().min(1).max(1000).default(20),
    /** Answer requests that may wait for a free context sequence (beyond generator.parallel running); more get 503. Default 8. */
    queueSize: z.number().int().min(0).max(10_000).default(8),
    /**
     * Milliseconds a refused (503) answer request is held before the reply. Clients that retry at once (load generators,
     * naive scripts) would otherwise keep the event loop busy refusing them and take the cores from llama.cpp's threads.
     * Default 250; 0 replies at once.
     */
    shedDelayMs: z.number().int().min(0).max(10_000).default(250),
    /** Longest an answer request may take, queue wait included, in milliseconds. Default 300000 (5 minutes). */
    requestTimeoutMs: z.number().int().min(100).default(300_000),
    /** Follow the inbox while serving: files added, changed, renamed or deleted there are ingested by themselves. Default true. */
    watch: z.boolean().default(true),
    /**
     * Milliseconds the inbox must be quiet, and each changed file unmodified, before the watcher ingests. Default 1000;
     * raise it for folders written slowly (network shares, slow copies).
     */
    watchDebounceMs: z.number().int().min(50).max(600_000).default(1000),
  })
  .strict();

/** OCR of images and of PDF pages without a text layer. */
const ocrSchema = z
  .object({
    /**
     * "auto" (default): PaddleOCR (PP-OCRv4, shipped in the npm dependencies; measured best on Chinese pages), else
     * Tesseract when PaddleOCR cannot run; "paddle" or "tesseract" for one engine only; "none" turns OCR off (images
     * and scanned pages then fail with that reason).
     */
    engine: z.enum(["auto", "paddle", "tesseract", "none"]).default("auto"),
    /**
     * Languages on the pages, as Tesseract language codes (each needs its tesseract-ocr-<code> package). PaddleOCR reads
     * chi_sim, chi_tra and eng together and accepts no others. Env: comma-separated. Default chi_sim, chi_tra, eng.
     */
    languages: z.array(z.string().regex(/^[a-z_]+$/, "a Tesseract language code such as chi_sim")).min(1).default(["chi_sim", "chi_tra", "eng"]),
    /** Resolution PDF pages without a text layer are rendered at for OCR. Default 150 (measured: bench/results/ocr.md). */
    dpi: z.number().int().min(50).max(600).default(150),
    /** The Tesseract program, when it is not `tesseract` on the PATH. */
    tesseractCommand: z.string().min(1).default("tesseract"),
  })
  .strict();

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
    generator: generatorSchema.default({}),
    retrieval: retrievalSchema.default({}),
    rerank: rerankSchema.default({}),
    prompts: promptsSchema.default({}),
    server: serverSchema.default({}),
    ocr: ocrSchema.default({}),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

/** Keys whose values are file-system paths: relative values resolve against the config file's folder (or the cwd). */
export const pathKeys: readonly string[] = [
  "store",
  "inbox",
  "modelsDir",
  "embedding.model",
  "generator.model",
  "generator.draftModel",
  "rerank.model",
  "prompts.dir",
  "prompts.system",
  "prompts.systemLong",
  "prompts.ragZh",
  "prompts.ragEn",
  "prompts.completionZh",
  "prompts.completionEn",
];

/** Values of model keys that are not paths. */
/** The URL scheme of a `store` value that names a database (e.g. "postgres" in postgres://…), or undefined for a folder. */
export function storeUrlScheme(value: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
}

export function isModelPath(value: string): boolean {
  if (value === "none" || value === "auto" || value.startsWith("hf:")) return false;
  return value.endsWith(".gguf") || value.includes("/") || value.includes("\\") || value.startsWith(".");
}
