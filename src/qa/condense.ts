// Follow-up questions in a conversation: decides when a new question leans on the one before ("它有多长？",
// "what about the roof?") and forms the retrieval query from both, so search finds the subject the user left out.

export interface CondenseOptions {
  /** The new question. */
  question: string;
  /** The previous turn's retrieval query (itself perhaps condensed); undefined at the start of a conversation. */
  previous?: string;
  /** Questions of at most this many words (a Han character counts as one) are taken as follow-ups. Default 4. */
  shortWords?: number;
  /** Longest query formed; the oldest questions leave first. Default 300 characters. */
  maxChars?: number;
}

// Openings that point back at something said before.
const zhOpening = /^(?:它|他|她|这|那|其|该|此|还有|另外|那么|然后|为什么呢)/;
const enOpening = /^(?:and|but|also|so|then|what about|how about|what else|it|its|it's|they|them|their|that|this|those|these|he|she|his|her)\b/i;
// Pronouns that need an antecedent wherever they stand (English only: Chinese characters are too ambiguous mid-text).
const enPronoun = /\b(?:it|its|it's|they|them|their|he|she|him|his|her)\b/i;

/** Words of a question: each Han character and each Latin/number run. */
function wordCount(text: string): number {
  return (text.match(/\p{Script=Han}|[\p{L}\p{N}]+/gu) ?? []).length;
}

/** Whether `question` reads as a follow-up to an earlier question. */
export function isFollowUp(question: string, shortWords = 4): boolean {
  const q = question.trim().replace(/^["'“‘「『(（\s]+/u, "");
  if (!q) return false;
  if (wordCount(q) <= shortWords) return true;
  if (zhOpening.test(q) || enOpening.test(q) || enPronoun.test(q)) return true;
  // "那座桥呢？", "长度呢": a question ending in 呢 without its own verb usually continues the last one.
  return /呢[？?。]?$/.test(q);
}

/**
 * The query to retrieve with: the question alone, or, for a follow-up, the previous query then the question, one per
 * line. Lines beyond `maxChars` are dropped oldest first so a long chain of follow-ups cannot grow without end.
 */
export function condenseQuery(options: CondenseOptions): string {
  const question = options.question.trim();
  const previous = options.previous?.trim();
  if (!previous || !isFollowUp(question, options.shortWords)) return question;
  const lines = [...previous.split("\n").map((l) => l.trim()).filter(Boolean), question];
  const maxChars = options.maxChars ?? 300;
  while (lines.length > 1 && lines.join("\n").length > maxChars) lines.shift();
  return lines.join("\n");
}
