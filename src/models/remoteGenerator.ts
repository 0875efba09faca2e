// A generator that runs elsewhere: one or a pool of OpenAI-compatible servers (llama.cpp server, vLLM, alpaca-rag
// serve) by base URL, streamed over Server-Sent Events parsed by eventsource-parser (the SSE specification's rules:
// CRLF line ends, multi-line data, named events). The server applies its own chat template; the model name sent is
// generator.remoteModel, or each backend's own from its /v1/models.
import { createParser } from "eventsource-parser";
import { Backend, BackendError, BackendPool, backendResponse, connectionError, type BackendStatus } from "./backendPool.js";
import type { GenerateRequest, GenerateResult, Generator, PromptInput } from "./generator.js";
import { defaultSampling } from "./generator.js";
import { EstimatingTokenizer, type TextTokenizer } from "./tokenizer.js";

export interface RemoteGeneratorOptions {
  /** The servers, e.g. ["http://127.0.0.1:8080/v1"] (a trailing /chat/completions is added); several make a pool. */
  baseUrls: readonly string[];
  /** Model name to send; default: each backend's own, from its /v1/models. */
  model?: string;
  apiKey?: string;
  /** The remote model's window, for packing; default 4096. */
  contextSize?: number;
  /** Give up on a request after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** Consecutive failures that take a backend out of the pool, and how often it is probed then (see BackendPool). */
  maxFailures?: number;
  probeIntervalMs?: number;
}

type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

function messagesFor(prompt: PromptInput): ChatMessage[] {
  if (prompt.kind === "completion") return [{ role: "user", content: prompt.text }];
  const messages: ChatMessage[] = [];
  if (prompt.chat.system) messages.push({ role: "system", content: prompt.chat.system });
  for (const turn of prompt.chat.history) messages.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.assistant });
  messages.push({ role: "user", content: prompt.chat.user });
  return messages;
}

interface StreamChunk {
  choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string } | string;
}

/** What one backend streamed back. */
interface Streamed {
  text: string;
  firstTokenMs: number | null;
  finish: string | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

export class RemoteGenerator implements Generator {
  readonly kind = "remote" as const;
  readonly promptFormat = "llama2-chat" as const;
  readonly contextSize: number;
  /** The server's tokenizer is out of reach; packing uses a cautious estimate. */
  readonly tokenizer: TextTokenizer = new EstimatingTokenizer();
  readonly note: string;
  readonly pool: BackendPool;

  constructor(private readonly options: RemoteGeneratorOptions) {
    this.contextSize = options.contextSize ?? 4096;
    this.pool = new BackendPool({
      urls: options.baseUrls,
      setting: "generator.url",
      apiKey: options.apiKey,
      maxFailures: options.maxFailures,
      probeIntervalMs: options.probeIntervalMs,
    });
    const n = this.pool.backends.length;
    this.note = n === 1 ? `remote OpenAI-compatible server ${this.pool.backends[0].url}` : `a pool of ${n} OpenAI-compatible servers`;
  }

  /** generator.remoteModel, else the model a backend reported once asked, else "remote". */
  get name(): string {
    return this.options.model ?? this.pool.backends.find((b) => b.model)?.model ?? "remote";
  }

  countPromptTokens(prompt: PromptInput): number {
    // Chat markup costs a few tokens per message on any template.
    return messagesFor(prompt).reduce((n, m) => n + this.tokenizer.tokenize(m.content).length + 8, 0);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const timeoutMs = this.options.timeoutMs ?? 600_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    // Filled as pieces arrive, so a stopped request still returns what it had; an attempt that fails before its first
    // piece leaves it empty for the next backend.
    const streamed: Streamed = { text: "", firstTokenMs: null, finish: null };
    try {
      await this.pool.run((backend) => this.streamFrom(backend, request, signal, started, streamed), signal);
    } catch (e) {
      if (!request.signal?.aborted) {
        if (timeout.aborted) throw new Error(`generator.url did not finish within ${timeoutMs / 1000} s`);
        throw e;
      }
    }
    return {
      text: streamed.text,
      stopReason: request.signal?.aborted ? "abort" : streamed.finish === "length" ? "maxTokens" : "eos",
      promptTokens: streamed.usage?.prompt_tokens ?? this.countPromptTokens(request.prompt),
      completionTokens: streamed.usage?.completion_tokens ?? this.tokenizer.tokenize(streamed.text).length,
      firstTokenMs: streamed.firstTokenMs,
      totalMs: performance.now() - started,
    };
  }

  /**
   * One attempt on one backend. Failures before the first piece of text reached the caller are retryable (the pool
   * tries another backend); after it, the text already shown cannot be taken back, so the request fails.
   */
  private async streamFrom(backend: Backend, request: GenerateRequest, signal: AbortSignal, started: number, out: Streamed): Promise<void> {
    const what = `generator.url ${backend.url}`;
    const sampling = { ...defaultSampling, ...request.sampling };
    const model = this.options.model ?? (await this.pool.modelOf(backend)) ?? "default";
    let response: Response;
    try {
      response = await fetch(`${backend.url}/chat/completions`, {
        method: "POST",
        signal,
        headers: this.pool.headers({ "content-type": "application/json", accept: "text/event-stream" }),
        body: JSON.stringify({
          model,
          messages: messagesFor(request.prompt),
          max_tokens: request.maxTokens,
          temperature: sampling.temperature,
          top_p: sampling.topP,
          // Not in OpenAI's API, understood by llama.cpp's server and vLLM.
          top_k: sampling.topK,
          repeat_penalty: sampling.repeatPenalty,
          seed: sampling.seed,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw connectionError(e, what);
    }
    await backendResponse(response, what);
    let failure: BackendError | null = null;
    const parser = createParser({
      onEvent: (event) => {
        if (failure || event.data === "[DONE]") return;
        let chunk: StreamChunk;
        try {
          chunk = JSON.parse(event.data) as StreamChunk;
        } catch {
          failure = new BackendError(`${what} sent an event that is not JSON: ${event.data.slice(0, 120)}`, out.text === "");
          return;
        }
        if (event.event === "error" || chunk.error) {
          const message = typeof chunk.error === "string" ? chunk.error : (chunk.error?.message ?? event.data.slice(0, 200));
          failure = new BackendError(`${what} reported an error: ${message}`, out.text === "");
          return;
        }
        if (chunk.usage) out.usage = chunk.usage;
        const choice = chunk.choices?.[0];
        const piece = choice?.delta?.content;
        if (piece) {
          if (out.firstTokenMs === null) out.firstTokenMs = performance.now() - started;
          out.text += piece;
          request.onText?.(piece);
        }
        if (choice?.finish_reason) out.finish = choice.finish_reason;
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(part, { stream: true }));
        if (failure) break;
      }
    } catch (e) {
      if (signal.aborted) throw e;
      throw new BackendError(`${what}: the stream broke off (${(e as Error).message})`, out.text === "");
    }
    if (failure) throw failure;
    if (out.finish === null && out.text === "" && !signal.aborted) throw new BackendError(`${what}: the stream ended with no answer`, true);
  }

  backends(): BackendStatus[] {
    return this.pool.statuses();
  }

  async dispose(): Promise<void> {
    this.pool.close();
  }
}
