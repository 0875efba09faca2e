// What the chunker and the window packer need from a tokenizer: token ids of a text, without BOS/EOS.
import type { LlamaModel, Token } from "node-llama-cpp";

export interface TextTokenizer {
  /** Tokens of `text` as the model would see it inside a prompt (no BOS/EOS). */
  tokenize(text: string): Token[];
  /** Short name, e.g. the GGUF file name, for reports. */
  readonly name: string;
}

/** The exact tokenizer of a loaded llama.cpp model (a vocab-only load is enough). */
export class LlamaModelTokenizer implements TextTokenizer {
  readonly name: string;
  constructor(private readonly model: LlamaModel, name?: string) {
    this.name = name ?? model.filename ?? "llama";
  }
  tokenize(text: string): Token[] {
    return this.model.tokenize(text, false);
  }
}

/**
 * Used only when there is no model to ask (lexical-only stores): about one token per CJK character and one per
 * four other characters, which over-counts for the Chinese-LLaMA-2 vocabulary, so chunks stay within real budgets.
 */
export class EstimatingTokenizer implements TextTokenizer {
  readonly name = "estimate";
  tokenize(text: string): Token[] {
    let count = 0;
    let latin = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0x2e80) {
        count += 1;
      } else {
        latin += 1;
        if (latin === 4) {
          count += 1;
          latin = 0;
        }
      }
    }
    if (latin > 0) count += 1;
    return new Array<Token>(count).fill(0 as Token);
  }
}
