// Answers questions for the HTTP faces (/v1/ask, /v1/chat/completions, the web page): a place in the generation queue,
// then the one question path of qa/answer.ts with the shared engine. Knows nothing of HTTP.
import type { ChatTurn } from "../../models/promptFormat.js";
import { answerQuestion, type Answer, type Citation } from "../../qa/answer.js";
import type { QaEngine } from "../../qa/engine.js";
import type { GenerationQueue, QueueTicket } from "../http/generationQueue.js";
import type { ServerMetrics } from "../metrics/metricsService.js";

export interface AskRequest {
  question: string;
  /** The knowledge bases to answer from, already checked against the caller's key. */
  kbs: readonly string[];
  /** Sources to retrieve; default retrieval.k. */
  k?: number;
  /** Earlier turns, oldest first. */
  history?: ChatTurn[];
  /** Use the long-answer system prompt; default the settings'. */
  longAnswer?: boolean;
}

export interface AskHooks {
  /** Aborts waiting or generating; the answer so far is returned. */
  signal?: AbortSignal;
  /** Answer text as it is generated (citation marks already checked). */
  onText?: (text: string) => void;
  /** The numbered sources, before generation starts. */
  onSources?: (citations: Citation[]) => void;
}

export class AskService {
  constructor(
    private readonly engine: QaEngine,
    private readonly queue: GenerationQueue,
    private readonly metrics: ServerMetrics,
  ) {}

  /** The names of the store's knowledge bases now. */
  async kbNames(): Promise<string[]> {
    return (await this.engine.store.listKbs()).map((k) => k.name);
  }

  /** The generator's name, or null when answers are extractive. */
  get model(): string | null {
    return this.engine.generator?.name ?? null;
  }

  /** The most answer tokens one request generates (for OpenAI's finish_reason "length"). */
  get maxTokens(): number {
    return this.engine.settings.generator.maxTokens;
  }

  /**
   * Takes a place in the generation queue now, before any response is sent, so a full queue can still be answered
   * with 503; throws QueueFullError. Pass the ticket to `answer`, which gives it back.
   */
  reserve(): QueueTicket {
    try {
      return this.queue.enter();
    } catch (e) {
      this.metrics.queueRejected();
      throw e;
    }
  }

  /** Waits for the ticket's turn, answers, and releases the ticket whatever happens. */
  async answer(ticket: QueueTicket, request: AskRequest, hooks: AskHooks = {}): Promise<Answer> {
    try {
      await ticket.turn(hooks.signal);
      const answer = await answerQuestion(this.engine, { ...request, signal: hooks.signal, onText: hooks.onText, onSources: hooks.onSources });
      this.metrics.generated(answer.usage);
      return answer;
    } finally {
      ticket.release();
    }
  }
}
