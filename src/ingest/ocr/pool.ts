// A pool of OCR worker processes (worker.ts), so recognition runs off the ingest's main thread and several pages of a
// scanned PDF are read at once. The first worker is started (and its engine loaded) before the pool is handed out, so
// a missing engine is known at once; the others start when there is work for them.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { OcrEngineName, OcrPageResult } from "./contract.js";
import { OcrUnavailableError } from "./contract.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

export interface OcrPoolOptions {
  engine: OcrEngineName;
  /** Tesseract language codes (see OcrEngineOptions.languages). */
  languages: string[];
  /** Worker processes at most. */
  workers: number;
  /** CPU threads each worker's engine may use. */
  threadsPerWorker: number;
  /** The tesseract program (default "tesseract" on PATH). */
  tesseractCommand?: string;
}

interface Job {
  id: number;
  png: Uint8Array;
  resolve: (result: OcrPageResult) => void;
  reject: (error: Error) => void;
}

interface Worker {
  child: ChildProcess;
  busy: Job | null;
  ready: Promise<string>;
}

const here = fileURLToPath(import.meta.url);
// From source (tests, tsx) the worker is a .ts file and needs tsx's loader; built, it is plain .js beside this file.
const fromSource = here.endsWith(".ts");
const workerFile = path.join(path.dirname(here), fromSource ? "worker.ts" : "worker.js");
const packageRoot = path.resolve(path.dirname(here), "../../..");

export class OcrPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly options: OcrPoolOptions,
    /** The engine's name and version, as the first worker reported it. */
    readonly variant: string,
  ) {}

  /** Starts the first worker; rejects with OcrUnavailableError when its engine cannot run here. */
  static async start(options: OcrPoolOptions): Promise<OcrPool> {
    const first = spawnWorker(options);
    let variant: string;
    try {
      variant = await first.ready;
    } catch (error) {
      first.child.kill();
      throw error;
    }
    const pool = new OcrPool(options, variant);
    pool.adopt(first);
    return pool;
  }

  get engine(): OcrEngineName {
    return this.options.engine;
  }

  /** Recognises one page image (a grey PNG from image.ts) in the first free worker. */
  recognise(png: Uint8Array): Promise<OcrPageResult> {
    if (this.closed) return Promise.reject(new Error("the OCR pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, png, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every worker; queued and running pages are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("the OCR pool was closed"));
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            w.child.once("exit", () => resolve());
            w.child.kill();
          }),
      ),
    );
  }

  private adopt(worker: Worker): void {
    this.workers.push(worker);
    worker.child.on("message", (raw) => {
      const reply = raw as WorkerReply;
      const job = worker.busy;
      if ((reply.type !== "result" && reply.type !== "error") || !job || job.id !== reply.id) return;
      worker.busy = null;
      if (reply.type === "result") job.resolve({ lines: reply.lines });
      else job.reject(new Error(reply.message));
      this.dispatch();
    });
    worker.child.on("exit", (code, signal) => {
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers.splice(index, 1);
      if (worker.busy) {
        // Killed for memory, crashed in native code: the page fails, the pool goes on with a fresh worker.
        worker.busy.reject(new Error(`the OCR worker stopped (${signal ?? `exit code ${code}`}) while reading this page`));
        worker.busy = null;
      }
      if (!this.closed) this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const idle = this.workers.find((w) => w.busy === null);
      if (idle) {
        this.give(idle, this.queue.shift()!);
        continue;
      }
      if (this.workers.length >= Math.max(1, this.options.workers)) return;
      const worker = spawnWorker(this.options);
      this.adopt(worker);
      // A worker that starts late is given work only once its engine is loaded.
      worker.busy = { id: -1, png: new Uint8Array(), resolve: () => {}, reject: () => {} };
      worker.ready.then(
        () => {
          worker.busy = null;
          this.dispatch();
        },
        () => worker.child.kill(),
      );
    }
  }

  private give(worker: Worker, job: Job): void {
    worker.busy = job;
    worker.child.send({ type: "page", id: job.id, png: job.png } satisfies WorkerRequest);
  }
}

function spawnWorker(options: OcrPoolOptions): Worker {
  const child = fork(workerFile, [], {
    cwd: fromSource ? packageRoot : undefined,
    execArgv: fromSource ? ["--import", "tsx"] : [],
    serialization: "advanced",
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const ready = new Promise<string>((resolve, reject) => {
    const onMessage = (raw: unknown) => {
      const reply = raw as WorkerReply;
      if (reply.type === "ready") resolve(reply.variant);
      else if (reply.type === "init-error") reject(reply.unavailable ? new OcrUnavailableError(options.engine, reply.message) : new Error(reply.message));
      else return;
      child.off("message", onMessage);
    };
    child.on("message", onMessage);
    child.once("exit", (code, signal) => reject(new Error(`the OCR worker exited (${signal ?? `exit code ${code}`}) before its engine loaded`)));
    child.once("error", reject);
  });
  ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  child.send({
    type: "init",
    engine: options.engine,
    languages: options.languages,
    threads: options.threadsPerWorker,
    tesseractCommand: options.tesseractCommand,
  } satisfies WorkerRequest);
  return { child, busy: null, ready };
}
