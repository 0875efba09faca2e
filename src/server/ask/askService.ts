// Answers questions for the HTTP faces (/v1/ask, /v1/chat/completions, the web page): a place in the generation queue,
// then the one question path of qa/answer.ts with the shared engine; a follow-up is searched for together with the
// questions before it, as `chat` does. Knows nothing of HTTP.
import type { ChatTurn } from "../../models/promptFormat.js";
import { answerWithRetrievalQuery, type Answer, type Citation } from "../../qa/answer.js";
import { condenseQuery } from "../../qa/condense.js";
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
  /** Search for a short or referring follow-up together with the earlier questions (qa/condense.ts). Default true. */
  condense?: boolean;
}

/** An answer and what retrieval searched for (the question, or a follow-up joined to the questions before it). */
export type AskAnswer = Answer & { retrievalQuery: string };

/**
 * The retrieval query for `question` after `history`: each earlier question condensed onto the chain before it, as
 * `chat` builds it turn by turn, then this one. Without history (or with condense off) the question alone.
 */
export function retrievalQueryFor(question: string, history: readonly ChatTurn[] = [], condense = true): string {
  if (!condense) return question.trim();
  let previous: string | undefined;
  for (const turn of history) if (turn.user.trim()) previous = condenseQuery({ question: turn.user, previous });
  return condenseQuery({ question, previous });
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
    return this.engine.store.kbNames();
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
   * with 503; throws QueueFullError. Pass the ticket to `answer`, which gives it back. `client` (an API key's label)
   * is served in turn with the other clients waiting.
   */
  reserve(client = ""): QueueTicket {
    try {
      return this.queue.enter(client);
    } catch (e) {
      this.metrics.queueRejected();
      throw e;
    }
  }

  /** Waits for the ticket's turn, answers, and releases the ticket whatever happens. */
  async answer(ticket: QueueTicket, request: AskRequest, hooks: AskHooks = {}): Promise<AskAnswer> {
    try {
      await ticket.turn(hooks.signal);
      const retrievalQuery = retrievalQueryFor(request.question, request.history, request.condense ?? true);
      const { answer } = await answerWithRetrievalQuery(this.engine, { ...request, retrievalQuery, ...hooks });
      this.metrics.generated(answer.usage);
      return { ...answer, retrievalQuery };
    } finally {
      ticket.release();
    }
  }
}
