// The state of one `chat` conversation, apart from any terminal: what a typed line means (question or /command), the
// turns so far, k, the last answer; each question runs the qa/ steps with the history and an optional condensed query.
import type { ChatTurn } from "../models/promptFormat.js";
import { answerWithRetrievalQuery, type Answer, type Citation } from "../qa/answer.js";
import { condenseQuery } from "../qa/condense.js";
import type { QaEngine } from "../qa/engine.js";

export type ChatInput =
  | { kind: "empty" }
  | { kind: "question"; text: string }
  | { kind: "exit" }
  | { kind: "clear" }
  | { kind: "sources" }
  | { kind: "help" }
  /** `/k` alone asks for the current value. */
  | { kind: "k"; k: number | null }
  | { kind: "invalid"; message: string };

export const chatCommandsHelp = [
  "/k N      retrieve N sources per question (/k alone shows it)",
  "/sources  show the full text of the last answer's sources",
  "/clear    forget the conversation so far",
  "/exit     quit (also Ctrl-D)",
  "Ctrl-C stops an answer being written; at the prompt it clears the line.",
].join("\n");

/** Reads one typed line. Anything not starting with "/" is a question. */
export function parseChatInput(line: string): ChatInput {
  const text = line.trim();
  if (!text) return { kind: "empty" };
  if (!text.startsWith("/")) return { kind: "question", text };
  const [command, ...args] = text.slice(1).split(/\s+/);
  switch (command.toLowerCase()) {
    case "exit":
    case "quit":
      return { kind: "exit" };
    case "clear":
      return { kind: "clear" };
    case "sources":
      return { kind: "sources" };
    case "help":
    case "?":
      return { kind: "help" };
    case "k": {
      if (args.length === 0) return { kind: "k", k: null };
      const k = Number(args[0]);
      if (args.length > 1 || !Number.isInteger(k) || k < 1 || k > 200) return { kind: "invalid", message: `/k: expected a whole number from 1 to 200, got "${args.join(" ")}"` };
      return { kind: "k", k };
    }
    default:
      return { kind: "invalid", message: `unknown command /${command}; /help lists the commands` };
  }
}

/** An answer as chat reports it: the Answer plus how the conversation shaped it. */
export interface ChatAnswer extends Answer {
  /** Earlier turns the prompt held (0 in extractive mode and for models without a chat format). */
  historyTurns: number;
  /** What retrieval searched for: the question, or with --condense a follow-up joined to the previous query. */
  retrievalQuery: string;
}

export interface ChatSessionOptions {
  /** The knowledge bases every question searches. */
  kbs: readonly string[];
  /** Sources per question. */
  k: number;
  /** Form the retrieval query of a follow-up from it and the previous query. Default false. */
  condense?: boolean;
  /** Use the long-answer system prompt. */
  longAnswer?: boolean;
  /** Turns remembered at most; the packer drops older ones anyway when the window is full. Default 32. */
  maxTurns?: number;
}

export interface ChatAskOptions {
  signal?: AbortSignal;
  onText?: (text: string) => void;
  onSources?: (citations: Citation[]) => void;
}

export class ChatSession {
  k: number;
  readonly condense: boolean;
  private turns: ChatTurn[] = [];
  private previousQuery: string | undefined;
  private last: ChatAnswer | null = null;

  constructor(
    private readonly engine: QaEngine,
    private readonly options: ChatSessionOptions,
  ) {
    this.k = options.k;
    this.condense = options.condense ?? false;
  }

  /** Completed turns, oldest first. */
  get history(): readonly ChatTurn[] {
    return this.turns;
  }

  get lastAnswer(): ChatAnswer | null {
    return this.last;
  }

  /** Forgets the conversation (turns, previous query, last answer); k stays. */
  clear(): void {
    this.turns = [];
    this.previousQuery = undefined;
    this.last = null;
  }

  /**
   * Answers a question with the conversation so far. A stopped answer (signal aborted) is returned but not remembered
   * as a turn: half an answer would mislead the next one.
   */
  async ask(question: string, options: ChatAskOptions = {}): Promise<ChatAnswer> {
    const retrievalQuery = this.condense ? condenseQuery({ question, previous: this.previousQuery }) : question.trim();
    const { answer, prepared } = await answerWithRetrievalQuery(this.engine, {
      question,
      retrievalQuery,
      kbs: this.options.kbs,
      k: this.k,
      history: this.turns,
      longAnswer: this.options.longAnswer,
      ...options,
    });
    const historyTurns = prepared.packed?.prompt.kind === "chat" ? prepared.packed.history.length : 0;
    const result: ChatAnswer = { ...answer, historyTurns, retrievalQuery };
    this.last = result;
    if (!options.signal?.aborted) {
      this.turns.push({ user: answer.question, assistant: answer.answer });
      const maxTurns = this.options.maxTurns ?? 32;
      if (this.turns.length > maxTurns) this.turns.splice(0, this.turns.length - maxTurns);
      this.previousQuery = retrievalQuery;
    }
    return result;
  }
}
