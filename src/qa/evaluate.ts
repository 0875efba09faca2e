// `alpaca-rag eval`: SQuAD/CMRC-format data ingested into a fresh temporary store, every question asked; retrieval
// recall@1/5/10 and MRR of the gold passage, how often the gold answer reaches the model, and with a generator the
// CMRC 2018 exact match and F1 (character level, punctuation removed, F1 by longest common substring).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import type { Settings } from "../config/schema.js";
import { ingestFolder } from "../ingest/pipeline.js";
import { evaluateRetrieval } from "../retrieval/evaluate.js";
import { answerQuestion } from "./answer.js";
import { citationPattern } from "./citations.js";
import { openEngine } from "./engine.js";
import { sentencesOf } from "./extractive.js";
import { defaultKb } from "../store/kb.js";
import { openStore } from "../store/open.js";
import { retrievalOptions } from "./search.js";

const datasetSchema = z.object({
  data: z.array(
    z.object({
      id: z.string().optional(),
      title: z.string().optional(),
      paragraphs: z.array(
        z.object({
          id: z.string().optional(),
          context: z.string(),
          qas: z.array(z.object({ id: z.string().optional(), question: z.string(), answers: z.array(z.object({ text: z.string() })) })),
        }),
      ),
    }),
  ),
});

export interface EvalOptions {
  settings: Settings;
  dataset: string;
  /** Ask at most this many questions (passages of those questions are all ingested). */
  limit?: number;
  /** The knowledge base the passages go into (in the temporary store) and questions are asked of. Default "default". */
  kb?: string;
  onProgress?: (done: number, total: number, phase: "ingest" | "ask") => void;
}

export interface EvalReport {
  dataset: string;
  passages: number;
  questions: number;
  retrieval: { mode: string; recallAt1: number; recallAt5: number; recallAt10: number; mrr: number; meanMs: number };
  /** Share of questions whose gold answer text is inside the sources given to the model. */
  answerInContext: number;
  /** Present when a generator answered. */
  generation: { model: string; exactMatch: number; f1: number; meanSeconds: number } | null;
  /** Present in extractive mode (no generator): how well the chosen sentences point at the gold answer. */
  extractive: ExtractiveQuality | null;
  mode: "generated" | "extractive";
  ingestSeconds: number;
}

/** The extractive answer measured against the gold answers (shares of the questions asked, and means). */
export interface ExtractiveQuality {
  /** The answer (its sentences, citation marks aside) contains a gold answer. */
  answerContainsGold: number;
  /** Its first sentence does. */
  firstSentenceContainsGold: number;
  /** The marked answer span (answerSpan) contains a gold answer. */
  spanContainsGold: number;
  /** CMRC F1 of the marked span against the gold answers. */
  spanF1: number;
  meanSentences: number;
  /** Characters of the answer without its citation marks. */
  meanChars: number;
}

const punctuation = /[\s\p{P}\p{S}]/gu;

/** CMRC 2018's mixed segmentation: each CJK character alone, runs of other letters/digits as words. */
export function cmrcSegments(text: string): string[] {
  const out: string[] = [];
  let word = "";
  for (const ch of text.toLowerCase()) {
    if (/[\p{Script=Han}\p{P}\p{S}\s]/u.test(ch)) {
      if (word) out.push(word);
      word = "";
      if (/\p{Script=Han}/u.test(ch)) out.push(ch);
    } else word += ch;
  }
  if (word) out.push(word);
  return out;
}

function longestCommonSubstring(a: string[], b: string[]): number {
  let best = 0;
  const prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const keep = prev[j];
      prev[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : 0;
      if (prev[j] > best) best = prev[j];
      diagonal = keep;
    }
  }
  return best;
}

export function cmrcF1(prediction: string, golds: readonly string[]): number {
  const p = cmrcSegments(prediction);
  let best = 0;
  for (const gold of golds) {
    const g = cmrcSegments(gold);
    const lcs = longestCommonSubstring(p, g);
    if (lcs === 0) continue;
    const precision = lcs / p.length;
    const recall = lcs / g.length;
    best = Math.max(best, (2 * precision * recall) / (precision + recall));
  }
  return best;
}

export function cmrcExactMatch(prediction: string, golds: readonly string[]): number {
  const p = prediction.toLowerCase().replace(punctuation, "");
  return golds.some((g) => g.toLowerCase().replace(punctuation, "") === p) ? 1 : 0;
}

export async function evaluateDataset(options: EvalOptions): Promise<EvalReport> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(options.dataset, "utf8"));
  } catch (e) {
    throw new Error(`--dataset ${options.dataset}: ${(e as Error).message}`);
  }
  const parsed = datasetSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`--dataset ${options.dataset}: not SQuAD/CMRC format (${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message})`);

  // Every passage becomes one text file; questions keep the name of their passage's file as the gold source.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-eval-"));
  const inbox = path.join(work, "passages");
  fs.mkdirSync(inbox);
  const questions: Array<{ question: string; answers: string[]; gold: string }> = [];
  let passages = 0;
  parsed.data.data.forEach((article, a) =>
    article.paragraphs.forEach((p, i) => {
      const name = `${(p.id ?? `${article.id ?? a}-${i}`).replace(/[^\w.-]/g, "_")}.txt`;
      fs.writeFileSync(path.join(inbox, name), p.context);
      passages += 1;
      for (const qa of p.qas)
        if (qa.question.trim()) questions.push({ question: qa.question, answers: qa.answers.map((x) => x.text), gold: name });
    }),
  );
  const asked = questions.slice(0, options.limit ?? questions.length);
  const settings: Settings = { ...options.settings, store: path.join(work, "store"), inbox };
  try {
    const kb = options.kb ?? defaultKb;
    if (kb !== defaultKb) {
      const store = await openStore(settings, { write: true, purpose: "eval" });
      try {
        await store.createKb(kb);
      } finally {
        await store.close();
      }
    }
    const summary = await ingestFolder({ settings, kb, folder: inbox });
    options.onProgress?.(passages, passages, "ingest");
    const engine = await openEngine(settings);
    try {
      const retrieval = await evaluateRetrieval({
        store: engine.store,
        embedder: engine.embedder,
        questions: asked.map((q) => ({ question: q.question, goldPaths: [q.gold] })),
        kbs: [kb],
        k: 10,
        candidates: settings.retrieval.candidates,
        weights: retrievalOptions(engine, "", [kb]).weights,
      });
      let inContext = 0;
      const quality = { answer: 0, first: 0, span: 0, spanF1: 0, sentences: 0, chars: 0 };
      let em = 0;
      let f1 = 0;
      let seconds = 0;
      for (const [i, q] of asked.entries()) {
        const answer = await answerQuestion(engine, { question: q.question, kbs: [kb] });
        const context = answer.citations.map((c) => c.text).join("\n");
        if (q.answers.some((a) => a && context.includes(a))) inContext += 1;
        if (answer.mode === "extractive") {
          const plain = answer.answer.replace(citationPattern, "");
          const sentences = sentencesOf(plain);
          // Compared without spaces and punctuation, as CMRC's exact match does: a gold answer may carry a stray "。".
          const bare = (text: string) => text.toLowerCase().replace(punctuation, "");
          const has = (text: string) => q.answers.some((a) => bare(a) && bare(text).includes(bare(a)));
          quality.answer += has(plain) ? 1 : 0;
          quality.first += sentences.length && has(sentences[0]) ? 1 : 0;
          const span = answer.answerSpan ? answer.citations.find((c) => c.n === answer.answerSpan!.citation)!.text.slice(answer.answerSpan.charStart, answer.answerSpan.charEnd) : "";
          quality.span += span && has(span) ? 1 : 0;
          quality.spanF1 += span ? cmrcF1(span, q.answers) : 0;
          quality.sentences += sentences.length;
          quality.chars += plain.replace(/\s+/g, "").length;
        }
        if (answer.mode === "generated") {
          em += cmrcExactMatch(answer.answer, q.answers);
          f1 += cmrcF1(answer.answer, q.answers);
          seconds += answer.timings.totalMs / 1000;
        }
        options.onProgress?.(i + 1, asked.length, "ask");
      }
      const n = Math.max(1, asked.length);
      return {
        dataset: options.dataset,
        passages,
        questions: asked.length,
        retrieval: { mode: retrieval.mode, recallAt1: retrieval.recallAt1, recallAt5: retrieval.recallAt5, recallAt10: retrieval.recallAt10, mrr: retrieval.mrr, meanMs: retrieval.meanMs },
        answerInContext: inContext / n,
        generation: engine.generator ? { model: engine.generator.name, exactMatch: em / n, f1: f1 / n, meanSeconds: seconds / n } : null,
        extractive: engine.generator
          ? null
          : {
              answerContainsGold: quality.answer / n,
              firstSentenceContainsGold: quality.first / n,
              spanContainsGold: quality.span / n,
              spanF1: quality.spanF1 / n,
              meanSentences: quality.sentences / n,
              meanChars: quality.chars / n,
            },
        mode: engine.generator ? "generated" : "extractive",
        ingestSeconds: summary.seconds,
      };
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
