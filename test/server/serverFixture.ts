// A real alpaca-rag server for tests: a temporary inbox and store, stories260K (or no model) on one CPU thread, a
// loopback port chosen by the system, and the access log collected instead of printed. Plus a strict SSE parser.
import fs from "node:fs";
import path from "node:path";
import { loadSettings } from "../../src/config/load.js";
import type { Settings } from "../../src/config/schema.js";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/server/serve.js";
import { projectRoot, shippedSampleNames, shippedSamplePath, storiesModel, tempDir, writeFiles } from "../helpers.js";

/** Short English documents stories260K's tokenizer handles well. */
export const englishSamples: Record<string, string> = {
  "lighthouse.txt":
    "The Gull Point lighthouse was built in 1871 on a rock at the mouth of the bay. Its keeper lit the lamp every evening " +
    "and wound the clockwork that turned the lens.\n\nThe light was automated in 1968, and the keeper's cottage became a small museum " +
    "that opens on summer weekends.",
  "orchard.md":
    "# Orchard notes\n\nThe school orchard has forty apple trees planted in four rows. The children pick the apples in October " +
    "and press them into juice.\n\n## Pruning\n\nThe trees are pruned in late winter, when the branches are bare and the buds have not opened.",
};

/** The project's shipped sample documents (a PDF, a Chinese Markdown file, an English text). */
export function shippedSamples(): Record<string, Buffer> {
  return Object.fromEntries(shippedSampleNames.map((name) => [name, fs.readFileSync(shippedSamplePath(name))]));
}

export interface TestServerOptions {
  /** "stories" (default): stories260K generates; "none": extractive answers. */
  generator?: "stories" | "none";
  /** "stories" (default): stories260K embeds; "none": lexical-only store. */
  embedding?: "stories" | "none";
  /** Files put in the inbox before start; default englishSamples. */
  files?: Record<string, string | Buffer>;
  /** Other settings as dotted keys, e.g. {"server.queueSize": 1, "generator.maxTokens": 200}. */
  settings?: Record<string, unknown>;
  /** Options for startServer (log and notices are collected unless given). */
  start?: StartServerOptions;
  /** Reuse this folder (store and inbox inside) instead of a new one. */
  dir?: string;
}

export interface TestServer {
  dir: string;
  inbox: string;
  settings: Settings;
  server: RunningServer;
  /** Base URL with a trailing slash. */
  url: string;
  /** Access-log lines so far. */
  log: string[];
  /** Notices and unexpected errors so far. */
  notices: string[];
  close(): Promise<void>;
}

export function testServerSettings(dir: string, options: TestServerOptions = {}): Settings {
  return loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: {
      store: path.join(dir, "store"),
      inbox: path.join(dir, "inbox"),
      threads: 1,
      gpu: false,
      "embedding.model": options.embedding === "none" ? "none" : storiesModel,
      "generator.model": options.generator === "none" ? "none" : storiesModel,
      "generator.maxTokens": 48,
      // Greedy: the same prompt gives the same answer, streamed or not.
      "generator.temperature": 0,
      "chunk.size": 120,
      "chunk.overlap": 16,
      "retrieval.k": 2,
      "server.port": 0,
      ...options.settings,
    },
  });
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? tempDir("alpaca-rag-server-");
  const inbox = path.join(dir, "inbox");
  fs.mkdirSync(inbox, { recursive: true });
  if (!options.dir || options.files) writeFiles(inbox, options.files ?? englishSamples);
  const settings = testServerSettings(dir, options);
  const log: string[] = [];
  const notices: string[] = [];
  const server = await startServer(settings, {
    log: (line) => log.push(line),
    onNotice: (m) => notices.push(m),
    logError: (e) => notices.push(`error: ${(e as Error)?.stack ?? String(e)}`),
    processMetrics: false,
    download: false,
    ...options.start,
  });
  return { dir, inbox, settings, server, url: server.url, log, notices, close: () => server.close() };
}

export interface SseEvent {
  /** The event name; null for data-only events. */
  event: string | null;
  data: string;
}

/**
 * Parses a whole text/event-stream body strictly: blocks end with a blank line, and every line is a comment, an
 * `event:` or a `data:` field. Throws on anything else, so framing mistakes fail tests.
 */
export function parseSse(raw: string): SseEvent[] {
  if (raw.length && !raw.endsWith("\n\n")) throw new Error(`stream does not end with a blank line: ${JSON.stringify(raw.slice(-40))}`);
  const events: SseEvent[] = [];
  for (const block of raw.split("\n\n").slice(0, -1)) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
      else throw new Error(`malformed SSE line ${JSON.stringify(line)}`);
    }
    if (data.length) events.push({ event, data: data.join("\n") });
  }
  return events;
}

/** POST JSON and return the response. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** The value of one sample (no labels, or exactly these labels) in a Prometheus text exposition. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.keys(labels).length === Object.keys(found).length && Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return NaN;
}
