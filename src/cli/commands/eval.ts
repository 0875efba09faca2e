// `alpaca-rag eval --dataset FILE`: retrieval and answer quality on SQuAD/CMRC-format data, as a table or JSON.
import type { Command } from "commander";
import { evaluateDataset } from "../../qa/evaluate.js";
import { assertKbName, defaultKb, parseKbList } from "../../store/kb.js";
import { withKbFlag } from "../kbFlags.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface EvalFlags extends CommonFlags {
  kb?: string[];
  dataset: string;
  limit?: string;
  json?: boolean;
  model?: string;
}

/** The base the temporary store puts the passages in: any valid name (it is made there), one only. */
function evalKb(flag: string[] | undefined): string {
  const names = parseKbList(flag);
  if (names.length > 1) throw new Error(`--kb: eval takes one knowledge base, got ${names.join(", ")}`);
  if (names.length === 1) assertKbName(names[0]);
  return names[0] ?? defaultKb;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function registerEvalCommand(program: Command): void {
  withKbFlag(withSettingsFlags(program.command("eval").description("measure retrieval and answers on a SQuAD/CMRC-format dataset (in a temporary store)")), false)
    .requiredOption("--dataset <file>", "SQuAD/CMRC-format JSON (e.g. cmrc2018_trial.json)")
    .option("--limit <n>", "ask at most N questions")
    .option("--model <preset|path>", "generator (settings key: generator.model); none for extractive answers")
    .option("--json", "print the numbers as JSON")
    .action(async (flags: EvalFlags) => {
      const settings = settingsFromFlags(flags, { "generator.model": flags.model });
      const limit = flags.limit === undefined ? undefined : Number(flags.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`--limit: expected a positive whole number, got "${flags.limit}"`);
      let last = 0;
      const report = await evaluateDataset({
        settings,
        dataset: flags.dataset,
        kb: evalKb(flags.kb),
        limit,
        onProgress: flags.json
          ? undefined
          : (done, total, phase) => {
              if (Date.now() - last < 2000 && done !== total) return;
              last = Date.now();
              process.stderr.write(`${phase}: ${done}/${total}\n`);
            },
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const r = report.retrieval;
      const rows: Array<[string, string]> = [
        ["passages / questions", `${report.passages} / ${report.questions}`],
        [`retrieval (${r.mode}) recall@1`, pct(r.recallAt1)],
        ["recall@5", pct(r.recallAt5)],
        ["recall@10", pct(r.recallAt10)],
        ["MRR", r.mrr.toFixed(3)],
        ["answer in context", pct(report.answerInContext)],
        ["mode", report.mode],
      ];
      if (report.generation)
        rows.push(["model", report.generation.model], ["exact match", pct(report.generation.exactMatch)], ["F1", pct(report.generation.f1)], ["seconds per answer", report.generation.meanSeconds.toFixed(2)]);
      if (report.extractive) {
        const e = report.extractive;
        rows.push(
          ["answer contains gold", pct(e.answerContainsGold)],
          ["first sentence contains gold", pct(e.firstSentenceContainsGold)],
          ["answer span contains gold", pct(e.spanContainsGold)],
          ["answer span F1", pct(e.spanF1)],
          ["sentences / chars per answer", `${e.meanSentences.toFixed(2)} / ${e.meanChars.toFixed(0)}`],
        );
      }
      rows.push(["mean retrieval ms", r.meanMs.toFixed(1)], ["ingest seconds", report.ingestSeconds.toFixed(1)]);
      const width = Math.max(...rows.map(([k]) => k.length));
      process.stdout.write(`| ${"metric".padEnd(width)} | value |\n| ${"-".repeat(width)} | ----- |\n`);
      for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(width)} | ${v} |\n`);
    });
}
