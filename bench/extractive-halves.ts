// `npm run bench:extractive`: the extractive answer's figures on the two halves of the CMRC 2018 trial set (questions at
// even and at odd positions, every passage kept in both, so retrieval is the same), with the settings of the README's
// `alpaca-rag eval --model none --embedding-model none`. Its sentence-choice weights were tuned on the even half; the
// odd half tells whether they hold. Prints a Markdown table.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadSettings } from "../src/config/load.js";
import { evaluateDataset } from "../src/qa/evaluate.js";
import { projectRoot, sharedPath } from "./lib/paths.js";

interface Dataset {
  version?: string;
  data: Array<{ paragraphs: Array<{ qas: Array<{ question: string }> }> }>;
}

const trial = JSON.parse(fs.readFileSync(sharedPath("data", "cmrc2018", "cmrc2018_trial.json"), "utf8")) as Dataset;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-bench-extractive-"));

/** The trial set with only the questions at positions of the given parity (counted as eval counts them). */
function half(parity: 0 | 1): string {
  let position = 0;
  const data = trial.data.map((article) => ({
    ...article,
    paragraphs: article.paragraphs.map((p) => ({ ...p, qas: p.qas.filter((qa) => !qa.question.trim() || position++ % 2 === parity) })),
  }));
  const file = path.join(work, `half-${parity}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...trial, data }));
  return file;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const rows: string[] = [];
try {
  for (const [name, parity] of [["even (tuned on)", 0], ["odd (held out)", 1]] as const) {
    const settings = loadSettings({
      cwd: projectRoot,
      env: {},
      configFile: undefined,
      overrides: { store: path.join(work, `store-${parity}`), "embedding.model": "none", "generator.model": "none" },
    });
    const report = await evaluateDataset({ settings, dataset: half(parity) });
    const e = report.extractive!;
    rows.push(
      `| ${name} | ${report.questions} | ${pct(e.firstSentenceContainsGold)} | ${pct(e.answerContainsGold)} | ${pct(e.spanContainsGold)} | ` +
        `${e.meanSentences.toFixed(2)} | ${e.meanChars.toFixed(0)} | ${pct(report.answerInContext)} |`,
    );
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
console.log("| half | questions | first sentence holds gold | answer holds gold | span holds gold | sentences | chars | gold in sources |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
