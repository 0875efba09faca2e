// Reads the CMRC 2018 trial passages (SQuAD layout) from ../shared at run time.
import fs from "node:fs";
import path from "node:path";
import { sharedPath } from "./paths.js";

export const cmrcTrialPath = sharedPath("data", "cmrc2018", "cmrc2018_trial.json");

export interface CmrcPassage {
  /** data[].id and paragraphs[].id joined when they differ, e.g. "TRIAL_800". */
  id: string;
  context: string;
}

interface SquadFile {
  data: { id?: string; paragraphs: { id?: string; context: string; qas?: { question: string }[] }[] }[];
}

/** Every passage in file order (duplicates included). */
export function readCmrcPassages(file = cmrcTrialPath): CmrcPassage[] {
  const squad = JSON.parse(fs.readFileSync(file, "utf8")) as SquadFile;
  return squad.data.flatMap((article, a) =>
    article.paragraphs.map((p, i) => {
      const articleId = article.id ?? `article-${a}`;
      const id = p.id && p.id !== articleId ? `${articleId}_${p.id}` : (p.id ?? `${articleId}-${i}`);
      return { id, context: p.context };
    }),
  );
}

/** Every passage in file order as p0000.txt, p0001.txt, … in `dir` (which must exist); returns how many. */
export function writeCmrcInbox(dir: string, file = cmrcTrialPath): number {
  const passages = readCmrcPassages(file);
  passages.forEach((p, i) => fs.writeFileSync(path.join(dir, `p${String(i).padStart(4, "0")}.txt`), p.context));
  return passages.length;
}

/** Every question in file order (duplicates and blank ones included). */
export function readCmrcQuestions(file = cmrcTrialPath): string[] {
  const squad = JSON.parse(fs.readFileSync(file, "utf8")) as SquadFile;
  return squad.data.flatMap((article) => article.paragraphs.flatMap((p) => (p.qas ?? []).map((q) => q.question)));
}
