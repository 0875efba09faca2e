// The server under load for the service-load benchmark, run as a child process so its memory is its own: receives
// settings over IPC, starts alpaca-rag's HTTP server (startServer: start-up ingest, models loaded once), reports its
// URL, and closes cleanly when told to stop (or on SIGTERM).
import { loadSettings } from "../src/config/load.js";
import { startServer, type RunningServer } from "../src/server/serve.js";
import { projectRoot } from "./lib/paths.js";

export interface ServiceServerOptions {
  storeDir: string;
  inbox: string;
  threads: number;
  /** Embedding and generator model (stories260K). */
  modelPath: string;
  maxTokens: number;
  /** A different generator model (the concurrency benchmark's synthetic 110M); default modelPath. */
  generatorPath?: string;
  /** More settings as dotted keys (generator.parallel, retrieval.k, ...). */
  settings?: Record<string, unknown>;
}

export type ServiceServerMessage =
  | { ready: true; url: string; pid: number; chunks: number }
  | { ready: false; error: string }
  | { loggedErrors: Record<string, number> };

let server: RunningServer | null = null;
/** Errors the server reported as unexpected, by name: counted, not printed (a shed request must not cost a stack trace on stderr). */
const loggedErrors: Record<string, number> = {};
let printed = 0;

function countError(error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  loggedErrors[name] = (loggedErrors[name] ?? 0) + 1;
  if (name !== "QueueFullError" && printed++ < 3) process.stderr.write(`server error: ${error instanceof Error ? error.message : String(error)}\n`);
}

async function stop(): Promise<void> {
  await server?.close();
  process.exit(0);
}

process.once("message", (raw) => {
  const opts = raw as ServiceServerOptions;
  const settings = loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: {
      store: opts.storeDir,
      inbox: opts.inbox,
      threads: opts.threads,
      gpu: false,
      "embedding.model": opts.modelPath,
      "generator.model": opts.generatorPath ?? opts.modelPath,
      "generator.maxTokens": opts.maxTokens,
      "server.port": 0,
      ...opts.settings,
    },
  });
  // Access-log lines for thousands of requests would cost the server more than the requests themselves.
  startServer(settings, { download: false, log: () => {}, onNotice: () => {}, logError: countError }).then(
    async (running) => {
      server = running;
      process.send!({ ready: true, url: running.url, pid: process.pid, chunks: await running.engine.store.count("chunks") } satisfies ServiceServerMessage);
      process.on("message", (m) => {
        const request = m as { stop?: boolean; stats?: boolean };
        if (request.stats) process.send!({ loggedErrors: { ...loggedErrors } } satisfies ServiceServerMessage);
        if (request.stop) void stop();
      });
    },
    (e: unknown) => {
      process.send!({ ready: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ServiceServerMessage, undefined, {}, () =>
        process.exit(1),
      );
    },
  );
});
process.once("SIGTERM", () => void stop());
