// `alpaca-rag chat`: a conversation over the indexed documents, at a prompt on a terminal or one question per line
// from a pipe; follow-ups carry the earlier turns.
import type { Command } from "commander";
import { openEngine } from "../../qa/engine.js";
import { runInteractiveChat, runPipedChat } from "../chatLoop.js";
import { ChatSession } from "../chatSession.js";
import { kbsFromFlag, withKbFlag } from "../kbFlags.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface ChatFlags extends CommonFlags {
  kb?: string[];
  k?: string;
  json?: boolean;
  model?: string;
  long?: boolean;
  condense?: boolean;
}

export function registerChatCommand(program: Command): void {
  withKbFlag(
    withSettingsFlags(
      program
        .command("chat")
        .description("ask questions one after another, with follow-ups; reads one question per line when stdin is not a terminal"),
    ),
    true,
  )
    .option("-k <n>", "sources to retrieve per question (settings key: retrieval.k); /k N changes it")
    .option("--model <preset|path>", "generator: a catalog preset, GGUF path, hf: URI or none (settings key: generator.model)")
    .option("--long", "ask for detailed, well-reasoned answers")
    .option("--json", "print each answer as one JSON object per line, and nothing else on stdout")
    .option("--no-condense", "search for each follow-up alone (default: a short or referring follow-up is searched together with the previous question)")
    .action(async (flags: ChatFlags) => {
      const settings = settingsFromFlags(flags, {
        "retrieval.k": flags.k === undefined ? undefined : Number(flags.k),
        "generator.model": flags.model,
      });
      const kbs = await kbsFromFlag(settings, flags.kb, true);
      const engine = await openEngine(settings);
      let status = 0;
      try {
        const session = new ChatSession(engine, { kbs, k: settings.retrieval.k, condense: flags.condense, longAnswer: flags.long });
        const interactive = Boolean(process.stdin.isTTY);
        if (engine.generatorNote && !engine.generator && !flags.json) process.stderr.write(`${engine.generatorNote}\n`);
        if (interactive)
          process.stderr.write(
            `Answering with ${engine.generator?.name ?? "extracted sentences"}, k = ${session.k}${session.condense ? ", follow-ups condensed" : ""}. ` +
              `/help lists the commands; Ctrl-D quits.\n`,
          );
        const json = Boolean(flags.json);
        status = interactive ? await runInteractiveChat(session, { json }) : await runPipedChat(session, { json });
      } finally {
        await engine.close();
      }
      process.exitCode = status;
    });
}
