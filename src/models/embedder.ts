// The embedding model: a GGUF loaded through node-llama-cpp, a pool of embedding contexts (one on CPU, several on a
// GPU), unit-length vectors, and the identity the store records so a different model is never mixed in.
import path from "node:path";
import type { LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import type { Settings } from "../config/schema.js";
import { defaultEmbeddingPreset, findEmbeddingPreset } from "./embeddingPresets.js";
import { llamaRuntime, resolveThreads } from "./llama.js";
import { findLocalModel, resolveModel } from "./resolve.js";
import { fingerprintFile, normalise, type Embedder, type EmbedderFile, type EmbedderIdentity } from "./embedderContract.js";
import { loadRemoteEmbedder } from "./remoteEmbedder.js";
import { LlamaModelTokenizer, type TextTokenizer } from "./tokenizer.js";

export { fingerprintFile, type Embedder, type EmbedderFile, type EmbedderIdentity } from "./embedderContract.js";

export type EmbeddingChoice =
  | { kind: "none"; reason: string }
  | { kind: "model"; spec: string; queryPrefix: string; passagePrefix: string };

/** Decide which embedding model the settings ask for, without loading it. "auto" never downloads. */
export async function chooseEmbeddingModel(settings: Settings): Promise<EmbeddingChoice> {
  const value = settings.embedding.model;
  if (value === "none") return { kind: "none", reason: "embedding.model is \"none\"" };
  let spec = value;
  let preset = findEmbeddingPreset(value);
  if (value === "auto") {
    preset = defaultEmbeddingPreset;
    const local = await findLocalModel(preset.uri, settings.modelsDir);
    if (!local)
      return {
        kind: "none",
        reason: `no embedding model downloaded yet (get ${preset.name} with: npx alpaca-rag models pull ${preset.name})`,
      };
    spec = local;
  } else if (preset) spec = preset.uri;
  return {
    kind: "model",
    spec,
    queryPrefix: settings.embedding.queryPrefix ?? preset?.queryPrefix ?? "",
    passagePrefix: settings.embedding.passagePrefix ?? preset?.passagePrefix ?? "",
  };
}

/** Throws ModelMissingError when the file is absent and cannot be fetched. */
export async function resolveEmbedderFile(
  settings: Settings,
  choice: Extract<EmbeddingChoice, { kind: "model" }>,
  options: { download?: boolean; signal?: AbortSignal } = {},
): Promise<EmbedderFile> {
  const modelPath = await resolveModel(choice.spec, {
    modelsDir: settings.modelsDir,
    settingKey: "embedding.model",
    download: options.download,
    hfEndpoint: settings.hfEndpoint,
    signal: options.signal,
  });
  return { path: modelPath, name: path.basename(modelPath), fingerprint: fingerprintFile(modelPath) };
}

/**
 * The embedding model the settings name, found (downloaded when `download` allows) and loaded; null when they name
 * none. For callers that need the model itself now; ingest chooses first and loads only when a file needs it.
 */
export async function loadConfiguredEmbedder(
  settings: Settings,
  options: { download?: boolean; signal?: AbortSignal } = {},
): Promise<Embedder | null> {
  const choice = await chooseEmbeddingModel(settings);
  if (choice.kind === "none") return null;
  return loadEmbedder(settings, choice, await resolveEmbedderFile(settings, choice, options));
}

/** Loads an embedding model into llama.cpp with the configured threads and GPU choice. */
export async function loadEmbedder(
  settings: Settings,
  choice: Extract<EmbeddingChoice, { kind: "model" }>,
  file?: EmbedderFile,
): Promise<Embedder> {
  const resolved = file ?? (await resolveEmbedderFile(settings, choice));
  // embedding.url: servers running the same file compute the vectors; this process only cuts the tokens.
  if (settings.embedding.url) return loadRemoteEmbedder(settings, choice, resolved);
  const llama = await llamaRuntime({ gpu: settings.gpu });
  const model = await llama.loadModel({ modelPath: resolved.path });
  const threads = resolveThreads(settings.threads, llama);
  const contextSize = Math.min(model.trainContextSize, settings.embedding.contextSize ?? 8192);
  let parallel = settings.embedding.parallel ?? 4;
  let contextThreads = threads;
  if (llama.gpu === false) {
    const perContext = (await model.fileInsights.estimateContextResourceRequirementsV2({ contextSize, batchSize: contextSize, modelGpuLayers: 0, isEmbeddingContext: true })).cpuRam;
    parallel = settings.embedding.parallel ?? cpuEmbeddingContexts(threads, perContext);
    contextThreads = Math.max(1, Math.floor(threads / parallel));
  }
  const contexts: LlamaEmbeddingContext[] = [];
  for (let i = 0; i < parallel; i++)
    contexts.push(await model.createEmbeddingContext({ contextSize, threads: contextThreads, batchSize: contextSize }));
  return new LlamaEmbedder(model, resolved, contexts, contextSize, choice, threads, llama.gpu);
}

/** Memory the extra CPU embedding contexts may take together (KV cache and compute buffers). */
const cpuContextBudgetBytes = 1024 ** 3;

/**
 * Embedding contexts on a CPU: one per thread (at most 4, and as many as 1 GiB of context memory holds), the threads
 * split between them. Chunks are evaluated side by side, one per context, instead of one at a time by every thread:
 * llama.cpp's threads meet at a barrier after each of a graph's hundreds of small operations, which dominates small
 * embedders and collapses when other processes take a core. A single query then runs on threads / contexts threads.
 * (Several chunks in one context's batch is not an option in node-llama-cpp 3.21.1: its native getEmbedding reads
 * sequence 0, or the batch's last token, so only one vector per evaluation can be read back; and sequences sharing a
 * KV cache attend over each other's cells, masked, which makes the quadratic attention of small models costlier.)
 * Vectors do not depend on the thread count: each output value is computed whole by one thread.
 */
export function cpuEmbeddingContexts(threads: number, bytesPerContext: number): number {
  const byMemory = bytesPerContext > 0 ? Math.floor(cpuContextBudgetBytes / bytesPerContext) : threads;
  return Math.max(1, Math.min(threads, 4, byMemory));
}

class LlamaEmbedder implements Embedder {
  readonly identity: EmbedderIdentity;
  readonly dimension: number;
  readonly tokenizer: TextTokenizer;
  readonly maxPassageTokens: number;
  readonly parallel: number;
  private readonly idle: LlamaEmbeddingContext[];
  private readonly waiting: Array<(ctx: LlamaEmbeddingContext) => void> = [];
  private readonly passagePrefixTokens: Token[];

  constructor(
    private readonly model: LlamaModel,
    file: EmbedderFile,
    private readonly contexts: LlamaEmbeddingContext[],
    contextSize: number,
    private readonly choice: Extract<EmbeddingChoice, { kind: "model" }>,
    readonly threads: number,
    readonly gpu: string | false,
  ) {
    this.dimension = model.embeddingVectorSize;
    this.identity = { name: file.name, fingerprint: file.fingerprint, dimension: this.dimension };
    this.tokenizer = new LlamaModelTokenizer(model, file.name);
    this.passagePrefixTokens = choice.passagePrefix ? model.tokenize(choice.passagePrefix, false) : [];
    // llama.cpp needs room for BOS and EOS, and node-llama-cpp rejects inputs that fill the whole context.
    this.maxPassageTokens = contextSize - this.passagePrefixTokens.length - 3;
    this.parallel = contexts.length;
    this.idle = [...contexts];
  }

  private acquire(): Promise<LlamaEmbeddingContext> {
    const ctx = this.idle.pop();
    if (ctx) return Promise.resolve(ctx);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(ctx: LlamaEmbeddingContext): void {
    const next = this.waiting.shift();
    if (next) next(ctx);
    else this.idle.push(ctx);
  }

  private async embed(tokens: Token[]): Promise<Float32Array> {
    const ctx = await this.acquire();
    try {
      const embedding = await ctx.getEmbeddingFor(tokens);
      return normalise(embedding.vector);
    } finally {
      this.release(ctx);
    }
  }

  embedPassageTokens(tokens: readonly Token[]): Promise<Float32Array> {
    // A fresh array: node-llama-cpp adds BOS/EOS to the array it is given.
    return this.embed([...this.passagePrefixTokens, ...tokens]);
  }

  embedQuery(text: string): Promise<Float32Array> {
    const tokens = this.model.tokenize(this.choice.queryPrefix + text, false);
    return this.embed(tokens.slice(0, this.maxPassageTokens + this.passagePrefixTokens.length));
  }

  async dispose(): Promise<void> {
    for (const ctx of this.contexts) await ctx.dispose();
    await this.model.dispose();
  }
}
