// Packs the best retrieved chunks into the generator's window: counted in the generator's own tokens, never over the
// budget, shown grouped by document in page order and numbered by us; earlier chat turns go first when space runs out.
import type { PromptInput } from "../models/generator.js";
import type { PromptFormatName } from "../models/catalog.js";
import type { ChatTurn } from "../models/promptFormat.js";
import type { RetrievedChunk } from "../retrieval/hybrid.js";
import { citationPattern } from "./citations.js";
import { fillTemplate, questionLanguage, renderSources, type PromptTemplates } from "./prompts.js";

/** A chunk as the model sees it: its number, label and text. */
export interface Source {
  n: number;
  chunk: RetrievedChunk;
}

/** The question and prompt template alone do not fit the generator's window: the asker must shorten the question. */
export class PromptTooLongError extends Error {
  override name = "PromptTooLongError";
}

export interface PackOptions {
  question: string;
  /** Retrieved chunks, best first. */
  chunks: readonly RetrievedChunk[];
  templates: PromptTemplates;
  /** The system prompt text (templates.system or templates.systemLong). */
  system: string;
  /** Earlier turns, oldest first; dropped oldest-first when the window is full. */
  history?: readonly ChatTurn[];
  promptFormat: PromptFormatName;
  /** The generator's window and exact token count of a rendered prompt. */
  contextSize: number;
  countPromptTokens: (prompt: PromptInput) => number;
  /** Tokens of a piece of text in the generator's vocabulary (for sizing each source before the exact check). */
  countTextTokens: (text: string) => number;
  /** Tokens kept free for the answer. */
  reserveTokens: number;
}

export interface PackedPrompt {
  prompt: PromptInput;
  sources: Source[];
  /** Retrieved chunks left out for space, best first. */
  dropped: RetrievedChunk[];
  /** History turns kept (the newest ones). */
  history: ChatTurn[];
  promptTokens: number;
  /** Tokens the sources could use (window − template, system prompt, question, history, reserve). */
  budget: number;
  language: "zh" | "en";
}

/**
 * Document text is data: a "[7]" (or "【7】", "[2, 7]": whatever checkCitations reads as a citation) inside it is
 * rewritten as "〔7〕" in the prompt so that nothing a document says can look like one of our source numbers. What
 * users see (snippets, citations) keeps the original text.
 */
export function neutraliseCitationMarks(text: string): string {
  return text.replace(citationPattern, "〔$1〕");
}

/** The location shown in a source's header when it has no page; neutralised too, as a title comes from the document. */
function placeOf(chunk: RetrievedChunk): string | null {
  return chunk.location && chunk.page === null ? neutraliseCitationMarks(chunk.location.label) : null;
}

function buildPrompt(o: PackOptions, history: readonly ChatTurn[], sources: readonly Source[], language: "zh" | "en"): PromptInput {
  const block = renderSources(
    sources.map((s) => ({ n: s.n, source: s.chunk.source, page: s.chunk.page, pageEnd: s.chunk.pageEnd, place: placeOf(s.chunk), text: neutraliseCitationMarks(s.chunk.text) })),
  );
  if (o.promptFormat === "llama2-chat") {
    const template = language === "zh" ? o.templates.ragZh : o.templates.ragEn;
    return { kind: "chat", chat: { system: o.system, history: [...history], user: fillTemplate(template, { sources: block, question: o.question }) } };
  }
  const template = language === "zh" ? o.templates.completionZh : o.templates.completionEn;
  return { kind: "completion", text: fillTemplate(template, { sources: block, question: o.question }) };
}

/** Presentation order: documents by their best chunk's rank, then each document's chunks in page/text order. */
function present(chosen: readonly RetrievedChunk[]): Source[] {
  const documentRank = new Map<number, number>();
  chosen.forEach((c, i) => {
    if (!documentRank.has(c.documentId)) documentRank.set(c.documentId, i);
  });
  const ordered = [...chosen].sort(
    (a, b) =>
      documentRank.get(a.documentId)! - documentRank.get(b.documentId)! ||
      (a.page ?? 0) - (b.page ?? 0) ||
      a.index - b.index,
  );
  return ordered.map((chunk, i) => ({ n: i + 1, chunk }));
}

export function packWindow(o: PackOptions): PackedPrompt {
  const language = questionLanguage(o.question);
  const limit = o.contextSize - o.reserveTokens;
  const history = [...(o.history ?? [])];
  const count = (sources: readonly Source[]) => o.countPromptTokens(buildPrompt(o, history, sources, language));

  // Old turns leave first while the bare prompt (no sources) plus the best source would not fit.
  const bestAlone = o.chunks.length ? [{ n: 1, chunk: o.chunks[0] }] : [];
  while (history.length > 0 && count(bestAlone) > limit) history.shift();
  const base = count([]);
  if (base > limit)
    throw new PromptTooLongError(
      `the question and prompt template take ${base} tokens, more than the ${limit} the ${o.contextSize}-token window leaves after reserving ${o.reserveTokens} for the answer`,
    );

  // Greedy in rank order, sizing each source block on its own (one tokenization per chunk, not per prompt), then the
  // whole prompt is counted exactly and the lowest-ranked sources leave until it fits.
  const chosen: RetrievedChunk[] = [];
  const dropped: RetrievedChunk[] = [];
  let estimate = base;
  for (const chunk of o.chunks) {
    const block = renderSources([{ n: chosen.length + 1, source: chunk.source, page: chunk.page, pageEnd: chunk.pageEnd, place: placeOf(chunk), text: neutraliseCitationMarks(chunk.text) }]);
    const cost = o.countTextTokens(`${block}\n\n`);
    if (estimate + cost <= limit) {
      chosen.push(chunk);
      estimate += cost;
    } else dropped.push(chunk);
  }
  let tokens = count(present(chosen));
  while (tokens > limit && chosen.length > 0) {
    dropped.unshift(chosen.pop()!);
    tokens = count(present(chosen));
  }
  dropped.sort((a, b) => o.chunks.indexOf(a) - o.chunks.indexOf(b));
  const sources = present(chosen);
  return {
    prompt: buildPrompt(o, history, sources, language),
    sources,
    dropped,
    history,
    promptTokens: tokens,
    budget: limit - base,
    language,
  };
}
