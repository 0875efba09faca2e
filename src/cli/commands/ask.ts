// `alpaca-rag ask QUESTION`: an answer grounded in the documents, streamed on a terminal, then the numbered sources.
import type { Command } from "commander";
import { answerQuestion, type Answer } from "../../qa/answer.js";
import { placeLabel } from "../../qa/citations.js";
import { openEngine } from "../../qa/engine.js";
import { defaultKb } from "../../store/kb.js";
import { kbsFromFlag, withKbFlag } from "../kbFlags.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface AskFlags extends CommonFlags {
  kb?: string[];
  k?: string;
  json?: boolean;
  model?: string;
  long?: boolean;
}

/** A source of a base other than the default one is shown as "base:path". */
export function kbPrefix(kb: string): string {
  return kb && kb !== defaultKb ? `${kb}:` : "";
}

export function formatSources(answer: Answer): string {
  const lines = answer.citations.map((c) => {
    return `  [${c.n}]${c.cited ? "*" : " "} ${kbPrefix(c.kb)}${c.source}${placeLabel(c)}  ${c.snippet}`;
  });
  return lines.length ? `Sources (* cited):\n${lines.join("\n")}\n` : "No sources found.\n";
}

export function registerAskCommand(program: Command): void {
  withKbFlag(withSettingsFlags(program.command("ask").argument("<question...>", "the question").description("answer a question from the indexed documents, with citations")), true)
    .option("-k <n>", "sources to retrieve (settings key: retrieval.k)")
    .option("--model <preset|path>", "generator: a catalog preset, GGUF path, hf: URI or none (settings key: generator.model)")
    .option("--long", "ask for a detailed, well-reasoned answer")
    .option("--json", "print the answer as one JSON object")
    .action(async (words: string[], flags: AskFlags) => {
      const settings = settingsFromFlags(flags, {
        "retrieval.k": flags.k === undefined ? undefined : Number(flags.k),
        "generator.model": flags.model,
      });
      const kbs = await kbsFromFlag(settings, flags.kb, true);
      const engine = await openEngine(settings);
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once("SIGINT", onSigint);
      try {
        if (!flags.json && engine.generatorNote && !engine.generator) process.stderr.write(`${engine.generatorNote}\n`);
        const streaming = !flags.json && process.stdout.isTTY;
        const answer = await answerQuestion(engine, {
          question: words.join(" "),
          kbs,
          longAnswer: flags.long,
          signal: abort.signal,
          onText: streaming ? (t) => process.stdout.write(t) : undefined,
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(answer)}\n`);
          return;
        }
        if (!streaming) process.stdout.write(answer.answer);
        process.stdout.write(`\n\n${formatSources(answer)}`);
        if (answer.removedCitations.length) process.stdout.write(`(removed citations to unknown sources: ${answer.removedCitations.map((n) => `[${n}]`).join(" ")})\n`);
        process.stderr.write(`${answer.mode} by ${answer.model ?? "extraction"} in ${(answer.timings.totalMs / 1000).toFixed(2)} s\n`);
      } finally {
        process.off("SIGINT", onSigint);
        await engine.close();
      }
    });
}
