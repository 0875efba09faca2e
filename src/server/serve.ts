// Starts the HTTP server: checks the binding is safe, brings the store up to date with the inbox, loads the models
// once, listens, and follows the inbox (server.watch). close() stops watching and accepting, aborts running answers
// and ingests, and frees the models.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Settings } from "../config/schema.js";
import type { IngestSummary } from "../ingest/pipeline.js";
import { openEngine, type QaEngine } from "../qa/engine.js";
import { createApp, type App } from "./app.js";
import { InboxWatcher } from "./documents/inboxWatcher.js";
import { assertSafeBinding } from "./http/auth.js";
import { decideEmbedding, startupIngest, storeIsUndecided } from "./startupIngest.js";

export interface StartServerOptions {
  /** Ingest the inbox before serving (only changed files are processed). Default true. */
  ingest?: boolean;
  /** Download missing models named by the settings. Default true. */
  download?: boolean;
  /** Access-log lines. Default: stderr. */
  log?: (line: string) => void;
  /** Notices for a person (ingest progress notes, refusals). Default: stderr. */
  onNotice?: (message: string) => void;
  /** Unexpected request errors with their stacks. Default: stderr. */
  logError?: (error: unknown) => void;
  /** Collect process metrics too. Default true. */
  processMetrics?: boolean;
  /** Milliseconds close() waits for running requests to stop before cutting connections. Default 10000. */
  closeGraceMs?: number;
}

export interface RunningServer {
  /** Where to open the page, e.g. http://127.0.0.1:7860/. */
  url: string;
  host: string;
  port: number;
  engine: QaEngine;
  app: App;
  /** The start-up ingest's summary; null when it was skipped. */
  ingest: IngestSummary | null;
  close(): Promise<void>;
}

const toStderr = (line: string) => process.stderr.write(`${line}\n`);

function urlFor(address: AddressInfo): string {
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const host = wildcard ? "127.0.0.1" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

export async function startServer(settings: Settings, options: StartServerOptions = {}): Promise<RunningServer> {
  const { host, port, apiKeys } = settings.server;
  assertSafeBinding(host, apiKeys);
  const notice = options.onNotice ?? toStderr;
  const inbox = path.resolve(settings.inbox);
  if (!fs.existsSync(inbox)) {
    fs.mkdirSync(inbox, { recursive: true });
    notice(`created the inbox folder ${inbox}`);
  }

  let ingests: IngestSummary[] | null = null;
  const wantIngest = options.ingest !== false;
  // A new store is ingested before the engine opens it (the engine needs to know the store's embedding model); an
  // existing one is opened first, so the ingest uses the engine's embedder instead of loading the model again.
  if (await storeIsUndecided(settings)) {
    if (wantIngest) ingests = await startupIngest(settings, { engine: null, onNotice: notice });
    if (await storeIsUndecided(settings)) await decideEmbedding(settings, { download: options.download });
  }
  const engine = await openEngine(settings, { download: options.download });
  try {
    if (wantIngest && ingests === null) ingests = await startupIngest(settings, { engine, onNotice: notice });
    // The default base's summary, as before bases existed (every base's is in the ingest status).
    const ingest = ingests?.[0] ?? null;
    const shutdown = new AbortController();
    const app = createApp({
      engine,
      shutdown: shutdown.signal,
      log: options.log ?? toStderr,
      logError: options.logError ?? ((e) => toStderr(`request failed: ${(e as Error)?.stack ?? String(e)}`)),
      onNotice: notice,
      processMetrics: options.processMetrics,
    });
    const server = http.createServer(app.app);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE") throw new Error(`port ${port} on ${host} is in use: set server.port (or --port) to another one`);
      throw e;
    });
    const address = server.address() as AddressInfo;
    for (const summary of ingests ?? []) app.documents.ingestStatus.record("startup", summary);

    // Changes to the inbox from now on are ingested through the documents service, one writer with uploads and deletes.
    let watcher: InboxWatcher | null = null;
    if (settings.server.watch) {
      watcher = new InboxWatcher({
        inbox,
        // Only the bases whose folders changed are ingested again (a change at the inbox root is the default base's).
        ingest: async (changed) => app.documents.ingest(await app.documents.kbsFor(changed), "watch"),
        ignore: [settings.store, app.documents.stagingDir],
        debounceMs: settings.server.watchDebounceMs,
        onNotice: notice,
      });
      try {
        await watcher.start();
      } catch (e) {
        await watcher.close().catch(() => {});
        server.close();
        throw e;
      }
      app.documents.ingestStatus.watching = true;
    }

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        // No new ingests from the inbox; one already running stops after its current file (the shutdown signal).
        const stopWatching = watcher?.close() ?? Promise.resolve();
        app.documents.ingestStatus.watching = false;
        shutdown.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([app.queue.idle(), app.documents.idle(), stopWatching]),
          new Promise((resolve) => (timer = setTimeout(resolve, options.closeGraceMs ?? 10_000))),
        ]);
        clearTimeout(timer);
        server.closeAllConnections();
        await closed;
        await engine.close();
      })());

    return { url: urlFor(address), host: address.address, port: address.port, engine, app, ingest, close };
  } catch (e) {
    await engine.close().catch(() => {});
    throw e;
  }
}
