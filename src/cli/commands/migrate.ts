// `alpaca-rag migrate`: bring a store's schema up to date without doing anything else (a PostgreSQL store applies
// its missing numbered migrations; the embedded store upgrades its SQLite file in place on open), and say what ran.
import type { Command } from "commander";
import { migrateStore } from "../../store/migrate.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

export function registerMigrateCommand(program: Command): void {
  withSettingsFlags(program.command("migrate").description("apply the store's missing schema migrations (a postgres:// store or a folder)"))
    .option("--json", "print the result as JSON")
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const settings = settingsFromFlags(flags);
      const result = await migrateStore(settings.store);
      if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else
        process.stdout.write(
          result.applied.length
            ? `${result.store}: applied migration${result.applied.length > 1 ? "s" : ""} ${result.applied.join(", ")}; schema version ${result.version}\n`
            : `${result.store}: schema version ${result.version}, up to date\n`,
        );
    });
}
