// Shared by the tests that drive a raw node-llama-cpp context: greedy tokens of a prompt on a new sequence, and four
// short prompts stories260K continues differently.
import type { LlamaContext, Token } from "node-llama-cpp";

export const storyPrompts = ["Once upon a time", "Lily and Tom went to the park", "The little dog was sad", "One day a bird"];

/** Greedy tokens of `prompt` on a new sequence of `context` (disposed after); `onToken` after each. */
export async function greedyTokens(context: LlamaContext, prompt: string, steps: number, onToken?: (n: number) => void): Promise<Token[]> {
  const sequence = context.getSequence();
  const out: Token[] = [];
  try {
    for await (const token of sequence.evaluate(context.model.tokenize(prompt, true), { temperature: 0 })) {
      out.push(token);
      onToken?.(out.length);
      if (out.length >= steps) break;
    }
  } finally {
    await sequence.dispose();
  }
  return out;
}
