// Embeddings computed by a pool of OpenAI-compatible servers (llama.cpp's llama-server with --embeddings) that run the
// same GGUF file as `embedding.model`. This process loads that file's vocabulary only: chunks are cut and counted with
// its tokenizer, the store records its fingerprint, and the servers get token ids (with the BOS/EOS node-llama-cpp
// would add), so the vectors are the ones a local model of that file gives. Concurrent requests are batched and the
// batches spread over the pool's least busy backends.
import type { LlamaModel, Token } from "node-llama-cpp";
import type { Settings } from "../config/schema.js";
import { BackendPool, backendResponse, BackendError, connectionError, type Backend, type BackendStatus } from "./backendPool.js";
import { normalise, type Embedder, type EmbedderFile, type EmbedderIdentity } from "./embedderContract.js";
import { llamaRuntime } from "./llama.js";
import { LlamaModelTokenizer, type TextTokenizer } from "./tokenizer.js";

/** Inputs sent in one /embeddings request. */
const batchSize = 16;

interface Pending {
  tokens: Token[];
  resolve: (vector: Float32Array) => void;
  reject: (error: unknown) => void;
}

export interface RemotePrefixes {
  queryPrefix: string;
  passagePrefix: string;
}

/** The embedder of `embedding.url`, identified by `file` (which must be the file the servers run). */
export async function loadRemoteEmbedder(settings: Settings, prefixes: RemotePrefixes, file: EmbedderFile): Promise<Embedder> {
  const urls = settings.embedding.url ?? [];
  const llama = await llamaRuntime({ gpu: false });
  const model = await llama.loadModel({ modelPath: file.path, vocabOnly: true });
  const pool = new BackendPool({ urls, setting: "embedding.url", apiKey: settings.embedding.apiKey });
  // A vocabulary-only model knows no context or width of its own: the file's metadata does.
  const meta = model.fileInfo.architectureMetadata as { context_length?: number; embedding_length?: number };
  const trained = meta.context_length ?? 512;
  const embedder = new RemoteEmbedder(model, file, pool, prefixes, Math.min(trained, settings.embedding.contextSize ?? 8192), meta.embedding_length ?? 0);
  try {
    // One small request up front: a pool that cannot embed, or embeds with another width, is refused now, not mid-ingest.
    await embedder.checkDimension();
  } catch (e) {
    await embedder.dispose();
    throw e;
  }
  return embedder;
}

class RemoteEmbedder implements Embedder {
  readonly tokenizer: TextTokenizer;
  readonly maxPassageTokens: number;
  readonly parallel: number;
  readonly threads = 0;
  readonly gpu = false as const;
  dimension: number;
  identity: EmbedderIdentity;
  private readonly passagePrefixTokens: Token[];
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly model: LlamaModel,
    private readonly file: EmbedderFile,
    readonly pool: BackendPool,
    private readonly prefixes: RemotePrefixes,
    contextSize: number,
    dimension: number,
  ) {
    this.dimension = dimension;
    this.identity = { name: file.name, fingerprint: file.fingerprint, dimension: this.dimension };
    this.tokenizer = new LlamaModelTokenizer(model, file.name);
    this.passagePrefixTokens = prefixes.passagePrefix ? model.tokenize(prefixes.passagePrefix, false) : [];
    this.maxPassageTokens = contextSize - this.passagePrefixTokens.length - 3;
    // Enough requests in flight to keep every backend busy with a batch while the next is being prepared.
    this.parallel = pool.backends.length * batchSize * 2;
  }

  /** Embeds a one-word text and checks the width against the file's; the width the servers give wins when the file says none. */
  async checkDimension(): Promise<void> {
    const probe = await this.embed(this.model.tokenize("probe", false));
    if (this.dimension > 0 && probe.length !== this.dimension)
      throw new Error(`embedding.url returns ${probe.length}-dimensional vectors but ${this.file.name} makes ${this.dimension}: the servers run another model`);
    this.dimension = probe.length;
    this.identity = { ...this.identity, dimension: probe.length };
  }

  /** The tokens as node-llama-cpp evaluates them: BOS first and EOS last when the vocabulary adds them. */
  private framed(tokens: readonly Token[]): Token[] {
    const out = [...tokens];
    const { bos, eos, shouldPrependBosToken, shouldAppendEosToken } = this.model.tokens;
    if (shouldPrependBosToken && bos != null && out[0] !== bos) out.unshift(bos);
    if (shouldAppendEosToken && eos != null && out.at(-1) !== eos) out.push(eos);
    return out;
  }

  private embed(tokens: readonly Token[]): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ tokens: this.framed(tokens), resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Requests made in the same turn of the event loop (a document's chunks) go out together.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushing = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0, batchSize);
      void this.pool.run((backend) => this.request(backend, batch)).catch((error) => {
        for (const p of batch) p.reject(error);
      });
    }
  }

  private async request(backend: Backend, batch: Pending[]): Promise<void> {
    const what = `embedding.url ${backend.url}`;
    let response: Response;
    try {
      response = await fetch(`${backend.url}/embeddings`, {
        method: "POST",
        headers: this.pool.headers({ "content-type": "application/json" }),
        body: JSON.stringify({ input: batch.map((p) => p.tokens), model: (await this.pool.modelOf(backend)) ?? this.file.name, encoding_format: "float" }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (e) {
      throw connectionError(e, what);
    }
    await backendResponse(response, what);
    const body = (await response.json().catch(() => null)) as { data?: Array<{ index?: number; embedding?: number[] }> } | null;
    const rows = body?.data;
    if (!Array.isArray(rows) || rows.length !== batch.length) throw new BackendError(`${what} answered ${rows?.length ?? "no"} embeddings for ${batch.length} inputs`, true);
    rows.forEach((row, i) => {
      const vector = row.embedding;
      if (!Array.isArray(vector) || vector.length === 0) throw new BackendError(`${what} answered an empty embedding`, true);
      batch[row.index ?? i].resolve(normalise(vector));
    });
  }

  embedPassageTokens(tokens: readonly Token[]): Promise<Float32Array> {
    return this.embed([...this.passagePrefixTokens, ...tokens]);
  }

  embedQuery(text: string): Promise<Float32Array> {
    const tokens = this.model.tokenize(this.prefixes.queryPrefix + text, false);
    return this.embed(tokens.slice(0, this.maxPassageTokens + this.passagePrefixTokens.length));
  }

  backends(): BackendStatus[] {
    return this.pool.statuses();
  }

  async dispose(): Promise<void> {
    this.pool.close();
    await this.model.dispose();
  }
}
