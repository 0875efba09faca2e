// The alpaca-rag command line: parses arguments with commander and hands each command to its module.
import { Command, CommanderError } from "commander";
import { registerAskCommand } from "./commands/ask.js";
import { registerChatCommand } from "./commands/chat.js";
import { registerCheckCommand } from "./commands/check.js";
import { registerEvalCommand } from "./commands/eval.js";
import { registerIngestCommand } from "./commands/ingest.js";
import { registerKbCommand } from "./commands/kb.js";
import { registerInitCommand } from "./commands/init.js";
import { registerModelsCommand } from "./commands/models.js";
import { registerSearchCommand } from "./commands/search.js";
import { registerServeCommand } from "./commands/serve.js";

const program = new Command()
  .name("alpaca-rag")
  .description("Local question answering over your own documents, Chinese first, with Chinese-Alpaca-2 through llama.cpp")
  .version("0.1.0")
  .exitOverride()
  .showHelpAfterError();

registerIngestCommand(program);
registerKbCommand(program);
registerCheckCommand(program);
registerSearchCommand(program);
registerAskCommand(program);
registerChatCommand(program);
registerEvalCommand(program);
registerModelsCommand(program);
registerServeCommand(program);
registerInitCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 1);
  const err = e as Error;
  process.stderr.write(`alpaca-rag: ${err.message}\n`);
  if (process.env.ALPACA_RAG_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
