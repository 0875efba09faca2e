// Converts a token budget into the character budget a character-measured splitter needs, for one model's tokenizer
// on one corpus: chunkSize = tokens ÷ (mean tokens per character of the corpus).
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

export interface CharBudget {
  /** Characters that hold `tokens` tokens on average. */
  chars: number;
  tokensPerChar: number;
  /** The densest text's ratio: a chunk of `chars` characters has at most about chars × this many tokens. */
  maxTokensPerChar: number;
}

export async function charBudget(opts: { modelPath: string; texts: string[]; tokens: number }): Promise<CharBudget> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  const model = await llama.loadModel({ modelPath: opts.modelPath, vocabOnly: true });
  try {
    let tokens = 0;
    let chars = 0;
    let maxTokensPerChar = 0;
    for (const text of opts.texts) {
      const n = model.tokenize(text).length;
      tokens += n;
      chars += text.length; // UTF-16 units, the unit RecursiveCharacterTextSplitter measures in
      if (text.length > 0) maxTokensPerChar = Math.max(maxTokensPerChar, n / text.length);
    }
    const tokensPerChar = tokens / chars;
    return { chars: Math.round(opts.tokens / tokensPerChar), tokensPerChar, maxTokensPerChar };
  } finally {
    await model.dispose();
  }
}
