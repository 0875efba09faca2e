// How `chat` shows things to a person: the footer under an answer (sources, time taken) and /sources in full.
import type { Answer } from "../qa/answer.js";
import { placeLabel } from "../qa/citations.js";
import { formatSources } from "./commands/ask.js";

/** "Took 1.23 s (stories260K.gguf, 48 tokens, first token 0.05 s)" or "Took 0.04 s (extractive)". */
export function formatTiming(answer: Answer, stopped = false): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  const detail =
    answer.mode === "extractive"
      ? "extractive"
      : [answer.model, `${answer.usage.completionTokens} tokens`, answer.timings.firstTokenMs === null ? null : `first token ${seconds(answer.timings.firstTokenMs)} s`]
          .filter(Boolean)
          .join(", ");
  return `${stopped ? "Stopped after" : "Took"} ${seconds(answer.timings.totalMs)} s (${detail})\n`;
}

/** What follows the answer's text: numbered sources, removed citations, time taken. */
export function formatAnswerFooter(answer: Answer, stopped = false): string {
  const removed = answer.removedCitations.length ? `(removed citations to unknown sources: ${answer.removedCitations.map((n) => `[${n}]`).join(" ")})\n` : "";
  return `\n\n${formatSources(answer)}${removed}${formatTiming(answer, stopped)}`;
}

/** /sources: every source of the last answer with its whole text, indented under its label. */
export function formatFullSources(answer: Answer | null): string {
  if (!answer) return "No answer yet: ask a question first.\n";
  if (!answer.citations.length) return "The last answer had no sources.\n";
  return answer.citations
    .map((c) => {
      const body = c.text.trim().split("\n").map((line) => `    ${line}`).join("\n");
      return `[${c.n}]${c.cited ? "*" : ""} ${c.source}${placeLabel(c)}  (score ${c.score.toFixed(3)})\n${body}\n`;
    })
    .join("\n");
}
