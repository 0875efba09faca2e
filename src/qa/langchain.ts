// LangChain interop for users who build with it: our generator as a LangChain chat model, and the whole question path
// as an LCEL RunnableSequence (retrieve → prepare → complete) returning the same Answer object as `ask`.
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelCallOptions, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { RunnableLambda, RunnableSequence, type Runnable } from "@langchain/core/runnables";
import type { Generator, SamplingOptions } from "../models/generator.js";
import type { ChatPrompt } from "../models/promptFormat.js";
import { completeAnswer, prepareQuestion, retrieveForQuestion, type Answer, type AskOptions, type PreparedQuestion, type RetrievedForQuestion } from "./answer.js";
import type { QaEngine } from "./engine.js";
import { defaultKb } from "../store/kb.js";

export interface AlpacaRagChatModelInput extends BaseChatModelParams {
  generator: Generator;
  /** Most tokens per answer. Default 512. */
  maxTokens?: number;
  sampling?: Partial<SamplingOptions>;
}

function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : message.content.map((p) => ("text" in p ? String(p.text) : "")).join("");
}

/** System messages become the system prompt, human/AI pairs the history, the last human message the question. */
export function messagesToChatPrompt(messages: readonly BaseMessage[]): ChatPrompt {
  const system: string[] = [];
  const turns: Array<{ user: string; assistant: string }> = [];
  let pendingUser: string | null = null;
  for (const m of messages) {
    const type = m.getType();
    if (type === "system") system.push(textOf(m));
    else if (type === "human") {
      if (pendingUser !== null) turns.push({ user: pendingUser, assistant: "" });
      pendingUser = textOf(m);
    } else if (type === "ai") {
      turns.push({ user: pendingUser ?? "", assistant: textOf(m) });
      pendingUser = null;
    }
  }
  if (pendingUser === null) throw new Error("AlpacaRagChatModel: the last message must come from the user");
  return { system: system.join("\n\n"), history: turns, user: pendingUser };
}

/** A LangChain chat model backed by alpaca-rag's generator (a fresh llama.cpp sequence per call). */
export class AlpacaRagChatModel extends BaseChatModel<BaseChatModelCallOptions> {
  private readonly generator: Generator;
  private readonly maxTokens: number;
  private readonly sampling: Partial<SamplingOptions>;

  constructor(fields: AlpacaRagChatModelInput) {
    super(fields);
    this.generator = fields.generator;
    this.maxTokens = fields.maxTokens ?? 512;
    this.sampling = fields.sampling ?? {};
  }

  _llmType(): string {
    return "alpaca-rag";
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const result = await this.generator.generate({
      prompt: { kind: "chat", chat: messagesToChatPrompt(messages) },
      maxTokens: this.maxTokens,
      sampling: this.sampling,
      signal: options.signal,
      onText: (t) => void runManager?.handleLLMNewToken(t),
    });
    return {
      generations: [{ text: result.text, message: new AIMessage(result.text) }],
      llmOutput: { tokenUsage: { promptTokens: result.promptTokens, completionTokens: result.completionTokens, totalTokens: result.promptTokens + result.completionTokens } },
    };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    // Bridge the generator's callback to an async iterator.
    const pieces: string[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: unknown = null;
    const generation = this.generator
      .generate({
        prompt: { kind: "chat", chat: messagesToChatPrompt(messages) },
        maxTokens: this.maxTokens,
        sampling: this.sampling,
        signal: options.signal,
        onText: (t) => {
          pieces.push(t);
          wake?.();
        },
      })
      .catch((e) => (failure = e))
      .finally(() => {
        finished = true;
        wake?.();
      });
    for (;;) {
      while (pieces.length) {
        const text = pieces.shift()!;
        yield new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
        await runManager?.handleLLMNewToken(text);
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    await generation;
    if (failure) throw failure;
  }
}

/** A question, or one with options; `kbs` defaults to the "default" base. */
export type AnswerChainInput = string | (Pick<AskOptions, "question" | "k" | "history" | "longAnswer"> & { kbs?: readonly string[] });

/**
 * The question path as LCEL: `chain.invoke("…")` or `chain.invoke({question, k, history})` gives the same Answer
 * as `alpaca-rag ask --json`; each step is a Runnable that can be traced, batched or recombined.
 */
export function createAnswerChain(engine: QaEngine): Runnable<AnswerChainInput, Answer> {
  type Input = Pick<AskOptions, "question" | "k" | "history" | "longAnswer" | "kbs">;
  const normalise = RunnableLambda.from((input: AnswerChainInput): Input =>
    typeof input === "string" ? { question: input, kbs: [defaultKb] } : { ...input, kbs: input.kbs ?? [defaultKb] }).withConfig({ runName: "question" });
  const retrieve = RunnableLambda.from(async (input: Input) => ({ input, retrieved: await retrieveForQuestion(engine, input) })).withConfig({ runName: "retrieve" });
  const prepare = RunnableLambda.from(({ input, retrieved }: { input: Input; retrieved: RetrievedForQuestion }): PreparedQuestion => prepareQuestion(engine, retrieved, input)).withConfig({ runName: "pack" });
  const complete = RunnableLambda.from((prepared: PreparedQuestion, config) => completeAnswer(engine, prepared, { signal: config?.signal })).withConfig({ runName: "generate" });
  return RunnableSequence.from([normalise, retrieve, prepare, complete]);
}
