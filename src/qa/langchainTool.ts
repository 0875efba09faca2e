// The whole question path as a LangChain tool, so a `langchain` agent (createAgent) can consult the user's documents:
// a question in, the cited answer out (the text with its [n] marks and the numbered sources), the Answer object as
// the tool message's artifact for programs that want the offsets.
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { answerQuestion, type Answer } from "./answer.js";
import { placeLabel } from "./citations.js";
import type { QaEngine } from "./engine.js";
import { defaultKb } from "../store/kb.js";

export interface AnswerToolOptions {
  /** Knowledge bases answered from. Default: the "default" base only. */
  kbs?: readonly string[];
  /** The name the model calls it by. Default "search_documents". */
  name?: string;
  /** What the model is told the tool is for. Default: answers from the user's own documents, with citations. */
  description?: string;
  /** Sources retrieved per question. Default: the engine's retrieval.k. */
  k?: number;
}

const defaultDescription =
  "Answers a question from the user's own documents (local files: PDFs, Word, slides, web pages, notes), " +
  "in Chinese or English, and cites the file and page of each source as [n]. " +
  "Use it for any question about those documents; pass the question in full, as a standalone sentence.";

/** The answer as the agent reads it: the text, then the numbered sources it cites (all sources if it cites none). */
export function formatCitedAnswer(answer: Answer): string {
  const cited = answer.citations.filter((c) => c.cited);
  const shown = cited.length ? cited : answer.citations;
  if (!shown.length) return `${answer.answer}\n\nSources: none found.`;
  const lines = shown.map((c) => `[${c.n}] ${c.source}${placeLabel(c)}`);
  return `${answer.answer}\n\nSources:\n${lines.join("\n")}`;
}

/**
 * A LangChain tool over an opened engine: `createAgent({ model, tools: [createAnswerTool(engine)] })`. It answers
 * exactly as `alpaca-rag ask` does (same retrieval settings, generator or extractive); the engine stays open.
 */
export function createAnswerTool(engine: QaEngine, options: AnswerToolOptions = {}) {
  return tool(
    async ({ question }, config): Promise<[string, Answer]> => {
      const answer = await answerQuestion(engine, { question, kbs: options.kbs ?? [defaultKb], k: options.k, signal: config?.signal });
      return [formatCitedAnswer(answer), answer];
    },
    {
      name: options.name ?? "search_documents",
      description: options.description ?? defaultDescription,
      schema: z.object({ question: z.string().min(1).describe("The question, complete and standalone.") }),
      responseFormat: "content_and_artifact",
    },
  );
}
