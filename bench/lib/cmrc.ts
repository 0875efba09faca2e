// Reads the CMRC 2018 trial passages (SQuAD layout) from ../shared at run time.
import fs from "node:fs";
import { sharedPath } from "./paths.js";

export const cmrcTrialPath = sharedPath("data", "cmrc2018", "cmrc2018_trial.json");

export interface CmrcPassage {
  /** data[].id and paragraphs[].id joined when they differ, e.g. "TRIAL_800". */
  id: string;
  context: string;
}

interface SquadFile {
  data: { id?: string; paragraphs: { id?: string; context: string }[] }[];
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
