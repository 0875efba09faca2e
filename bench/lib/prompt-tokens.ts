// Counting a packed prompt's tokens the way alpaca-rag's local generator does, with any loaded (even vocab-only)
// llama.cpp model: for timing packWindow without loading a generator.
import type { LlamaModel } from "node-llama-cpp";
import type { PromptInput } from "../../src/models/generator.js";
import { renderCompletion, renderLlama2Chat, tokenizePrompt } from "../../src/models/promptFormat.js";

/** Exact prompt tokens, BOS included, as LocalGenerator.countPromptTokens counts them. */
export function countPromptTokensWith(model: LlamaModel): (prompt: PromptInput) => number {
  return (prompt) => tokenizePrompt(prompt.kind === "chat" ? renderLlama2Chat(prompt.chat) : renderCompletion(prompt.text), model.tokenizer).length;
}

/** Tokens of plain text without BOS/EOS. */
export function countTextTokensWith(model: LlamaModel): (text: string) => number {
  return (text) => model.tokenize(text, false).length;
}
