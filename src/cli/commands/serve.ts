// `alpaca-rag serve`: brings the store up to date with the inbox, loads the models once, and serves the HTTP API and
// the web page until Ctrl-C, ingesting what changes in the inbox meanwhile (unless --no-watch).
import type { Command } from "commander";
import { startServer } from "../../server/serve.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface ServeFlags extends CommonFlags {
  host?: string;
  port?: string;
  ingest?: boolean;
  watch?: boolean;
  model?: string;
}

function portFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n)) throw new Error(`--port: expected a whole number, got "${value}"`);
  return n;
}

export function registerServeCommand(program: Command): void {
  withSettingsFlags(program.command("serve").description("serve the HTTP API (also OpenAI-compatible) and the web page"))
    .option("--host <address>", "address to listen on (settings key: server.host; default 127.0.0.1)")
    .option("--port <n>", "port to listen on, 0 for any free one (settings key: server.port; default 7860)")
    .option("--model <preset|path>", "generator: a catalog preset, GGUF path, hf: URI or none (settings key: generator.model)")
    .option("--no-ingest", "do not ingest the inbox at start-up")
    .option("--no-watch", "do not follow the inbox while serving (settings key: server.watch; default: follow it)")
    .action(async (flags: ServeFlags) => {
      const settings = settingsFromFlags(flags, {
        "server.host": flags.host,
        "server.port": portFlag(flags.port),
        "generator.model": flags.model,
        // Commander sets watch to true when the flag is absent: only --no-watch overrides the settings.
        "server.watch": flags.watch === false ? false : undefined,
      });
      const server = await startServer(settings, { ingest: flags.ingest });
      const s = server.ingest;
      if (s)
        process.stderr.write(
          `inbox ${s.inbox}: added ${s.added}, updated ${s.updated}, unchanged ${s.unchanged}, removed ${s.removed}, failed ${s.failed.length}\n`,
        );
      if (server.engine.generatorNote && !server.engine.generator) process.stderr.write(`${server.engine.generatorNote}\n`);
      const keys = settings.server.apiKeys.length;
      process.stdout.write(`alpaca-rag is serving on ${server.url}  (open it in a browser${keys ? `; API key required: ${keys} configured` : ""}; Ctrl-C stops)\n`);
      const watcher = server.app.documents.ingestStatus.watcher;
      process.stderr.write(
        watcher === "here"
          ? `following the inbox ${settings.inbox}: changes there are ingested by themselves\n`
          : watcher === "elsewhere"
            ? "another server sharing the store follows the inbox (this one takes over if it stops)\n"
            : "not following the inbox (--no-watch): POST /v1/ingest or a restart picks up changes\n",
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          process.stderr.write("stopping…\n");
          void server.close().then(resolve, resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
