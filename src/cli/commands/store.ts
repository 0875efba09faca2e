// `alpaca-rag store copy --from A --to B`: move a store (a folder or a postgres:// URL) into another, empty one,
// without re-embedding.
import type { Command } from "commander";
import { copyStore } from "../../store/copy.js";

export function registerStoreCommand(program: Command): void {
  const store = program.command("store").description("work on whole stores");
  store
    .command("copy")
    .description("copy every document, chunk, lexical term and vector from one store into an empty one (no re-embedding)")
    .requiredOption("--from <dir|url>", "the store to copy (a folder or a postgres:// URL)")
    .requiredOption("--to <dir|url>", "the empty store to fill (created as needed)")
    .option("--json", "print the summary as JSON")
    .action(async (flags: { from: string; to: string; json?: boolean }) => {
      const summary = await copyStore(flags.from, flags.to, (n) => {
        if (!flags.json && process.stderr.isTTY) process.stderr.write(`\r${n} documents copied`);
      });
      if (!flags.json && process.stderr.isTTY) process.stderr.write("\n");
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        process.stdout.write(
          `copied ${summary.from} into ${summary.to}: ${summary.kbs} knowledge bases, ${summary.documents} documents, ${summary.files} files, ${summary.chunks} chunks, ` +
            `${summary.vectors} vectors; embedding ${summary.embedding ?? "not set"}\n`,
        );
    });
}
