// Answers without a generator: the sentences of the top sources that share the most words with the question, each
// cited by its source number. Used when generator.model is "none" or no generator file is present.
import { lexicalTerms } from "../store/segment.js";
import { neutraliseCitationMarks, type Source } from "./pack.js";

export interface ExtractiveOptions {
  question: string;
  sources: readonly Source[];
  /** Sentences in the answer. Default 2. */
  sentences?: number;
}

/** Sentences of a text with their end punctuation: Chinese 。！？；… and Latin . ! ? followed by a space. */
export function sentencesOf(text: string): string[] {
  const out: string[] = [];
  const pattern = /[^。！？；…!?\n]+(?:[。！？；…]+[”」』）)]*|[.!?]+(?=\s|$)|\n|$)/g;
  for (const m of text.matchAll(pattern)) {
    const s = m[0].trim();
    if (s.length >= 2) out.push(s);
  }
  return out;
}

/** Characters pairs of Han text and whole Latin words: robust overlap for Chinese without trusting segmentation alone. */
function features(text: string): Set<string> {
  const set = new Set(lexicalTerms(text));
  const han = text.replace(/[^\p{Script=Han}]/gu, "");
  for (let i = 0; i + 1 < han.length; i++) set.add(han.slice(i, i + 2));
  return set;
}

export function extractiveAnswer(options: ExtractiveOptions): { text: string; cited: number[] } {
  const wanted = features(options.question);
  const scored: Array<{ sentence: string; n: number; score: number; order: number }> = [];
  let order = 0;
  for (const source of options.sources) {
    for (const sentence of sentencesOf(source.chunk.text)) {
      const f = features(sentence);
      let overlap = 0;
      for (const w of wanted) if (f.has(w)) overlap += w.length;
      // Prefer sentences from better-ranked sources when overlap ties.
      scored.push({ sentence, n: source.n, score: overlap - order * 1e-6, order: order++ });
    }
  }
  const best = scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.sentences ?? 2)
    .sort((a, b) => a.order - b.order);
  if (best.length === 0) return { text: "", cited: [] };
  const cited = [...new Set(best.map((b) => b.n))];
  // A quoted sentence keeps its words but not its citation-like marks: only our [n] may cite.
  return { text: best.map((b) => `${neutraliseCitationMarks(b.sentence)}[${b.n}]`).join(" "), cited };
}
