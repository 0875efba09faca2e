// Speculative decoding's draft side: a smaller model of the same vocabulary proposes the next tokens, which the main
// model then checks in one batch. node-llama-cpp's DraftSequenceTokenPredictor drafts in the background while the
// main model evaluates, and (3.21.1) can lose a wake-up: when its draft loop ends on an aborted signal while the main
// sequence waits in predictTokens(), nothing resolves that wait and the request hangs for good. This predictor drafts
// in the foreground, as llama.cpp's own speculative decoding does (draft, then verify): every call does its work and
// returns, so no request can wait forever, and the draft is the same on every run.
import { TokenPredictor, type LlamaContextSequence, type SequenceEvaluateOptions, type Token } from "node-llama-cpp";

export interface DraftPredictorOptions {
  /** Most tokens to draft per step. Default 16 (node-llama-cpp's). */
  maxTokens?: number;
  /** Drafting stops at a token the draft model is less sure of than this (0–1). Default 0.6 (node-llama-cpp's). */
  minConfidence?: number;
}

export class ForegroundDraftPredictor extends TokenPredictor {
  private readonly maxTokens: number;
  private readonly minConfidence: number;
  /** Every token the main sequence holds or is about to evaluate, in order: what the next draft must continue. */
  private targetTokens: Token[] = [];
  private evaluateOptions: SequenceEvaluateOptions = {};
  private disposed = false;

  constructor(
    private readonly draftSequence: LlamaContextSequence,
    options: DraftPredictorOptions = {},
  ) {
    super();
    this.maxTokens = Math.max(1, Math.floor(options.maxTokens ?? 16));
    this.minConfidence = Math.min(1, Math.max(0, options.minConfidence ?? 0.6));
  }

  reset({ stateTokens, evaluateOptions }: { stateTokens: Token[]; evaluateOptions: Readonly<SequenceEvaluateOptions> }): void {
    this.targetTokens = stateTokens.slice();
    // Greedy drafts: the main model's most likely token is the best guess at what it will pick, whatever its
    // temperature; a grammar is never used by the generator, and a clone of one would only be ignored here.
    this.evaluateOptions = {
      ...evaluateOptions,
      temperature: 0,
      seed: undefined,
      grammarEvaluationState: undefined,
      yieldEogToken: true,
    };
  }

  pushTokens(tokens: Token[]): void {
    this.targetTokens.push(...tokens);
  }

  async predictTokens(): Promise<Token[]> {
    if (this.disposed || this.draftSequence.disposed || this.targetTokens.length === 0) return [];
    const target = this.targetTokens.slice();
    if (target.length > this.draftSequence.context.contextSize) return [];
    // Keep the longest prefix the draft sequence shares with the main one (accepted drafts included), but always
    // evaluate at least the last target token again: the next draft needs its logits.
    const held = this.draftSequence.contextTokens;
    let keep = 0;
    while (keep < held.length && keep < target.length - 1 && held[keep] === target[keep]) keep++;
    if (keep < this.draftSequence.nextTokenIndex)
      await this.draftSequence.eraseContextTokenRanges([{ start: keep, end: this.draftSequence.nextTokenIndex }]);

    const predicted: Token[] = [];
    // Leaving the loop ends the evaluation (for-await calls return()): the last draft token is never evaluated,
    // and the next call erases whatever the main model did not accept.
    for await (const { token, confidence } of this.draftSequence.evaluateWithMetadata(target.slice(keep), { confidence: true }, this.evaluateOptions)) {
      if (confidence < this.minConfidence) break;
      predicted.push(token);
      const full = target.length + predicted.length >= this.draftSequence.context.contextSize;
      if (predicted.length >= this.maxTokens || full || this.draftSequence.model.isEogToken(token)) break;
    }
    return predicted;
  }

  override dispose(): void {
    this.disposed = true;
  }
}
