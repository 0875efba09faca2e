// The one typed settings model of alpaca-rag. Every module receives a `Settings` object; none reads the environment itself.
// Each setting's `.describe()` text is its documentation: `alpaca-rag init` writes it into the configuration file.
import { z } from "zod";

const gpuSchema = z.union([z.literal("auto"), z.boolean()]);

/** One URL or a list of them, always read as a list. */
const urlList = z.preprocess((v) => (typeof v === "string" ? [v] : v), z.array(z.string().url()).min(1));

const embeddingSchema = z
  .object({
    model: z.string().min(1).default("auto").describe("GGUF path, `hf:` URI, \"auto\" (the catalog's default embedder when downloaded, else lexical-only) or \"none\"."),
    queryPrefix: z.string().optional().describe("Text put before a question when embedding it (bge-zh models want an instruction here). Empty: the model preset's."),
    passagePrefix: z.string().optional().describe("Text put before a passage when embedding it. Empty: the model preset's."),
    contextSize: z.number().int().min(64).optional().describe("Embedding context size in tokens; defaults to the model's training context, capped at 8192."),
    parallel: z.number().int().min(1).max(64).optional().describe("Embedding contexts run at once. Default on a CPU: one per thread (at most 4, within 1 GiB), the threads split between them; 4 on a GPU."),
    url: urlList.optional().describe("OpenAI-compatible servers (llama.cpp's llama-server with --embeddings) that compute the vectors instead of this process; one URL or a list (a pool). `model` still names the same GGUF file: its tokenizer cuts the chunks and its fingerprint is what the store records, so the vectors are those a local model of that file gives. Env: comma-separated."),
    apiKey: z.string().optional().describe("API key for those servers, sent as a Bearer token."),
  })
  .strict();

const chunkSchema = z
  .object({
    size: z.number().int().min(16).max(65536).default(384).describe("Target chunk size in tokens of the embedding model's tokenizer."),
    overlap: z.number().int().min(0).max(32768).default(64).describe("Tokens shared by neighbouring chunks."),
  })
  .strict()
  .refine((c) => c.overlap < c.size, { message: "must be smaller than chunk.size", path: ["overlap"] });

const generatorSchema = z
  .object({
    model: z.string().min(1).default("auto").describe("A catalog preset (e.g. \"chinese-alpaca-2-7b\"), a GGUF path, an `hf:` URI, \"auto\" (the first Alpaca-2 preset already downloaded, else extractive answers) or \"none\" (extractive answers: the best sentences, cited)."),
    quant: z.string().optional().describe("Quantization of a preset (Q4_K default)."),
    url: urlList.optional().describe("Base URL of an OpenAI-compatible server (llama.cpp server, vLLM) to generate with instead of a local file, or a list of them: a pool whose least busy healthy member takes each request. Env: comma-separated."),
    remoteModel: z.string().optional().describe("Model name to send to that server; default: each server's own, from its /v1/models."),
    apiKey: z.string().optional().describe("API key for that server, sent as a Bearer token."),
    draftModel: z.string().optional().describe("A smaller model of the same vocabulary (e.g. chinese-alpaca-2-1.3b) drafting tokens for speculative decoding."),
    contextSize: z.number().int().min(128).optional().describe("Context window in tokens; default the preset's (4K, 16K or 64K) or the file's."),
    maxTokens: z.number().int().min(1).default(512).describe("Tokens reserved for the answer (and the most it generates)."),
    temperature: z.number().min(0).max(5).default(0.2).describe("Sampling temperature; 0 is greedy (always the likeliest token)."),
    topK: z.number().int().min(0).default(40).describe("Sample only from the K likeliest tokens; 0 turns the limit off."),
    topP: z.number().min(0).max(1).default(0.9).describe("Sample only from the likeliest tokens whose probabilities add up to P (nucleus sampling)."),
    repeatPenalty: z.number().min(0.5).max(3).default(1.1).describe("Penalty on tokens already generated; 1 is none."),
    parallel: z
      .union([z.number().int().min(1).max(64), z.literal("auto")])
      .default(1)
      .describe(
        "Requests generated at once: context sequences of one context, whose tokens llama.cpp decodes in one batch. \"auto\": as many as one sequence's KV cache (context size x layers x K and V widths, from the GGUF, f16) fits in half the free memory (RAM on a CPU, VRAM on a GPU), at most 16 on a CPU (a bigger batch still adds throughput, as the weights are read once per step for every sequence, but each answer takes longer) and 32 on a GPU. Default 1.",
      ),
    systemPrompt: z.enum(["default", "long"]).default("default").describe("\"default\" or \"long\" (asks for detailed, well-reasoned answers)."),
  })
  .strict();

const retrievalSchema = z
  .object({
    k: z.number().int().min(1).max(200).default(6).describe("Sources given to the model (before packing drops what does not fit)."),
    candidates: z.number().int().min(1).max(2000).default(50).describe("Candidates each retriever (dense, lexical) contributes to fusion."),
    denseWeight: z.number().min(0).max(10).optional().describe("Weight of dense results in rank fusion; default: measured per store so a weak embedder cannot hurt."),
    lexicalWeight: z.number().min(0).max(10).default(1).describe("Weight of lexical results in rank fusion."),
  })
  .strict();

const rerankSchema = z
  .object({
    model: z.string().optional().describe("A GGUF reranking model (bge-reranker style) path or `hf:` URI; unset: no reranking."),
    candidates: z.number().int().min(1).max(500).default(30).describe("Fused candidates the reranker reorders."),
  })
  .strict();

const promptsSchema = z
  .object({
    dir: z.string().optional().describe("Folder of the prompt templates; default the shipped prompts/."),
    system: z.string().optional().describe("A file with the default system prompt, instead of prompts.dir/system.txt."),
    systemLong: z.string().optional().describe("A file with the long-answer system prompt (--long), instead of prompts.dir/system-long.txt."),
    ragZh: z.string().optional().describe("A file with the question-with-sources template for Chinese questions, instead of prompts.dir/rag-zh.txt."),
    ragEn: z.string().optional().describe("A file with the question-with-sources template for English questions, instead of prompts.dir/rag-en.txt."),
    completionZh: z.string().optional().describe("A file with the template for completion (non-chat) models, Chinese, instead of prompts.dir/completion-zh.txt."),
    completionEn: z.string().optional().describe("A file with the template for completion (non-chat) models, English, instead of prompts.dir/completion-en.txt."),
  })
  .strict();

/** A request budget: at most `max` requests in each `windowSeconds`. */
const rateLimitSchema = z
  .object({
    windowSeconds: z.number().int().min(1).max(86_400).default(60).describe("Length of the window in seconds. Default 60."),
    max: z.number().int().min(1).max(1_000_000).optional().describe("Requests allowed in one window. Unset: no limit (a key's own rateLimit without it uses server.rateLimit)."),
  })
  .strict();

const apiKeyText = z.string().min(8, "an API key needs at least 8 characters");

/**
 * An API key: a bare string is a full key (every knowledge base, admin); an object limits it to some bases and a role
 * (read: ask, search, list documents; write: also upload, delete, ingest; admin: also manage bases).
 */
const apiKeySchema = z.union([
  apiKeyText,
  z
    .object({
      key: apiKeyText,
      kbs: z.array(z.string().min(1)).min(1).optional().describe("Knowledge bases the key may use; absent: every base."),
      role: z.enum(["read", "write", "admin"]).default("read").describe("read, write or admin. Default read."),
      rateLimit: rateLimitSchema.optional().describe("This key's own budget, instead of server.rateLimit."),
    })
    .strict(),
]);

const serverSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1").describe("Address to bind. Default 127.0.0.1 (this machine only); any other address requires `apiKeys`."),
    port: z.number().int().min(0).max(65535).default(7860).describe("TCP port; 0 picks a free one. Default 7860 (8080 is llama.cpp server's, a likely `generator.url`)."),
    apiKeys: z.array(apiKeySchema).default([]).describe("Bearer keys accepted; empty: no authentication (loopback only). Each is a string (a full key: every knowledge base, admin) or {key, kbs: [names], role: \"read\"|\"write\"|\"admin\", rateLimit?}. Env: comma-separated strings (full keys)."),
    rateLimit: rateLimitSchema.default({}).describe("Requests each API key (or, without keys, each client address) may make per window under /v1 and /metrics; more get 429 with Retry-After. Default: no limit (max unset)."),
    allowedHosts: z.array(z.string().min(1).regex(/^[^\s/@]+$/, "a host name, optionally with :port (no scheme or path)")).default([]).describe("Host names (optionally with \":port\"; a leading \".\" matches every subdomain) that requests may name in their Host header besides the loopback ones (localhost, 127.0.0.1, [::1] with the server's port). Without API keys only these and the loopback names are served, which stops DNS rebinding; with keys, an empty list accepts any Host. Env: comma-separated. Default none."),
    allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^\s/]+$/, "an origin: scheme://host[:port], no path")).default([]).describe("Web origins (\"https://intranet.example:8443\") whose pages may call the API from a browser: they pass the cross-site check and get CORS headers. Default none: only the server's own page may change anything from a browser. Env: comma-separated."),
    maxBodyBytes: z.number().int().min(1024).default(1024 * 1024).describe("Largest JSON request body in bytes. Default 1 MiB."),
    maxQuestionChars: z.number().int().min(1).default(4000).describe("Longest question (or last chat message) in characters. Default 4000."),
    maxUploadBytes: z.number().int().min(1).default(50 * 1024 * 1024).describe("Largest uploaded file in bytes. Default 50 MiB."),
    maxUploadFiles: z.number().int().min(1).max(1000).default(20).describe("Most files in one upload. Default 20."),
    queueSize: z
      .union([z.number().int().min(0).max(10_000), z.literal("auto")])
      .default("auto")
      .describe(
        "Answer requests that may wait for a free context sequence (beyond generator.parallel running); more get 503. \"auto\" (default): as many as the measured throughput (running places / smoothed seconds per answer, 5 s assumed before the first answer) answers within server.queueTargetWaitMs, and at least one more round of generator.parallel; a number fixes it.",
      ),
    queueTargetWaitMs: z.number().int().min(100).max(3_600_000).default(10_000).describe("With server.queueSize \"auto\": the longest a request should wait for its turn, in milliseconds; the line holds what the server answers in that time. Default 10000."),
    shedDelayMs: z.number().int().min(0).max(10_000).default(250).describe("Milliseconds a refused (503) answer request is held before the reply. Clients that retry at once (load generators, naive scripts) would otherwise keep the event loop busy refusing them and take the cores from llama.cpp's threads. Default 250; 0 replies at once."),
    requestTimeoutMs: z.number().int().min(100).default(300_000).describe("Longest an answer request may take, queue wait included, in milliseconds. Default 300000 (5 minutes)."),
    watch: z.boolean().default(true).describe("Follow the inbox while serving: files added, changed, renamed or deleted there are ingested by themselves. Default true."),
    watchDebounceMs: z.number().int().min(50).max(600_000).default(1000).describe("Milliseconds the inbox must be quiet, and each changed file unmodified, before the watcher ingests. Default 1000; raise it for folders written slowly (network shares, slow copies)."),
  })
  .strict();

const ocrSchema = z
  .object({
    engine: z.enum(["auto", "paddle", "tesseract", "none"]).default("auto").describe("\"auto\" (default): PaddleOCR (PP-OCRv4, shipped in the npm dependencies; measured best on Chinese pages), else Tesseract when PaddleOCR cannot run; \"paddle\" or \"tesseract\" for one engine only; \"none\" turns OCR off (images and scanned pages then fail with that reason)."),
    languages: z.array(z.string().regex(/^[a-z_]+$/, "a Tesseract language code such as chi_sim")).min(1).default(["chi_sim", "chi_tra", "eng"]).describe("Languages on the pages, as Tesseract language codes (each needs its tesseract-ocr-<code> package). PaddleOCR reads chi_sim, chi_tra and eng together and accepts no others. Env: comma-separated. Default chi_sim, chi_tra, eng."),
    dpi: z.number().int().min(50).max(600).default(150).describe("Resolution PDF pages without a text layer are rendered at for OCR. Default 150 (measured: bench/results/ocr.md)."),
    tesseractCommand: z.string().min(1).default("tesseract").describe("The Tesseract program, when it is not `tesseract` on the PATH."),
  })
  .strict();

export const settingsSchema = z
  .object({
    store: z.string().min(1).default("storage").describe("Directory of the index (SQLite database, vector index, lock)."),
    vectorPrecision: z
      .enum(["float32", "float16"])
      .optional()
      .describe(
        "How the embedded store's vector index keeps vectors: \"float32\" (hnswlib, vectors.hnsw; what a new store gets by default) or \"float16\" (usearch, vectors.usearch: about half the memory per chunk at the same recall, for stores of a million chunks and more; measured in bench/results/search-scale-1m.md). Applies when the index is made; a writer (ingest) converts an existing store's index from SQLite's vectors. Unset: each store keeps its own. Ignored by a postgres:// store.",
      ),
    inbox: z.string().min(1).default("ingest").describe("The folder of documents that `ingest` follows."),
    modelsDir: z.string().min(1).default("models").describe("Where downloaded models are kept."),
    hfEndpoint: z.string().url().optional().describe("Hugging Face endpoint for `hf:` downloads (e.g. a mirror such as https://hf-mirror.com); default node-llama-cpp's."),
    threads: z.number().int().min(1).max(1024).optional().describe("llama.cpp threads; default: the machine's physical cores."),
    gpu: gpuSchema.default("auto").describe("\"auto\" lets node-llama-cpp pick CUDA/Vulkan/Metal when present; true demands one; false forces the CPU."),
    embedding: embeddingSchema.default({}).describe("The embedding model: turns chunks and questions into vectors for dense retrieval."),
    chunk: chunkSchema.default({}).describe("How documents are cut into chunks."),
    generator: generatorSchema.default({}).describe("The model that writes answers, local or remote; none gives extractive answers."),
    retrieval: retrievalSchema.default({}).describe("Hybrid retrieval: dense and lexical results fused by reciprocal rank fusion."),
    rerank: rerankSchema.default({}).describe("An optional cross-encoder that reorders the fused candidates."),
    prompts: promptsSchema.default({}).describe("Prompt templates."),
    server: serverSchema.default({}).describe("`alpaca-rag serve`: where it listens, who may call it, and how much it accepts at once."),
    ocr: ocrSchema.default({}).describe("OCR of images and of PDF pages without a text layer."),
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

/** One `server.apiKeys` entry as read: a bare string or {key, kbs?, role, rateLimit?}. */
export type ApiKeySetting = z.output<typeof apiKeySchema>;
export type RateLimitSetting = z.output<typeof rateLimitSchema>;
