// The CMRC 2018 trial set as a retrieval test: each distinct passage written as one .txt file, and every non-empty
// question paired with the file of its passage (its gold document).
import fs from "node:fs";
import path from "node:path";
import { cmrcTrialPath } from "./cmrc.js";

export interface CmrcQuestion {
  question: string;
  /** File name (in the corpus folder) of the passage that answers it. */
  goldFile: string;
}

export interface CmrcQuestionSet {
  dir: string;
  passages: number;
  questions: CmrcQuestion[];
}

interface SquadFile {
  data: { id?: string; paragraphs: { id?: string; context: string; qas: { question: string }[] }[] }[];
}

/**
 * Writes the first `passages` distinct passages (default all) into `dir` (emptied first) and returns their questions.
 * A passage that appears twice keeps its first file, so a question's gold file always exists.
 */
export function writeCmrcQuestionSet(dir: string, options: { passages?: number; file?: string } = {}): CmrcQuestionSet {
  const squad = JSON.parse(fs.readFileSync(options.file ?? cmrcTrialPath, "utf8")) as SquadFile;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const fileOf = new Map<string, string>();
  const questions: CmrcQuestion[] = [];
  const limit = options.passages ?? Infinity;
  for (const [a, article] of squad.data.entries()) {
    for (const [i, p] of article.paragraphs.entries()) {
      let file = fileOf.get(p.context);
      if (!file) {
        if (fileOf.size >= limit) continue;
        file = `${(p.id ?? `${article.id ?? a}-${i}`).replace(/[^\w.-]/g, "_")}.txt`;
        while ([...fileOf.values()].includes(file)) file = file.replace(/\.txt$/, "-2.txt");
        fileOf.set(p.context, file);
        fs.writeFileSync(path.join(dir, file), p.context, "utf8");
      }
      for (const qa of p.qas) if (qa.question.trim()) questions.push({ question: qa.question, goldFile: file });
    }
  }
  return { dir, passages: fileOf.size, questions };
}
