// A generator that runs elsewhere: any OpenAI-compatible server (llama.cpp server, vLLM, alpaca-rag serve) by base
// URL and model name, streamed over Server-Sent Events. The server applies its own chat template.
import type { GenerateRequest, GenerateResult, Generator, PromptInput } from "./generator.js";
import { defaultSampling } from "./generator.js";
import { EstimatingTokenizer, type TextTokenizer } from "./tokenizer.js";

export interface RemoteGeneratorOptions {
  /** e.g. http://127.0.0.1:8080/v1 (a trailing /chat/completions is added). */
  baseUrl: string;
  /** Model name the server expects. */
  model: string;
  apiKey?: string;
  /** The remote model's window, for packing; default 4096. */
  contextSize?: number;
  /** Give up on a request after this long. Default 10 minutes. */
  timeoutMs?: number;
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

export class RemoteGenerator implements Generator {
  readonly kind = "remote" as const;
  readonly promptFormat = "llama2-chat" as const;
  readonly contextSize: number;
  /** The server's tokenizer is out of reach; packing uses a cautious estimate. */
  readonly tokenizer: TextTokenizer = new EstimatingTokenizer();
  readonly note: string;
  readonly name: string;
  private readonly endpoint: string;

  constructor(private readonly options: RemoteGeneratorOptions) {
    this.contextSize = options.contextSize ?? 4096;
    this.name = options.model;
    this.endpoint = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
    this.note = `remote OpenAI-compatible server ${options.baseUrl}`;
  }

  countPromptTokens(prompt: PromptInput): number {
    // Chat markup costs a few tokens per message on any template.
    return messagesFor(prompt).reduce((n, m) => n + this.tokenizer.tokenize(m.content).length + 8, 0);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const sampling = { ...defaultSampling, ...request.sampling };
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 600_000);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let text = "";
    let firstTokenMs: number | null = null;
    let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
    let finish: string | null = null;
    try {
      const response = await fetch(this.endpoint, {
        method: "POST",
        signal,
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.options.model,
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
      if (!response.ok || !response.body) {
        const body = await response.text().catch(() => "");
        throw new Error(`generator.url ${this.endpoint} answered ${response.status}: ${body.slice(0, 300)}`);
      }
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(part, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split("\n")) {
            if (!line.startsWith("data:")) continue;
            const data = line.slice(5).trim();
            if (data === "[DONE]") continue;
            const chunk = JSON.parse(data) as {
              choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>;
              usage?: { prompt_tokens?: number; completion_tokens?: number };
            };
            if (chunk.usage) usage = chunk.usage;
            const choice = chunk.choices?.[0];
            const piece = choice?.delta?.content;
            if (piece) {
              if (firstTokenMs === null) firstTokenMs = performance.now() - started;
              text += piece;
              request.onText?.(piece);
            }
            if (choice?.finish_reason) finish = choice.finish_reason;
          }
        }
      }
    } catch (e) {
      if (!request.signal?.aborted) {
        if (timeout.aborted) throw new Error(`generator.url ${this.endpoint} did not finish within ${(this.options.timeoutMs ?? 600_000) / 1000} s`);
        throw e instanceof Error && e.message.startsWith("generator.url") ? e : new Error(`generator.url ${this.endpoint}: ${(e as Error).message}`);
      }
    }
    return {
      text,
      stopReason: request.signal?.aborted ? "abort" : finish === "length" ? "maxTokens" : "eos",
      promptTokens: usage?.prompt_tokens ?? this.countPromptTokens(request.prompt),
      completionTokens: usage?.completion_tokens ?? this.tokenizer.tokenize(text).length,
      firstTokenMs,
      totalMs: performance.now() - started,
    };
  }

  async dispose(): Promise<void> {}
}
