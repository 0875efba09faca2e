// The question's path: retrieve, pack the window, generate (or extract), and check citations against the sources we
// numbered. The one function behind `ask`, `chat`, the HTTP API and the web page.
import type { SourceLocation } from "../ingest/types.js";
import type { ChatTurn } from "../models/promptFormat.js";
import { retrieveDetailed, type RetrievedChunk } from "../retrieval/hybrid.js";
import { checkCitations } from "./citations.js";
import type { QaEngine } from "./engine.js";
import { extractiveAnswer, type AnswerSpan } from "./extractive.js";
import { packWindow, type PackedPrompt, type Source } from "./pack.js";
import { retrievalOptions } from "./search.js";

export interface Citation {
  /** The number the answer cites it by. */
  n: number;
  documentId: number;
  /** File path relative to its base's inbox folder. */
  source: string;
  /** The knowledge base of `source`. */
  kb: string;
  page: number | null;
  pageEnd: number | null;
  /** Where the passage is (page range, slides, sheet rows, chapter or section) with a ready label; null when nothing says. */
  location: SourceLocation | null;
  chunkId: number;
  score: number;
  /** One line of the source's text. */
  snippet: string;
  /** Offsets in `page`'s text (or the file's). */
  charStart: number;
  charEnd: number;
  /** Whether the answer cites it. */
  cited: boolean;
  /** The full text given to the model (for /sources and the web page). */
  text: string;
}

export interface Answer {
  question: string;
  answer: string;
  mode: "generated" | "extractive";
  citations: Citation[];
  /** Retrieved chunks left out for lack of room in the window. */
  dropped: number[];
  /** Citation numbers the model wrote that matched no source; they were removed from `answer`. */
  removedCitations: number[];
  /** Generator name, or null in extractive mode. */
  model: string | null;
  timings: {
    retrieveMs: number;
    packMs: number;
    firstTokenMs: number | null;
    totalMs: number;
    draft?: { accepted: number; rejected: number; draftModel: string };
  };
  usage: { promptTokens: number; completionTokens: number };
  /**
   * Extractive mode: where the likely answer itself is, so a client can highlight it: offsets into the `text` of the
   * citation numbered `citation`. Absent when no sentence matched, and in generated mode.
   */
  answerSpan?: AnswerSpan;
}

export interface AskOptions {
  question: string;
  /** The knowledge bases to answer from (required: never every base by default). */
  kbs: readonly string[];
  /** Sources to retrieve; default retrieval.k. */
  k?: number;
  /** Earlier turns of a conversation, oldest first. */
  history?: ChatTurn[];
  /** Use the long-answer system prompt. Default: settings.generator.systemPrompt. */
  longAnswer?: boolean;
  signal?: AbortSignal;
  /** Answer text as it is generated, citation marks already checked. */
  onText?: (text: string) => void;
  /** The sources, once chosen and before generation starts. */
  onSources?: (citations: Citation[]) => void;
}

export class QuestionError extends Error {
  override name = "QuestionError";
}

function snippetOf(text: string, length = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > length ? `${line.slice(0, length)}…` : line;
}

function toCitation(source: Source, cited: boolean): Citation {
  const c: RetrievedChunk = source.chunk;
  return {
    n: source.n,
    documentId: c.documentId,
    source: c.source,
    kb: c.kb,
    page: c.page,
    pageEnd: c.pageEnd,
    location: c.location,
    chunkId: c.chunkId,
    score: c.rerankScore ?? c.score,
    snippet: snippetOf(c.text),
    charStart: c.charStart,
    charEnd: c.charEnd,
    cited,
    text: c.text,
  };
}

/**
 * Passes generated text through, holding back a possible citation mark ("[12", "【3") until it closes, so a reader of
 * the stream never sees a citation that is later removed; trailing spaces wait too, as they leave with a removed mark
 * or before punctuation, so the stream adds up to the checked answer.
 */
export function citationStreamFilter(sourceCount: number, emit: (text: string) => void): { push(text: string): void; end(): void } {
  let pending = "";
  const opening = /[ \t]*(?:[\[［【][\s\d,，、]*)?$/;
  return {
    push(text: string) {
      pending += text;
      const open = pending.match(opening);
      const cut = open && pending.length - open.index! <= 16 ? open.index! : pending.length;
      const ready = pending.slice(0, cut);
      pending = pending.slice(cut);
      if (ready) emit(checkCitations(ready, sourceCount).text);
    },
    end() {
      if (pending) emit(checkCitations(pending, sourceCount).text);
      pending = "";
    },
  };
}

/** A question after retrieval: the chunks found and how long it took. */
export interface RetrievedForQuestion {
  question: string;
  chunks: RetrievedChunk[];
  retrieveMs: number;
  startedAt: number;
}

/** Step 1: hybrid retrieval with the engine's settings (rank fusion, reranker, neighbour merging). */
export async function retrieveForQuestion(engine: QaEngine, options: Pick<AskOptions, "question" | "k" | "kbs">): Promise<RetrievedForQuestion> {
  const startedAt = performance.now();
  const question = options.question.trim();
  if (!question) throw new QuestionError("question: empty");
  const retrieval = await retrieveDetailed(retrievalOptions(engine, question, options.kbs, options.k));
  return { question, chunks: retrieval.chunks, retrieveMs: retrieval.timings.totalMs, startedAt };
}

/** A question ready to answer: numbered sources and, with a generator, the packed prompt. */
export interface PreparedQuestion extends RetrievedForQuestion {
  sources: Source[];
  packed: PackedPrompt | null;
  packMs: number;
}

/** Step 2: pack the window (generator) or number the top sources (extractive). */
export function prepareQuestion(engine: QaEngine, retrieved: RetrievedForQuestion, options: Pick<AskOptions, "history" | "longAnswer"> = {}): PreparedQuestion {
  const started = performance.now();
  const { generator, settings } = engine;
  if (!generator) {
    const sources = retrieved.chunks.map((chunk, i) => ({ n: i + 1, chunk }));
    return { ...retrieved, sources, packed: null, packMs: performance.now() - started };
  }
  const long = options.longAnswer ?? settings.generator.systemPrompt === "long";
  const packed = packWindow({
    question: retrieved.question,
    chunks: retrieved.chunks,
    templates: engine.templates,
    system: long ? engine.templates.systemLong : engine.templates.system,
    history: options.history,
    promptFormat: generator.promptFormat,
    contextSize: generator.contextSize,
    countPromptTokens: (p) => generator.countPromptTokens(p),
    countTextTokens: (t) => generator.tokenizer.tokenize(t).length,
    reserveTokens: settings.generator.maxTokens,
  });
  return { ...retrieved, sources: packed.sources, packed, packMs: performance.now() - started };
}

/** Step 3: generate (or extract) the answer and check its citations against the sources we numbered. */
export async function completeAnswer(engine: QaEngine, prepared: PreparedQuestion, options: Pick<AskOptions, "signal" | "onText" | "onSources"> = {}): Promise<Answer> {
  const { generator, settings } = engine;
  const { question, retrieveMs, packMs, startedAt } = prepared;
  if (!generator || !prepared.packed) {
    const extracted = extractiveAnswer({ question, sources: prepared.sources });
    const citations = prepared.sources.map((s) => toCitation(s, extracted.cited.includes(s.n)));
    options.onSources?.(citations);
    const text =
      extracted.text ||
      (/\p{Script=Han}/u.test(question) ? "在已收录的文档中没有找到能回答这个问题的内容。" : "The indexed documents do not contain an answer to this question.");
    options.onText?.(text);
    return {
      question,
      answer: text,
      mode: "extractive",
      citations,
      dropped: [],
      removedCitations: [],
      model: null,
      timings: { retrieveMs, packMs, firstTokenMs: null, totalMs: performance.now() - startedAt },
      usage: { promptTokens: 0, completionTokens: 0 },
      ...(extracted.span ? { answerSpan: extracted.span } : {}),
    };
  }
  const packed = prepared.packed;
  options.onSources?.(packed.sources.map((s) => toCitation(s, false)));
  const stream = options.onText ? citationStreamFilter(packed.sources.length, options.onText) : null;
  const result = await generator.generate({
    prompt: packed.prompt,
    maxTokens: settings.generator.maxTokens,
    sampling: {
      temperature: settings.generator.temperature,
      topK: settings.generator.topK,
      topP: settings.generator.topP,
      repeatPenalty: settings.generator.repeatPenalty,
    },
    signal: options.signal,
    onText: stream ? (t) => stream.push(t) : undefined,
  });
  stream?.end();
  const checked = checkCitations(result.text.trim(), packed.sources.length);
  return {
    question,
    answer: checked.text,
    mode: "generated",
    citations: packed.sources.map((s) => toCitation(s, checked.cited.includes(s.n))),
    dropped: packed.dropped.flatMap((c) => c.chunkIds),
    removedCitations: checked.removed,
    model: generator.name,
    timings: {
      retrieveMs,
      packMs,
      firstTokenMs: result.firstTokenMs,
      totalMs: performance.now() - startedAt,
      ...(result.draft ? { draft: result.draft } : {}),
    },
    usage: { promptTokens: result.promptTokens, completionTokens: result.completionTokens },
  };
}

/** The whole path: retrieve, prepare, complete. */
export async function answerQuestion(engine: QaEngine, options: AskOptions): Promise<Answer> {
  return (await answerWithRetrievalQuery(engine, { ...options, retrievalQuery: options.question })).answer;
}

/**
 * The whole path for a question searched for by other words (a follow-up joined to the questions before it,
 * qa/condense.ts): retrieval uses `retrievalQuery`; the prompt and the answer carry the user's own question. With no
 * generator the sentences are extracted by the question, or by the retrieval query when the question alone matches none
 * (a follow-up such as "还有呢？" names nothing); extraction is cheap, so the sources and text are handed on once chosen.
 */
export async function answerWithRetrievalQuery(
  engine: QaEngine,
  options: AskOptions & { retrievalQuery: string },
): Promise<{ answer: Answer; prepared: PreparedQuestion }> {
  const retrieved = await retrieveForQuestion(engine, { question: options.retrievalQuery, k: options.k, kbs: options.kbs });
  const question = options.question.trim();
  const prepared = prepareQuestion(engine, { ...retrieved, question }, options);
  if (prepared.packed) return { answer: await completeAnswer(engine, prepared, options), prepared };
  let answer = await completeAnswer(engine, prepared);
  if (retrieved.question !== question && answer.citations.every((c) => !c.cited))
    answer = { ...(await completeAnswer(engine, { ...prepared, question: retrieved.question })), question };
  options.onSources?.(answer.citations);
  options.onText?.(answer.answer);
  return { answer, prepared };
}
