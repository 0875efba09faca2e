// How one generator context fills a batch when several requests are under way (continuous batching, as llama-server
// does): the next token of every answer being written first, then prompts, oldest request first, at most a budget of
// prompt tokens while any answer is being written (chunked prompt evaluation), the whole batch otherwise.
// Measured with 16 clients on the 110M generator, 2 cores, 410-token prompts (the concurrency benchmark's work):
// node-llama-cpp's first-in-first-out order put prompts queued earlier ahead of those next tokens, so while any prompt
// waited, the answers under way got no token at all, and 16 requests ran as waves: 8 s of 2048-token prompt batches
// with no answer advancing, then 3 s of answers with no prompt. Answers first alone still let one 2048-token batch
// (2.6 s) stall every answer; in 512-token pieces a prompt evaluates just as fast per token (0.65 s per 512 against
// 2.6 s per 2048) and every answer advances a token each 0.65 s meanwhile. 58 → 69–73 tokens/s in all.
// The patch to node-llama-cpp (patches/) makes the context give its lock up after each batch and dispatch again on
// the next event-loop turn, so the answers that just got a token have queued their next one when the next batch is
// filled and a new request can erase what its kept sequence does not share; and it adds each batch's tokens in
// ascending sequence order, so llama.cpp decodes them in one micro-batch (this order decides only what goes in).
import type { CustomBatchingPrioritizationStrategy, PrioritizedBatchItem } from "node-llama-cpp";

/** Prompt tokens a batch takes while answers are being written: llama.cpp's default micro-batch. */
export const promptTokensWhileAnswering = 512;

/** Single tokens (an answer's next token) before longer items (prompts), each group in the order it was queued. */
export function answersFirst(promptBudget = promptTokensWhileAnswering): CustomBatchingPrioritizationStrategy {
  return ({ items, size }) => {
    const answers = items.filter((item) => item.tokens.length === 1);
    const prompts = items.filter((item) => item.tokens.length !== 1);
    const chosen: PrioritizedBatchItem[] = [];
    let room = answers.length > 0 ? Math.min(size, answers.length + promptBudget) : size;
    for (const item of [...answers, ...prompts]) {
      if (room === 0) break;
      const processAmount = Math.min(item.tokens.length, room);
      chosen.push({ item, processAmount });
      room -= processAmount;
    }
    return chosen;
  };
}
