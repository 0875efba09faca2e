// One OCR worker process of the pool (pool.ts forks this file): loads one engine once, then recognises the page images
// it is sent over IPC, one at a time. A process rather than a thread: an engine's memory (about 1.2 GB a page for
// PaddleOCR) is its own and goes back to the system when the pool closes, and the ingest process stays small.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { OcrEngine, OcrEngineName } from "./contract.js";
import { OcrUnavailableError } from "./contract.js";
import { createEngine } from "./engines.js";

/** Parent → worker. */
export type WorkerRequest =
  | { type: "init"; engine: OcrEngineName; languages: string[]; threads: number; tesseractCommand?: string }
  | { type: "page"; id: number; png: Uint8Array };

/** Worker → parent. */
export type WorkerReply =
  | { type: "ready"; variant: string }
  | { type: "init-error"; unavailable: boolean; message: string }
  | { type: "result"; id: number; lines: Array<{ text: string; confidence?: number }> }
  | { type: "error"; id: number; message: string };

function serve(): void {
  const send = (reply: WorkerReply) => process.send!(reply);
  let engine: Promise<OcrEngine> | null = null;
  // Pages are recognised one after another: the pool gives each worker one page at a time anyway.
  let chain: Promise<void> = Promise.resolve();
  process.on("message", (raw) => {
    const request = raw as WorkerRequest;
    if (request.type === "init") {
      engine = createEngine(request.engine, { languages: request.languages, threads: request.threads, tesseractCommand: request.tesseractCommand });
      engine.then(
        (e) => send({ type: "ready", variant: e.variant }),
        (error: Error) => send({ type: "init-error", unavailable: error instanceof OcrUnavailableError, message: error.message }),
      );
      return;
    }
    chain = chain.then(async () => {
      try {
        const result = await (await engine!).recognise(request.png);
        send({ type: "result", id: request.id, lines: result.lines });
      } catch (error) {
        send({ type: "error", id: request.id, message: (error as Error).message });
      }
    });
  });
  // The parent going away (crash, kill) ends the worker too.
  process.on("disconnect", () => process.exit(0));
}

// Serves only as the entry point of a forked process (test runners also have an IPC channel, and must not be served).
if (process.send && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) serve();
