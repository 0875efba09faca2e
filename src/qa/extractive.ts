// Answers without a generator: the sentences of the sources that best answer the question, best first, each cited by
// its source number, and the sentence most likely to hold the answer marked as the answer span. Used when
// generator.model is "none" or no generator file is present.
//
// A question usually restates the sentence that answers it with the answer swapped for a question word, so a
// sentence scores by how much of the question it repeats: the question's words weighted by how rare they are among
// the candidate sentences, plus the characters it repeats in the question's order (a weighted longest common
// subsequence, which catches paraphrase that word segmentation misses). The passage's topic (a question word that the
// best source opens with) tells which passage, not which sentence, so it counts less; a sentence that holds the kind
// of thing asked for (a year for 哪一年, a length for 多长, a number for 多少) counts more; better-ranked sources win
// ties. Measured on the CMRC 2018 trial set with `alpaca-rag eval` (README, "Extractive answers").
import { foldScript, lexicalTerms } from "../store/segment.js";
import { neutraliseCitationMarks, type Source } from "./pack.js";

export interface ExtractiveOptions {
  question: string;
  sources: readonly Source[];
  /** Sentences in the answer. Default 2. */
  sentences?: number;
}

/** Where the likely answer is: offsets into the `text` of the source numbered `citation`. */
export interface AnswerSpan {
  citation: number;
  charStart: number;
  charEnd: number;
}

export interface ExtractiveAnswer {
  /** The chosen sentences, best first, each followed by its [n]; empty when no sentence shares anything with the question. */
  text: string;
  cited: number[];
  span: AnswerSpan | null;
}

/** Sentences of a text with their end punctuation: Chinese 。！？；… and Latin . ! ? followed by a space. */
export function sentencesOf(text: string): string[] {
  return sentenceSpans(text).map((s) => s.text);
}

/** Sentences with their offsets in `text` (trimmed; shorter than 2 characters left out). */
export function sentenceSpans(text: string): Array<{ text: string; start: number }> {
  const out: Array<{ text: string; start: number }> = [];
  // Lazy, so a Latin sentence ends at its first ". " (a decimal point or "e.g" without a space does not end one).
  const pattern = /[^。！？；…!?\n]+?(?:[。！？；…]+[”」』）)]*|[.!?]+(?=\s|$)|\n|$)/g;
  for (const m of text.matchAll(pattern)) {
    const raw = m[0];
    const trimmed = raw.trim();
    if (trimmed.length >= 2) out.push({ text: trimmed, start: m.index + raw.indexOf(trimmed) });
  }
  return out;
}

/** Question words and particles: what the answer replaces, so they are no evidence for a sentence. */
const questionWords =
  /(为什么|为何|什么时候|什么|哪一年|哪年|哪一天|哪一|哪个|哪些|哪种|哪所|哪家|哪里|哪儿|哪位|在哪|何时|何地|何人|多少|多久|多长|多高|多大|多重|多远|多宽|多深|几个|几|谁|怎么样|怎么|怎样|如何|是否|吗|呢|\b(?:what|which|who|whom|whose|when|where|why|how|many|much|long|does|did|do|is|are|was|were)\b|[？?])/gi;

/** Words too common to tell sentences apart. */
const stopTerms = new Set(["的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "而", "就", "被", "把", "对", "于", "以", "其", "之", "这", "那", "有", "为", "中", "上", "下", "个", "么", "主要", "一个", "哪", "the", "a", "an", "of", "in", "on", "to", "and"]);

/** What kind of thing the question asks for, and how a sentence that holds one looks. */
const answerKinds: Array<{ asks: RegExp; holds: RegExp }> = [
  { asks: /哪一年|哪年|什么时候|何时|哪一天|几月|几日|年代|日期|\bwhen\b|\bwhat year\b/i, holds: /(\d{1,4}|[一二三四五六七八九〇零十百千]+)\s*(年|月|日|世纪|年代)|公元|西元|\b1\d{3}\b|\b20\d{2}\b/ },
  { asks: /多长|多高|多远|多宽|多深|多重|多大|面积|长度|高度|距离|重量|体长|how (long|tall|high|far|wide|deep|heavy|big)/i, holds: /[\d一二三四五六七八九十百千万亿.]+\s*(米|公里|千米|厘米|毫米|平方|公顷|吨|公斤|千克|克|英尺|英里|海里|亩|公分|km|m|cm|kg|miles?|feet|metres?|meters?)/i },
  { asks: /多少|几个|几|多久|人口|数量|第几|how (many|much)/i, holds: /[\d一二三四五六七八九十两百千万亿]+/ },
  { asks: /颜色|什么色|what colou?r/i, holds: /色|colou?r/i },
  { asks: /谁|哪位|何人|什么人|创始人|作者|\bwho\b/i, holds: /\p{Script=Han}{1,4}·\p{Script=Han}{1,8}|由|作者|创办|创立|发明|提出|\b[A-Z][a-z]+ [A-Z][a-z]+\b/u },
  { asks: /哪里|哪儿|在哪|何地|哪个国家|哪个城市|位于|地点|地区|分布|\bwhere\b/i, holds: /位于|分布|\p{Script=Han}{2,8}(省|市|县|区|州|国|岛|镇|村)|\b(in|at|near) [A-Z]/u },
];

/** How much each piece of evidence counts (tuned on the CMRC 2018 trial set; see the README's figures). */
const weights = {
  /** Share of a word's weight for a sentence holding only some of its characters. */
  partialWord: 0.5,
  /** Scale of the in-order character overlap against the word score. */
  characters: 10,
  /** Multiplier for the passage's topic words and characters. */
  topic: 0.3,
  /** Bonus for holding the kind of thing asked for. */
  answerKind: 0.3,
  /** Score divided by 1 + this × the source's rank (0 for the best source). */
  rank: 0.6,
  /** Longer sentences pay a little for their length (past 15 characters). */
  length: 0.1,
};

/** Folded to simplified, lower case, punctuation and spaces out: what is compared. */
function normal(text: string): string {
  return foldScript(text).toLowerCase().replace(/[\s\p{P}\p{S}]/gu, "");
}

/** The weighted longest common subsequence of two strings' characters: how much of `q` `s` repeats, in order. */
function weightedLcs(q: string, s: string, weightOf: (ch: string) => number): number {
  const prev = new Float64Array(s.length + 1);
  const cur = new Float64Array(s.length + 1);
  for (let i = 1; i <= q.length; i++) {
    const w = weightOf(q[i - 1]);
    for (let j = 1; j <= s.length; j++) cur[j] = q[i - 1] === s[j - 1] ? prev[j - 1] + w : Math.max(prev[j], cur[j - 1]);
    prev.set(cur);
  }
  return prev[s.length];
}

interface Candidate {
  sentence: string;
  n: number;
  /** 0 for the best-ranked source. */
  rank: number;
  /** Offset of the sentence in its source's text. */
  start: number;
  norm: string;
  score: number;
}

function candidatesOf(sources: readonly Source[]): Candidate[] {
  return sources.flatMap((source, rank) =>
    sentenceSpans(source.chunk.text).map((s) => ({ sentence: s.text, n: source.n, rank, start: s.start, norm: normal(s.text), score: 0 })),
  );
}

/** Scores every candidate sentence against the question (see the file's first comment). */
function scoreCandidates(question: string, candidates: Candidate[]): void {
  const stripped = question.replace(questionWords, " ");
  const terms = [...new Set(lexicalTerms(stripped).map(normal).filter((t) => t && !stopTerms.has(t)))];
  if (terms.length === 0) return;
  const total = candidates.length;
  const opening = candidates.find((c) => c.rank === 0)?.norm ?? "";
  const isTopic = (t: string) => t.length >= 2 && opening.includes(t);
  const termWeight = new Map<string, number>();
  for (const t of terms) {
    const df = candidates.filter((c) => c.norm.includes(t)).length;
    termWeight.set(t, Math.log(1 + total / (1 + df)) * (isTopic(t) ? weights.topic : 1));
  }
  const charDf = new Map<string, number>();
  for (const c of candidates) for (const ch of new Set(c.norm)) charDf.set(ch, (charDf.get(ch) ?? 0) + 1);
  const topicChars = new Set(terms.filter(isTopic).join(""));
  const charWeight = (ch: string) =>
    (stopTerms.has(ch) ? 0.1 : Math.log(1 + total / (1 + (charDf.get(ch) ?? 0)))) * (topicChars.has(ch) ? weights.topic : 1);
  const q = normal(stripped);
  let qWeight = 0;
  for (const ch of q) qWeight += charWeight(ch);
  const kind = answerKinds.find((k) => k.asks.test(question))?.holds ?? null;

  for (const c of candidates) {
    let score = 0;
    let whole = 0;
    for (const t of terms) {
      const w = termWeight.get(t)!;
      if (c.norm.includes(t)) {
        score += w;
        whole += 1;
      } else if (t.length >= 2 && /\p{Script=Han}/u.test(t)) {
        let hit = 0;
        for (const ch of t) if (c.norm.includes(ch)) hit++;
        score += weights.partialWord * w * (hit / t.length) ** 2;
      }
    }
    // Letters and characters scattered in the right order are no evidence unless one of the question's words is there.
    if (whole === 0) continue;
    if (qWeight > 0) score += (weights.characters * weightedLcs(q, c.norm, charWeight)) / qWeight;
    if (kind?.test(c.sentence)) score *= 1 + weights.answerKind;
    score /= 1 + weights.rank * c.rank;
    score /= (Math.max(15, c.norm.length) / 15) ** weights.length;
    c.score = score;
  }
}

export function extractiveAnswer(options: ExtractiveOptions): ExtractiveAnswer {
  const candidates = candidatesOf(options.sources);
  scoreCandidates(options.question, candidates);
  const best = candidates
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.sentences ?? 2);
  if (best.length === 0) return { text: "", cited: [], span: null };
  const top = best[0];
  return {
    // A quoted sentence keeps its words but not its citation-like marks: only our [n] may cite.
    text: best.map((b) => `${neutraliseCitationMarks(b.sentence)}[${b.n}]`).join(" "),
    cited: [...new Set(best.map((b) => b.n))],
    // Narrower spans (the clause, the number asked for) were measured and held the gold answer less often.
    span: { citation: top.n, charStart: top.start, charEnd: top.start + top.sentence.length },
  };
}
