// Answers without a generator: the sentences of the sources that best answer the question, best first, each cited by
// its source number, and the sentence most likely to hold the answer marked as the answer span. Used when
// generator.model is "none" or no generator file is present.
//
// A question usually restates the sentence that answers it with the answer swapped for a question word, so a
// sentence scores by how much of the question it repeats: the question's words weighted by how rare they are among
// the candidate sentences, plus the characters it repeats in the question's order (a weighted longest common
// subsequence, which catches paraphrase that word segmentation misses). The passage's topic (a question word that the
// best source opens with) tells which passage, not which sentence, so it counts less. A sentence that holds the kind
// of thing asked for and that the question does not already hold (a year for 哪一年, a length for 多长, a number for
// 多少, a person or a place by jieba's part-of-speech tags for 谁 and 哪里, a 《title》, a cause for 为什么) counts
// more; asked what X is (什么是X), a sentence that opens with X (its definition) counts more; sources count less the
// lower they rank; sentences past 120 characters pay a little for their length. Asked why, when the best sentence
// states the consequence (因此…), the one before it (the reason) leads. The second sentence is the best of the rest,
// counting less when it matches only what the first already does.
// Measured on the CMRC 2018 trial set with `alpaca-rag eval` (README, "Extractive answers"); the weights were tuned on
// its even-numbered questions and hold on the odd ones.
import { foldScript, lexicalTerms, taggedWords } from "../store/segment.js";
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

/** Brackets a sentence end inside of does not end the sentence: 《你好！》 is a title, （…。） an aside. */
const closerOf: Record<string, string> = { "《": "》", "（": "）", "(": ")", "「": "」", "『": "』", "“": "”", "〈": "〉", "【": "】" };
/** How far ahead a bracket's closer is looked for: an opener with none near (a chunk cut mid-aside) is ignored. */
const bracketReach = 60;

/** Sentences with their offsets in `text` (trimmed; shorter than 2 characters left out). */
export function sentenceSpans(text: string): Array<{ text: string; start: number }> {
  const out: Array<{ text: string; start: number }> = [];
  const push = (from: number, to: number) => {
    const raw = text.slice(from, to);
    const trimmed = raw.trim();
    if (trimmed.length >= 2) out.push({ text: trimmed, start: from + raw.indexOf(trimmed) });
  };
  let from = 0;
  const open: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (closerOf[ch]) {
      open.push(closerOf[ch]);
      continue;
    }
    if (open.length && ch === open[open.length - 1]) {
      open.pop();
      continue;
    }
    const chinese = "。！？；…".includes(ch);
    // A Latin sentence ends at . ! ? before a space, unless the dot follows an initial ("S.G. Tallentyre", "John H. Smith").
    const latin = ".!?".includes(ch) && (i + 1 === text.length || /\s/.test(text[i + 1])) && !(ch === "." && /(?:^|[^A-Za-z])[A-Z]$/.test(text.slice(Math.max(0, i - 2), i)));
    if (ch !== "\n" && !chinese && !latin) continue;
    if (ch !== "\n" && open.length) {
      const closer = text.indexOf(open[open.length - 1], i + 1);
      if (closer >= 0 && closer - i <= bracketReach) continue;
      open.length = 0;
    }
    let end = i + 1;
    // Runs of end marks and the closing quotes after them belong to the sentence.
    while (end < text.length && (chinese ? /[。！？；…”」』）)]/ : /[.!?]/).test(text[end])) end++;
    push(from, end);
    from = end;
    i = end - 1;
    open.length = 0;
  }
  push(from, text.length);
  return out;
}

/** Question words and particles: what the answer replaces, so they are no evidence for a sentence. */
const questionWords =
  /(为什么|为何|什么时候|什么|哪一年|哪年|哪一天|哪一|哪个|哪些|哪种|哪所|哪家|哪里|哪儿|哪位|在哪|何时|何地|何人|多少|多久|多长|多高|多大|多重|多远|多宽|多深|几个|几|谁|怎么样|怎么|怎样|如何|是否|吗|呢|\b(?:what|which|who|whom|whose|when|where|why|how|many|much|long|does|did|do|is|are|was|were)\b|[？?])/gi;

/** Words too common to tell sentences apart. */
const stopTerms = new Set(["的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "而", "就", "被", "把", "对", "于", "以", "其", "之", "这", "那", "有", "为", "中", "上", "下", "个", "么", "主要", "一个", "哪", "the", "a", "an", "of", "in", "on", "to", "and"]);

/**
 * What kind of thing the question asks for, and how a sentence that holds one looks: a pattern, or jieba's
 * part-of-speech tags (nr person, ns place). Only a span the question does not already contain counts:
 * "2017年4月，他任什么职务？" is no reason to prefer every sentence with a year.
 */
interface AnswerKind {
  asks: RegExp;
  holds?: RegExp;
  tags?: readonly string[];
}

/** Asked why: the cause is the answer (an answer kind below, and the consequence rule in extractiveAnswer). */
const asksWhy = /为什么|为何|原因|何故|\bwhy\b/i;

const answerKinds: AnswerKind[] = [
  { asks: asksWhy, holds: /因为|由于|因此|所以|因而|导致|为了|以便|以免|原因|缘故|\bbecause\b|\bdue to\b|\bso that\b/gi },
  { asks: /哪一年|哪年|什么时候|何时|哪一天|几月|几日|年代|日期|\bwhen\b|\bwhat year\b/i, holds: /(\d{1,4}|[一二三四五六七八九〇零十百千]+)\s*(年|月|日|世纪|年代)|公元|西元|\b1\d{3}\b|\b20\d{2}\b/g },
  { asks: /多长|多高|多远|多宽|多深|多重|多大|面积|长度|高度|距离|重量|体长|how (long|tall|high|far|wide|deep|heavy|big)/i, holds: /[\d一二三四五六七八九十百千万亿.]+\s*(米|公里|千米|厘米|毫米|平方|公顷|吨|公斤|千克|克|英尺|英里|海里|亩|公分|公尺|km|m|cm|kg|miles?|feet|metres?|meters?)/gi },
  { asks: /多少|几个|几|多久|人口|数量|第几|how (many|much)/i, holds: /[\d一二三四五六七八九十两百千万亿]+/g },
  { asks: /哪本|哪部|什么书|什么作品|哪首|哪篇|什么小说|什么电影|什么歌/, holds: /《[^》]+》/g },
  { asks: /颜色|什么色|what colou?r/i, holds: /\p{Script=Han}{0,2}色|colou?r/giu },
  { asks: /谁|哪位|何人|什么人|创始人|作者|\bwho\b/i, holds: /\p{Script=Han}{1,4}·\p{Script=Han}{1,8}|\b[A-Z][a-z]+ [A-Z][a-z]+\b/gu, tags: ["nr", "nrt", "nrfg"] },
  { asks: /哪里|哪儿|在哪|何地|哪个国家|哪个城市|什么地方|什么地区|位于|地点|地区|分布|\bwhere\b/i, holds: /\p{Script=Han}{2,8}(省|市|县|区|州|国|岛|镇|村)|\b(in|at|near) [A-Z]\w+/gu, tags: ["ns", "nsf"] },
];

/** 什么是X, 何为X, X是什么 (X without 的 or a comma: a thing, not an aspect of one), what is X. */
const definitionQuestion = /^(?:什么是|何为|何谓|what (?:is|are) (?:an? |the )?)([^，,？?]{1,40})[？?]?$|^([^的，,？?]{1,15})是什么[？?]?$/i;

/** Whether `text` holds a span of the kind asked for that the question does not hold already. */
function holdsKind(kind: AnswerKind, text: string, questionNorm: string): boolean {
  const fresh = (span: string) => !questionNorm.includes(normal(span));
  if (kind.holds && [...text.matchAll(kind.holds)].some((m) => fresh(m[0]))) return true;
  if (kind.tags && /\p{Script=Han}/u.test(text)) return taggedWords(text).some((w) => kind.tags!.includes(w.tag) && fresh(w.word));
  return false;
}

/** How much each piece of evidence counts (tuned on the CMRC 2018 trial set; see the README's figures). */
const weights = {
  /** Share of a word's weight for a sentence holding only some of its characters. */
  partialWord: 0.5,
  /** Scale of the in-order character overlap against the word score. */
  characters: 10,
  /** Multiplier for the passage's topic words and characters. */
  topic: 0.2,
  /** Bonus for holding the kind of thing asked for. */
  answerKind: 0.3,
  /** Bonus, asked what X is, for a sentence that opens with X. */
  definition: 0.5,
  /** Score divided by 1 + this × the source's rank (0 for the best source). */
  rank: 2,
  /** Sentences longer than this many characters pay for their length … */
  longSentence: 120,
  /** … by this power of (length / longSentence). */
  length: 0.5,
  /** The second sentence's score is scaled down by up to this share when it repeats only what the first matched. */
  novelty: 0.3,
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
  /** Index of the sentence in its source. */
  index: number;
  norm: string;
  score: number;
}

function candidatesOf(sources: readonly Source[]): Candidate[] {
  return sources.flatMap((source, rank) =>
    sentenceSpans(source.chunk.text).map((s, index) => ({ sentence: s.text, n: source.n, rank, start: s.start, index, norm: normal(s.text), score: 0 })),
  );
}

/** Scores every candidate sentence against the question (see the file's first comment). */
function scoreCandidates(question: string, candidates: Candidate[]): ((text: string) => number) | null {
  const stripped = question.replace(questionWords, " ");
  const terms = [...new Set(lexicalTerms(stripped).map(normal).filter((t) => t && !stopTerms.has(t)))];
  if (terms.length === 0) return null;
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
  const kind = answerKinds.find((k) => k.asks.test(question)) ?? null;
  // Asked what something is (什么是X / X是什么): the sentence that opens with X is its definition.
  const definitionOf = definitionQuestion.exec(question.trim());
  const defined = definitionOf ? normal(definitionOf[1] ?? definitionOf[2] ?? "") : "";
  const qNorm = normal(question);

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
    if (kind && holdsKind(kind, c.sentence, qNorm)) score *= 1 + weights.answerKind;
    if (defined && normal(c.sentence.replace(/^\W*(?:the|an?)\s+/i, "")).startsWith(defined)) score *= 1 + weights.definition;
    score /= 1 + weights.rank * c.rank;
    score /= (Math.max(weights.longSentence, c.norm.length) / weights.longSentence) ** weights.length;
    c.score = score;
  }
  const qChars = new Set(q);
  return (text: string) => {
    let w = 0;
    for (const ch of new Set(normal(text))) if (qChars.has(ch)) w += charWeight(ch);
    return w;
  };
}

/** Consequence openings: the sentence before one of these gives the reason. */
const consequence = /^[\s“「]*(因此|所以|故|因而|于是|从而|\b(therefore|thus|hence|this is why)\b)/iu;

export function extractiveAnswer(options: ExtractiveOptions): ExtractiveAnswer {
  const candidates = candidatesOf(options.sources);
  const cover = scoreCandidates(options.question, candidates);
  const ranked = candidates.filter((c) => c.score > 0).sort((a, b) => b.score - a.score);
  if (ranked.length === 0 || !cover) return { text: "", cited: [], span: null };
  const top = ranked[0];
  const want = options.sentences ?? 2;
  const best = [top];
  // Asked why, and the best sentence states the consequence ("因此…"): the sentence before it gives the reason, so it
  // goes first and is the answer span.
  const before = candidates.find((c) => c.n === top.n && c.index === top.index - 1);
  if (want > 1 && before && asksWhy.test(options.question) && consequence.test(top.sentence)) best.unshift(before);
  // Further sentences: the best of the rest, counting less when they only repeat what the chosen ones already match,
  // so that the second sentence is a second guess rather than a paraphrase of the first.
  while (best.length < want) {
    const chosen = best.map((b) => b.sentence).join("");
    const already = cover(chosen);
    let pick: Candidate | null = null;
    let pickScore = 0;
    for (const c of ranked) {
      if (best.includes(c)) continue;
      if (c.score <= pickScore) break;
      const own = cover(c.sentence);
      const fresh = own > 0 ? Math.min(1, Math.max(0, (cover(chosen + c.sentence) - already) / own)) : 0;
      const s = c.score * (1 - weights.novelty + weights.novelty * fresh);
      if (s > pickScore) {
        pick = c;
        pickScore = s;
      }
    }
    if (!pick) break;
    best.push(pick);
  }
  const first = best[0];
  return {
    // A quoted sentence keeps its words but not its citation-like marks: only our [n] may cite.
    text: best.map((b) => `${neutraliseCitationMarks(b.sentence)}[${b.n}]`).join(" "),
    cited: [...new Set(best.map((b) => b.n))],
    // Narrower spans (the clause, the number asked for) were measured and held the gold answer less often.
    span: { citation: first.n, charStart: first.start, charEnd: first.start + first.sentence.length },
  };
}
