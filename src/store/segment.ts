// Text as the lexical index sees it: traditional characters folded to simplified (so either script finds the other),
// lower-cased, and cut into words by jieba's search mode, joined by spaces for SQLite's FTS5 unicode61 tokenizer.
import { createRequire } from "node:module";
import { Jieba } from "@node-rs/jieba";
import * as OpenCC from "opencc-js";

const require = createRequire(import.meta.url);

let jieba: Jieba | null = null;
let toSimplified: ((s: string) => string) | null = null;

function segmenter(): Jieba {
  if (!jieba) {
    // The package ships its dictionary; loading it takes ~0.3 s, so it happens once per process.
    const { dict } = require("@node-rs/jieba/dict") as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
  }
  return jieba;
}

/** Traditional → simplified Chinese, character by character (no phrase rewriting, so offsets of meaning stay put). */
export function foldScript(text: string): string {
  toSimplified ??= OpenCC.Converter({ from: "t", to: "cn" });
  return toSimplified(text);
}

const wordPattern = /[\p{L}\p{N}]/u;

/** Words of `text` for the lexical index or a lexical query: folded, lower-cased, punctuation dropped. */
export function lexicalTerms(text: string): string[] {
  const folded = foldScript(text).toLowerCase();
  const words = segmenter().cutForSearch(folded, true);
  const terms: string[] = [];
  for (const w of words) {
    const t = w.trim();
    if (t && wordPattern.test(t)) terms.push(t);
  }
  return terms;
}

/** The space-joined form stored in the FTS5 table. */
export function segmentForIndex(text: string): string {
  return lexicalTerms(text).join(" ");
}

/** The distinct words of a question for the lexical index ([] when it has none). */
export function lexicalQuery(text: string): string[] {
  return [...new Set(lexicalTerms(text))];
}

/** An FTS5 MATCH expression that ORs the terms, each quoted so no term is read as syntax. */
export function matchExpression(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(" OR ");
}

/** Words of `text` with jieba's part-of-speech tags (nr person, ns place, nt organisation, m number, t time …). */
export function taggedWords(text: string): Array<{ word: string; tag: string }> {
  return segmenter().tag(foldScript(text), true);
}
