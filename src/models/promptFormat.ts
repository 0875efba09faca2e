// Prompt formats of the Chinese-LLaMA-2 family built from typed LlamaText pieces: BOS/EOS and the [INST]/<<SYS>>
// markup are structure, everything from a user, a document or a settings file is plain text and can never become a
// control token, however it is spelled.
import { LlamaText, SpecialToken, SpecialTokensText, type Token, type Tokenizer } from "node-llama-cpp";
import type { PromptFormatName } from "./catalog.js";

export interface ChatTurn {
  user: string;
  assistant: string;
}

export interface ChatPrompt {
  /** System prompt; empty leaves out the <<SYS>> block. */
  system: string;
  /** Earlier turns, oldest first. */
  history: ChatTurn[];
  /** The message the model answers now. */
  user: string;
}

const BOS = () => new SpecialToken("BOS");
const EOS = () => new SpecialToken("EOS");
const markup = (text: string) => new SpecialTokensText(text);

/**
 * The Alpaca-2 (Llama-2-chat) format:
 * `<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s><s>[INST] {user} [/INST]`.
 */
export function renderLlama2Chat(prompt: ChatPrompt): LlamaText {
  const turns = [...prompt.history.map((t) => t.user), prompt.user];
  const pieces: Array<SpecialToken | SpecialTokensText | string> = [BOS()];
  turns.forEach((user, i) => {
    if (i === 0 && prompt.system !== "") pieces.push(markup("[INST] <<SYS>>\n"), prompt.system, markup("\n<</SYS>>\n\n"), user);
    else pieces.push(markup("[INST] "), user);
    pieces.push(markup(" [/INST]"));
    const answered = prompt.history[i];
    if (answered) pieces.push(` ${answered.assistant} `, EOS(), BOS());
  });
  return LlamaText(pieces);
}

/** Base (non-chat) models: BOS and the text, nothing else. */
export function renderCompletion(prompt: string): LlamaText {
  return LlamaText([BOS(), prompt]);
}

/**
 * Where generation stops, for node-llama-cpp's stop triggers: EOS always; for the chat format also "[INST]" and "</s>"
 * written out as text, which fine-tuned models sometimes emit instead of the token.
 */
export function stopTriggersFor(format: PromptFormatName): LlamaText[] {
  const triggers = [LlamaText(EOS())];
  if (format === "llama2-chat") triggers.push(LlamaText("[INST]"), LlamaText("</s>"));
  return triggers;
}

function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/**
 * Tokens of a prompt exactly as the model saw such prompts in training: text between BOS/EOS is tokenized as one
 * string, without parsing special tokens. `LlamaText.tokenize` tokenizes every piece on its own, which puts stray "▁"
 * tokens where markup meets text (before " [/INST]", for one); markup that holds no control token of this vocabulary
 * ("[INST]", "<<SYS>>" in the LLaMA-2 vocabulary) is therefore joined with its neighbours here. Document text stays
 * data either way: nothing in a run is parsed as a special token.
 */
export function tokenizePrompt(text: LlamaText, tokenizer: Tokenizer): Token[] {
  const tokens: Token[] = [];
  let run = "";
  const flush = () => {
    if (run !== "") tokens.push(...tokenizer(run, false));
    run = "";
  };
  for (const value of text.values) {
    if (typeof value === "string") run += value;
    else if (value instanceof SpecialTokensText && sameTokens(tokenizer(value.value, true), tokenizer(value.value, false)))
      run += value.value;
    else {
      flush();
      tokens.push(...value.tokenize(tokenizer));
    }
  }
  flush();
  return tokens;
}
