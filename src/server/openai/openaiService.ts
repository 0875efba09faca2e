// The OpenAI-compatible face of the question path: a chat's messages become a question (the last user message) and
// history (the earlier user/assistant pairs); the model list names the one model this server answers with.
import type { ChatTurn } from "../../models/promptFormat.js";
import type { AskRequest } from "../ask/askService.js";

/** A chat message as OpenAI clients send it; content is text or a list of parts of which the text ones count. */
export interface ChatMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string }> | null;
}

export class ChatConversionError extends Error {
  override name = "ChatConversionError";
}

export function messageText(message: ChatMessage): string {
  const c = message.content;
  if (c == null) return "";
  if (typeof c === "string") return c;
  return c
    .filter((p) => p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join("\n");
}

/**
 * The question is the last message, which must come from the user; earlier user messages pair with the assistant
 * replies that follow them (consecutive user messages are joined). System and developer messages are left out: the
 * server's own prompt templates set the rules, so a client cannot replace the instruction to cite sources.
 */
export function chatToAskRequest(messages: ChatMessage[], extra: { k?: number; kbs: readonly string[] }): AskRequest {
  const last = messages[messages.length - 1];
  if (!last || last.role !== "user") throw new ChatConversionError("messages: the last message must have the role \"user\"");
  const question = messageText(last);
  if (!question.trim()) throw new ChatConversionError("messages: the last user message has no text");
  const history: ChatTurn[] = [];
  let pendingUser: string | null = null;
  for (const m of messages.slice(0, -1)) {
    if (m.role === "user") pendingUser = pendingUser === null ? messageText(m) : `${pendingUser}\n${messageText(m)}`;
    else if (m.role === "assistant") {
      history.push({ user: pendingUser ?? "", assistant: messageText(m) });
      pendingUser = null;
    }
  }
  // A user message with no reply before the question is part of the question's context.
  const fullQuestion = pendingUser ? `${pendingUser}\n${question}` : question;
  return { question: fullQuestion, kbs: extra.kbs, history, k: extra.k };
}

export interface ModelCard {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** Model ids that name a knowledge base: `alpaca-rag/<base>`. */
export const kbModelPrefix = "alpaca-rag/";

export function kbModelId(kb: string): string {
  return `${kbModelPrefix}${kb}`;
}

/**
 * The base a requested model names: `alpaca-rag/<base>` names that base; any other id (the generator's name that
 * earlier versions listed, a client's default such as "gpt-4o", none) means the caller's default base (undefined).
 */
export function kbOfModel(model: string | null | undefined): string | undefined {
  return model && model.startsWith(kbModelPrefix) ? model.slice(kbModelPrefix.length) : undefined;
}

export class OpenAiService {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    /** The generator's name, or null in extractive mode. */
    private readonly generatorName: string | null,
  ) {}

  /** The generator's id (earlier versions' only model); still accepted, as the default base. */
  get modelId(): string {
    return this.generatorName ?? "alpaca-rag-extractive";
  }

  /** One model per base the caller sees, so a client's model menu is its knowledge-base menu. */
  models(kbs: readonly string[]): ModelCard[] {
    return kbs.map((kb) => ({ id: kbModelId(kb), object: "model", created: this.created, owned_by: "alpaca-rag" }));
  }
}
