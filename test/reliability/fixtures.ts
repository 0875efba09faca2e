// Shared pieces of the reliability tests: seeded randomness, PDFs and images drawn at test time, a real CLI run that
// reports its own peak memory, process memory read from /proc, and a store taken apart path by path.
import fs from "node:fs";
import zlib from "node:zlib";
import PDFDocument from "pdfkit";
import { SqliteStore } from "../../src/store/sqlite/store.js";
import { afterAll, beforeAll } from "vitest";
import { startCli, type RunningCli } from "../cliProcess.js";
import { tempDir } from "../helpers.js";
import type { IngestSummary } from "../../src/ingest/pipeline.js";

/** A small seeded generator (mulberry32): the same seed gives the same faults on every run. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PDF drawn with pdfkit, with a fixed creation date so the same drawing gives the same bytes. */
export function drawPdf(options: PDFKit.PDFDocumentOptions, draw: (doc: PDFKit.PDFDocument) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ ...options, info: { CreationDate: new Date(Date.UTC(2024, 0, 1)) } });
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    draw(doc);
    doc.end();
  });
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** An RGB PNG of stripes: a picture to put in a PDF that has no text layer (what a scanner produces). */
export function stripedPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rows.fill((x + y) % 16 < 8 ? 40 : 220, y * (1 + width * 3) + 1 + x * 3, y * (1 + width * 3) + 4 + x * 3);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// Loaded into the child before the CLI: at exit it writes getrusage's peak resident set (KiB) to a file.
const peakRssModule = `data:text/javascript,${encodeURIComponent(
  'import fs from "node:fs"; process.on("exit", () => fs.writeFileSync(process.env.RELIABILITY_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));',
)}`;

export interface MeasuredCli extends RunningCli {
  /** Peak resident memory of the child in bytes, known once it has exited normally (not after SIGKILL). */
  peakRssBytes(): number | null;
}

/** The real CLI as a child process (see cliProcess.ts) that reports its own peak memory when it exits. */
export function startMeasuredCli(args: string[], rssFile: string, env: Record<string, string> = {}): MeasuredCli {
  fs.rmSync(rssFile, { force: true });
  const run = startCli(args, { ...env, NODE_OPTIONS: `--import=${peakRssModule}`, RELIABILITY_PEAK_RSS_FILE: rssFile });
  return {
    ...run,
    peakRssBytes: () => (fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, "utf8")) : null),
  };
}

/** Resident memory of a live process in bytes, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib[1]) * 1024;
}

export const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** path → the chunk texts of its document in order: everything a search can ever return for that file. */
export function storeContents(storeDir: string): Map<string, string[]> {
  const store = SqliteStore.open(storeDir, { vectors: false });
  try {
    const rows = store.db
      .prepare("SELECT f.path, c.text FROM files f JOIN chunks c ON c.document_id = f.document_id ORDER BY f.path, c.idx")
      .raw()
      .all() as Array<[string, string]>;
    const map = new Map<string, string[]>();
    for (const [p, text] of rows) map.set(p, [...(map.get(p) ?? []), text]);
    return map;
  } finally {
    store.closeSync();
  }
}

/** The CLI flags every reliability run shares: one CPU thread, no GPU, no network. */
export function cliFlags(storeDir: string, embeddingModel: string): string[] {
  return ["--store", storeDir, "--embedding-model", embeddingModel, "--threads", "1", "--gpu", "false"];
}

/** What one measured `alpaca-rag ingest --json` run over a folder gave. */
export interface MeasuredIngest {
  summary: IngestSummary;
  code: number | null;
  /** Peak RSS of the CLI process in bytes, or null when it could not be read. */
  peakRss: number | null;
  seconds: number;
}

/**
 * Runs the real CLI's lexical-only ingest of `inbox` into `storeDir`, sampling its memory, and parses its single JSON
 * summary line (failing the test when there is anything else on stdout).
 */
export async function measuredIngest(inbox: string, storeDir: string): Promise<MeasuredIngest> {
  const started = performance.now();
  const run = startMeasuredCli(["ingest", inbox, ...cliFlags(storeDir, "none"), "--json"], `${storeDir}.rss`);
  const result = await run.done;
  const seconds = (performance.now() - started) / 1000;
  const lines = result.stdout.trim().split("\n");
  if (lines.length !== 1) throw new Error(`expected one JSON line from ingest, got ${lines.length}: ${result.stderr}`);
  return { summary: JSON.parse(lines[0]), code: result.code, peakRss: run.peakRssBytes(), seconds };
}

/**
 * A describe block's hostile-folder run: before its tests, `build` fills a fresh inbox and the real CLI ingests it
 * (measured); after them, the inbox and store go (a 50 MB page is stored several times over). The run's results are
 * read through the returned object once the tests start.
 */
export function hostileIngest(prefix: string, build: (inbox: string) => Promise<void> | void): MeasuredIngest & { inbox: string; storeDir: string } {
  const inbox = tempDir(`${prefix}-`);
  const storeDir = tempDir(`${prefix}-store-`);
  let run: MeasuredIngest | undefined;
  beforeAll(async () => {
    await build(inbox);
    run = await measuredIngest(inbox, storeDir);
  }, 300_000);
  afterAll(() => {
    for (const d of [inbox, storeDir, `${storeDir}.rss`]) fs.rmSync(d, { recursive: true, force: true });
  });
  const result = () => {
    if (!run) throw new Error("the hostile ingest has not run");
    return run;
  };
  return {
    inbox,
    storeDir,
    get summary() {
      return result().summary;
    },
    get code() {
      return result().code;
    },
    get peakRss() {
      return result().peakRss;
    },
    get seconds() {
      return result().seconds;
    },
  };
}
