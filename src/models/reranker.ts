// The optional reranking model: a GGUF cross-encoder (e.g. bge-reranker) run through node-llama-cpp's
// LlamaRankingContext, which scores how well each passage answers a question. Off unless a model is configured.
import path from "node:path";
import type { LlamaModel, LlamaRankingContext } from "node-llama-cpp";
import { llamaRuntime, resolveThreads } from "./llama.js";
import { resolveModel } from "./resolve.js";

export class RerankerUnsupportedError extends Error {
  override name = "RerankerUnsupportedError";
}

export interface Reranker {
  /** Model file name, for people. */
  readonly name: string;
  /**
   * Relevance of each passage to the query, in the passages' order: a probability in [0, 1].
   * Passages longer than the context are cut into windows and scored by their best window.
   */
  score(query: string, passages: readonly string[]): Promise<number[]>;
  dispose(): Promise<void>;
}

export interface LoadRerankerOptions {
  /** GGUF path or `hf:` URI of the reranking model (the `rerank.model` setting). */
  model: string;
  /** Folder of downloaded models, for `hf:` URIs. */
  modelsDir: string;
  /** "auto": a GPU when one is usable; false: CPU only. Default "auto". */
  gpu?: "auto" | boolean;
  /** llama.cpp threads; default the physical core count. */
  threads?: number;
  /** Tokens the model sees at once (question + passage). Default: the model's training context, capped at 2048. */
  contextSize?: number;
  /**
   * Prompt template with `{{query}}` and `{{document}}`; default the model's own (`tokenizer.chat_template.rerank`)
   * or BOS query EOS SEP passage EOS for BERT-style rerankers.
   */
  template?: `${string}{{query}}${string}{{document}}${string}` | `${string}{{document}}${string}{{query}}${string}`;
  /** Download a missing `hf:` model. Default true. */
  download?: boolean;
  /** The setting named in errors. Default "rerank.model". */
  settingKey?: string;
}

/** Loads a reranking model; a GGUF without a classification head is refused with a RerankerUnsupportedError. */
export async function loadReranker(options: LoadRerankerOptions): Promise<Reranker> {
  const settingKey = options.settingKey ?? "rerank.model";
  const modelPath = await resolveModel(options.model, { modelsDir: options.modelsDir, settingKey, download: options.download });
  const llama = await llamaRuntime({ gpu: options.gpu ?? "auto" });
  const model = await llama.loadModel({ modelPath });
  const name = path.basename(modelPath);
  try {
    // node-llama-cpp's own refusal ("not supported for this model") does not say which setting is wrong; ours does.
    if (!model.fileInsights.supportsRanking)
      throw new RerankerUnsupportedError(
        `${settingKey} ${name} is not a reranking model (it has no classification head); ` +
          `use a reranker GGUF such as bge-reranker-v2-m3, or leave ${settingKey} unset`,
      );
    const contextSize = Math.min(model.trainContextSize, options.contextSize ?? 2048);
    let context: LlamaRankingContext;
    try {
      context = await model.createRankingContext({
        contextSize,
        batchSize: contextSize,
        threads: resolveThreads(options.threads, llama),
        template: options.template,
      });
    } catch (e) {
      throw new RerankerUnsupportedError(`${settingKey} ${name} cannot rank passages: ${(e as Error).message}`);
    }
    return new LlamaReranker(name, model, context);
  } catch (e) {
    await model.dispose();
    throw e;
  }
}

class LlamaReranker implements Reranker {
  constructor(
    readonly name: string,
    private readonly model: LlamaModel,
    private readonly context: LlamaRankingContext,
  ) {}

  async score(query: string, passages: readonly string[]): Promise<number[]> {
    if (passages.length === 0) return [];
    // Tokenized without special tokens, so a passage's text can never become a control token.
    const queryTokens = this.model.tokenize(query, false);
    const passageTokens = passages.map((p) => this.model.tokenize(p, false));
    return this.context.rankAll(queryTokens, passageTokens, { onOverflow: "maxChunk" });
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
