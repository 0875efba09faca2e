// The answer generator: our own thin layer over node-llama-cpp: one context sequence per request, several requests at
// once in one context (node-llama-cpp decodes the sequences that evaluate together in one batch), the shared prompt
// prefix reused from a kept sequence (sequencePool.ts), streaming, cancellation, stop markers, speculative decoding.
import type { BackendStatus } from "./backendPool.js";
import path from "node:path";
import {
  LlamaCompletion,
  readGgufFileInfo,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import type { PromptFormatName } from "./catalog.js";
import { ForegroundDraftPredictor } from "./draftPredictor.js";
import { answersFirst } from "./batchOrder.js";
import { afterNativeCalls, serialiseNativeCalls, type NativeCallQueue } from "./serialNative.js";
import { describeLlamaBuild, llamaRuntime, resolveThreads } from "./llama.js";
import { autoParallel } from "./parallelism.js";
import { renderCompletion, renderLlama2Chat, stopTriggersFor, tokenizePrompt, type ChatPrompt } from "./promptFormat.js";
import { contextOptionsFor } from "./rope.js";
import type { GeneratorPreset } from "./catalog.js";
import { SequencePool } from "./sequencePool.js";
import { LlamaModelTokenizer, type TextTokenizer } from "./tokenizer.js";
import os from "node:os";

/** What to generate from: a chat prompt (rendered in the model's format) or plain completion text. */
export type PromptInput = { kind: "chat"; chat: ChatPrompt } | { kind: "completion"; text: string };

export interface SamplingOptions {
  /** 0 is greedy. Default 0.2 (the seed project's). */
  temperature: number;
  /** Default 40. */
  topK: number;
  /** Default 0.9. */
  topP: number;
  /** Penalty for repeating recent tokens; 1 disables it. Default 1.1. */
  repeatPenalty: number;
  /** Fixed seed for reproducible sampling; default random. */
  seed?: number;
}

export const defaultSampling: SamplingOptions = { temperature: 0.2, topK: 40, topP: 0.9, repeatPenalty: 1.1 };

export interface GenerateRequest {
  prompt: PromptInput;
  /** Most tokens to generate. */
  maxTokens: number;
  sampling?: Partial<SamplingOptions>;
  /** Stops generation; the text so far is returned with stopReason "abort". */
  signal?: AbortSignal;
  /** Each piece of text as it is generated. */
  onText?: (text: string) => void;
}

export interface DraftStats {
  /** Draft tokens the main model accepted. */
  accepted: number;
  /** Draft tokens it rejected. */
  rejected: number;
  draftModel: string;
}

export interface GenerateResult {
  text: string;
  stopReason: "eos" | "stop" | "maxTokens" | "abort";
  promptTokens: number;
  /** Tokens of `text` (EOS and stop markers not counted; with a draft model, rejected draft tokens not counted). */
  completionTokens: number;
  /** Prompt tokens a kept sequence already held, so they were not evaluated again (the prefix cache); 0 when none. */
  cachedPromptTokens?: number;
  /** From the call to the first piece of text. */
  firstTokenMs: number | null;
  totalMs: number;
  draft?: DraftStats;
}

export interface Generator {
  /** Preset name, file name or remote model name. */
  readonly name: string;
  readonly kind: "local" | "remote";
  readonly promptFormat: PromptFormatName;
  /** Context window in tokens. */
  readonly contextSize: number;
  /** Requests it generates at once (a local model's context sequences); absent where the caller decides. */
  readonly parallel?: number;
  /** The generator's own tokenizer, for packing the window (remote generators estimate). */
  readonly tokenizer: TextTokenizer;
  /** Tokens the rendered prompt takes, exactly as it will be sent. */
  countPromptTokens(prompt: PromptInput): number;
  /** A local model's token ids of the rendered prompt, BOS included, exactly as evaluated (to send the same prompt elsewhere). */
  promptTokenIds?(prompt: PromptInput): number[];
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** What was applied to the context (RoPE, NTK), for people. */
  readonly note: string;
  /** A remote generator's servers and their state (for /readyz and /metrics); absent for a local model. */
  backends?(): BackendStatus[];
  dispose(): Promise<void>;
}

export interface LoadLocalGeneratorOptions {
  modelPath: string;
  /** The catalog preset the file belongs to (context, RoPE, prompt format); null for an unknown GGUF. */
  preset: GeneratorPreset | null;
  gpu: "auto" | boolean;
  threads?: number;
  /** Context size wanted; default the preset's, else the file's. */
  contextSize?: number;
  /** Requests served at once (context sequences), or "auto": sized from one sequence's KV cache and free memory. Default 1. */
  parallel?: number | "auto";
  /** A smaller model of the same vocabulary drafting tokens for speculative decoding. */
  draftModelPath?: string;
  /** Prompt format for a file with no preset; default "llama2-chat" when the file carries a chat template. */
  promptFormat?: PromptFormatName;
}

function renderPrompt(format: PromptFormatName, prompt: PromptInput) {
  if (prompt.kind === "chat") {
    if (format === "llama2-chat") return renderLlama2Chat(prompt.chat);
    // A base model has no chat format: the system prompt and the question become plain text.
    const history = prompt.chat.history.map((t) => `${t.user}\n${t.assistant}\n`).join("");
    return renderCompletion(`${prompt.chat.system ? `${prompt.chat.system}\n\n` : ""}${history}${prompt.chat.user}\n`);
  }
  return renderCompletion(prompt.text);
}

export async function loadLocalGenerator(options: LoadLocalGeneratorOptions): Promise<Generator> {
  const llama = await llamaRuntime({ gpu: options.gpu });
  const info = await readGgufFileInfo(options.modelPath, { readTensorInfo: false, logWarnings: false });
  const contextOptions = contextOptionsFor({
    preset: options.preset ?? undefined,
    ggufMetadata: info.metadata,
    requestedContext: options.contextSize,
  });
  const model = await llama.loadModel({ modelPath: options.modelPath, metadataOverrides: contextOptions.metadataOverrides });
  const threads = resolveThreads(options.threads, llama);
  let parallel = typeof options.parallel === "number" ? options.parallel : 1;
  let parallelNote = "";
  if (options.parallel === "auto") {
    const gpu = llama.gpu !== false;
    const freeBytes = gpu ? (await llama.getVramState()).free : os.freemem();
    const sized = autoParallel({ metadata: info.metadata, contextSize: contextOptions.contextSize, freeBytes, gpu });
    parallel = sized.parallel;
    parallelNote = `; ${sized.note}`;
  }
  let nativeCalls: NativeCallQueue | null = null;
  const context = await model.createContext({
    contextSize: contextOptions.contextSize,
    sequences: parallel,
    threads,
    // Several sequences: llama-server's batch of 2048 (node-llama-cpp evaluates a batch as one micro-batch). With 16
    // answers of 410-token prompts on the 110M generator it made 50 tokens/s against 39 with 512.
    batchSize: Math.min(parallel > 1 ? 2048 : 512, contextOptions.contextSize),
    // The sequences' pending tokens go to llama.cpp together once the samplings of the last batch have ended (one
    // sequence: on the next event-loop turn): the answers being written get their next token in every batch, and
    // prompts fill the rest, oldest request first (batchOrder.ts).
    batching: { dispatchSchedule: afterNativeCalls(() => nativeCalls), itemPrioritizationStrategy: answersFirst() },
  });
  // One sequence decodes and samples in turn anyway; the queue is for several.
  if (parallel > 1) nativeCalls = serialiseNativeCalls(context);
  let draft: { model: LlamaModel; context: LlamaContext; name: string } | null = null;
  if (options.draftModelPath) {
    const draftModel = await llama.loadModel({ modelPath: options.draftModelPath });
    // A draft must speak the same vocabulary; a probe in both scripts catches a mismatch cheaply.
    const probe = "长江大桥 was built 于1968年";
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((t, i) => t === b[i]);
    if (draftModel.tokens.eos !== model.tokens.eos || !same(draftModel.tokenize(probe), model.tokenize(probe)))
      throw new Error(`generator.draftModel ${path.basename(options.draftModelPath)} does not share the generator's vocabulary`);
    const draftContext = await draftModel.createContext({ contextSize: contextOptions.contextSize, sequences: parallel, threads });
    draft = { model: draftModel, context: draftContext, name: path.basename(options.draftModelPath) };
  }
  const hasChatTemplate = typeof info.metadata?.tokenizer?.chat_template === "string";
  const format: PromptFormatName = options.preset?.promptFormat ?? options.promptFormat ?? (hasChatTemplate ? "llama2-chat" : "completion");
  const note = `${contextOptions.note}${parallelNote}; ${describeLlamaBuild(llama)}`;
  return new LocalGenerator(options.preset?.name ?? path.basename(options.modelPath), model, context, note, format, parallel, draft);
}

/** A lent sequence, and its draft sequence when speculative decoding is on. */
interface GeneratorSequence {
  readonly sequence: LlamaContextSequence;
  readonly draftSequence: LlamaContextSequence | null;
  readonly contextTokens: readonly Token[];
  readonly disposed: boolean;
  dispose(): Promise<void>;
}

class LocalGenerator implements Generator {
  readonly kind = "local" as const;
  readonly tokenizer: TextTokenizer;
  readonly contextSize: number;
  private readonly pool: SequencePool<GeneratorSequence>;

  constructor(
    readonly name: string,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly note: string,
    readonly promptFormat: PromptFormatName,
    readonly parallel: number,
    private readonly draft: { model: LlamaModel; context: LlamaContext; name: string } | null,
  ) {
    this.tokenizer = new LlamaModelTokenizer(model, name);
    this.contextSize = context.contextSize;
    if (draft) this.note += `; speculative decoding with ${draft.name}`;
    this.pool = new SequencePool<GeneratorSequence>(parallel, () => {
      const draftSequence = this.draft?.context.getSequence() ?? null;
      const sequence = this.context.getSequence(draftSequence ? { tokenPredictor: new ForegroundDraftPredictor(draftSequence) } : undefined);
      return {
        sequence,
        draftSequence,
        get contextTokens() {
          return sequence.contextTokens;
        },
        get disposed() {
          return sequence.disposed;
        },
        async dispose() {
          await sequence.dispose();
          await draftSequence?.dispose();
        },
      };
    });
  }

  /** Prompt tokens without the leading BOS, which LlamaCompletion adds itself. */
  private promptTokens(prompt: PromptInput): Token[] {
    const tokens = tokenizePrompt(renderPrompt(this.promptFormat, prompt), this.model.tokenizer);
    return tokens[0] === this.model.tokens.bos ? tokens.slice(1) : tokens;
  }

  countPromptTokens(prompt: PromptInput): number {
    return this.promptTokens(prompt).length + 1;
  }

  promptTokenIds(prompt: PromptInput): number[] {
    const bos = this.model.tokens.bos;
    const tokens = this.promptTokens(prompt);
    return bos === null ? tokens : [bos, ...tokens];
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const sampling = { ...defaultSampling, ...request.sampling };
    const tokens = this.promptTokens(request.prompt);
    const bos = this.model.tokens.bos;
    const lease = await this.pool.acquire(bos === null ? tokens : [bos, ...tokens], request.signal);
    const { sequence } = lease.sequence;
    // The draft predictor keeps its own record of the main sequence's tokens, made for one generation: with a draft
    // model a sequence is used once (no prefix reuse), as before.
    let keep = this.draft === null;
    const completion = new LlamaCompletion({ contextSequence: sequence });
    let firstTokenMs: number | null = null;
    // Tokens of the answer, counted as they are released: the sequence's token meter also counts draft tokens the
    // model evaluated and rejected, which would report more tokens than were generated (and than maxTokens).
    let completionTokens = 0;
    try {
      const { response, metadata } = await completion.generateCompletionWithMeta(tokens, {
        maxTokens: Math.max(1, Math.min(request.maxTokens, this.contextSize - tokens.length - 1)),
        temperature: sampling.temperature,
        topK: sampling.topK,
        topP: sampling.topP,
        seed: sampling.seed,
        repeatPenalty: sampling.repeatPenalty === 1 ? false : { penalty: sampling.repeatPenalty },
        customStopTriggers: stopTriggersFor(this.promptFormat),
        signal: request.signal,
        stopOnAbortSignal: true,
        // The packer guarantees prompt + answer fit: never drop the beginning of the prompt.
        disableContextShift: true,
        contextShiftSize: 1,
        onToken: (generated) => {
          completionTokens += generated.length;
        },
        onTextChunk: (text) => {
          if (firstTokenMs === null) firstTokenMs = performance.now() - started;
          request.onText?.(text);
        },
      });
      const predictions = sequence.tokenPredictions;
      const stopReason =
        metadata.stopReason === "abort" ? "abort" : metadata.stopReason === "maxTokens" ? "maxTokens" : metadata.stopReason === "customStopTrigger" ? "stop" : "eos";
      return {
        text: response,
        stopReason,
        promptTokens: tokens.length + 1,
        completionTokens,
        // LlamaCompletion evaluates the last prompt token again to sample from it, so at most all but one are reused.
        cachedPromptTokens: Math.min(lease.sharedPrefix, tokens.length),
        firstTokenMs,
        totalMs: performance.now() - started,
        ...(this.draft ? { draft: { accepted: predictions.validated, rejected: predictions.refuted, draftModel: this.draft.name } } : {}),
      };
    } catch (e) {
      // A failure mid-evaluation may leave the sequence's cells and its token list apart: never lend it again.
      keep = false;
      throw e;
    } finally {
      completion.dispose({ disposeSequence: false });
      await lease.release(keep);
    }
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    if (this.draft) {
      await this.draft.context.dispose();
      await this.draft.model.dispose();
    }
  }
}
