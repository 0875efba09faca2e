// Citations belong to us: the numbers are the sources we gave the model. Any [n] in the answer that is not one of them
// is removed and reported; the sources the answer really cites are marked.
import type { SourceLocation } from "../ingest/types.js";

export interface CitationCheck {
  /** The answer with unknown citation marks removed. */
  text: string;
  /** Source numbers the answer cites, in order of first use. */
  cited: number[];
  /** Numbers the model wrote that are not sources we gave it. */
  removed: number[];
}

/** [3], ［3］, 【3】, and lists such as [1, 3] or [1，3]. */
export const citationPattern = /[\[［【]\s*(\d{1,4}(?:\s*[,，、]\s*\d{1,4})*)\s*[\]］】]/g;

/** A mark with the spaces before it, which leave with it when none of its numbers is a source ("see [99] here"). */
const citationWithSpaces = new RegExp(`([ \\t]*)${citationPattern.source}`, "g");

export function checkCitations(answer: string, sourceCount: number): CitationCheck {
  const cited: number[] = [];
  const removed: number[] = [];
  const text = answer.replace(citationWithSpaces, (_match, spaces: string, list: string) => {
    const numbers = list.split(/[,，、]/).map((n) => Number(n.trim()));
    const valid = numbers.filter((n) => Number.isInteger(n) && n >= 1 && n <= sourceCount);
    for (const n of numbers) if (!valid.includes(n)) removed.push(n);
    for (const n of valid) if (!cited.includes(n)) cited.push(n);
    return valid.length ? spaces + valid.map((n) => `[${n}]`).join("") : "";
  });
  return { text: text.replace(/[ \t]+([。，！？.,!?])/g, "$1"), cited, removed };
}

/** " p.3", " p.3–4" for pages (PDFs, scans); else the location's label (" slide 4", " § 安装"); "" when nowhere. */
export function placeLabel(place: { page: number | null; pageEnd: number | null; location: SourceLocation | null }): string {
  const { page, pageEnd, location } = place;
  if (page !== null) return pageEnd !== null && pageEnd !== page ? ` p.${page}–${pageEnd}` : ` p.${page}`;
  return location ? ` ${location.label}` : "";
}
