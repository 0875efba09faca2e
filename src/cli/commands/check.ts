// `alpaca-rag check`: verify the store's consistency; exit 1 when anything disagrees.
import type { Command } from "commander";
import { checkStore } from "../../store/check.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

export function registerCheckCommand(program: Command): void {
  withSettingsFlags(program.command("check").description("verify that documents, chunks, lexical terms and vectors agree"))
    .option("--json", "print the report as JSON")
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const settings = settingsFromFlags(flags);
      const report = await checkStore(settings.store);
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(
          `${report.ok ? "ok" : "PROBLEMS"}: ${report.documents} documents, ${report.files} files, ${report.chunks} chunks, ` +
            `${report.vectors} vectors; embedding ${report.embedding}\n`,
        );
        for (const p of report.problems) process.stdout.write(`  - ${p}\n`);
      }
      process.exitCode = report.ok ? 0 : 1;
    });
}
