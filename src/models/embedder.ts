// The embedding model: a GGUF loaded through node-llama-cpp, a pool of embedding contexts (one on CPU, several on a
// GPU), unit-length vectors, and the identity the store records so a different model is never mixed in.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import type { Settings } from "../config/schema.js";
import { defaultEmbeddingPreset, findEmbeddingPreset } from "./embeddingPresets.js";
import { llamaRuntime, resolveThreads } from "./llama.js";
import { findLocalModel, resolveModel } from "./resolve.js";
import { LlamaModelTokenizer, type TextTokenizer } from "./tokenizer.js";

/** What the store records about the model that made its vectors. */
export interface EmbedderIdentity {
  /** File name, for people. */
  name: string;
  /** SHA-256 (hex) of the file's first 4 MiB and its size: cheap, and different for any other model. */
  fingerprint: string;
  dimension: number;
}

export interface Embedder {
  readonly identity: EmbedderIdentity;
  readonly dimension: number;
  /** The model's own tokenizer: chunk sizes are measured with it. */
  readonly tokenizer: TextTokenizer;
  /** Most passage tokens one call can take (context minus prefix, BOS/EOS). */
  readonly maxPassageTokens: number;
  /** Contexts evaluated at once. */
  readonly parallel: number;
  readonly threads: number;
  readonly gpu: string | false;
  /** Unit vector of a passage given as tokens (counted once by the chunker, never re-tokenized here). */
  embedPassageTokens(tokens: readonly Token[]): Promise<Float32Array>;
  /** Unit vector of a question (with the model's query prefix). */
  embedQuery(text: string): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export function fingerprintFile(filePath: string): string {
  const fd = fs.openSync(filePath, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4 * 1024 * 1024));
    fs.readSync(fd, head, 0, head.length, 0);
    return crypto.createHash("sha256").update(head).update(String(size)).digest("hex");
  } finally {
    fs.closeSync(fd);
  }
}

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

function normalise(vector: readonly number[]): Float32Array {
  const out = Float32Array.from(vector);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * out[i];
  const norm = Math.sqrt(sum);
  if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

/** The local file of the chosen embedding model and its fingerprint, found (or downloaded) without loading it. */
export interface EmbedderFile {
  path: string;
  name: string;
  fingerprint: string;
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

/** Loads an embedding model into llama.cpp with the configured threads and GPU choice. */
export async function loadEmbedder(
  settings: Settings,
  choice: Extract<EmbeddingChoice, { kind: "model" }>,
  file?: EmbedderFile,
): Promise<Embedder> {
  const resolved = file ?? (await resolveEmbedderFile(settings, choice));
  const llama = await llamaRuntime({ gpu: settings.gpu });
  const model = await llama.loadModel({ modelPath: resolved.path });
  const threads = resolveThreads(settings.threads, llama);
  const contextSize = Math.min(model.trainContextSize, settings.embedding.contextSize ?? 8192);
  const parallel = settings.embedding.parallel ?? (llama.gpu === false ? 1 : 4);
  const contexts: LlamaEmbeddingContext[] = [];
  for (let i = 0; i < parallel; i++)
    contexts.push(await model.createEmbeddingContext({ contextSize, threads, batchSize: contextSize }));
  return new LlamaEmbedder(model, resolved, contexts, contextSize, choice, threads, llama.gpu);
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
