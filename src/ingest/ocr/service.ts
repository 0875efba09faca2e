// The OCR service an ingest hands to its loaders (LoadContext.ocr): looks pages up in the cache first, starts the
// worker pool only when a page must really be read, bounds the pages in flight, and counts pages for progress.
import os from "node:os";
import { storeUrlScheme, type Settings } from "../../config/schema.js";
import { OcrCache } from "../../store/ocrCache.js";
import type { OcrEngineName, PageOcr, PageOcrRequest } from "./contract.js";
import { OcrUnavailableError, pageText } from "./contract.js";
import { engineCandidates, type OcrEngineSetting } from "./engines.js";
import { OcrPool } from "./pool.js";

export interface OcrServiceOptions {
  engine: OcrEngineSetting;
  languages: string[];
  dpi: number;
  /** CPU threads OCR may use in all (the `threads` setting). */
  threads: number;
  tesseractCommand?: string;
  /** Opens the page cache when it is first needed (so a run without images or scans creates no cache file). */
  openCache?: () => OcrCache;
  /** Called whenever a page is done or more pages are announced. */
  onProgress?: (pagesDone: number, pagesTotal: number) => void;
}

/** Engine processes for `threads` threads: one per thread (pages are independent), at most one per 2 GiB of memory. */
export function poolShape(threads: number, totalMemory = os.totalmem()): { workers: number; threadsPerWorker: number } {
  const byMemory = Math.max(1, Math.floor(totalMemory / 2 ** 31));
  const workers = Math.max(1, Math.min(threads, byMemory, 8));
  return { workers, threadsPerWorker: Math.max(1, Math.floor(threads / workers)) };
}

/** The cache's name for an engine: Tesseract's output depends on its languages, PaddleOCR's does not. */
export function engineCacheName(engine: OcrEngineName, languages: readonly string[]): string {
  return engine === "paddle" ? "paddle" : `tesseract:${languages.join("+")}`;
}

export class OcrService implements PageOcr {
  readonly dpi: number;
  /** Pages an engine read (cache misses). */
  pagesRecognised = 0;
  /** Pages answered from the cache. */
  pagesFromCache = 0;
  private pagesDone = 0;
  private pagesTotal = 0;
  private pool: Promise<OcrPool> | null = null;
  private cacheHandle: OcrCache | undefined;
  private readonly shape: { workers: number; threadsPerWorker: number };
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: OcrServiceOptions) {
    this.dpi = options.dpi;
    this.shape = poolShape(options.threads);
  }

  /** The engine that reads pages, once one has started (null before, or when none could). */
  async engineName(): Promise<OcrEngineName | null> {
    return this.pool ? (await this.pool.catch(() => null))?.engine ?? null : null;
  }

  expect(pages: number): void {
    this.pagesTotal += pages;
    this.options.onProgress?.(this.pagesDone, this.pagesTotal);
  }

  async read(request: PageOcrRequest): Promise<string> {
    const candidates = engineCandidates(this.options.engine);
    if (candidates.length === 0) throw new OcrUnavailableError("none", 'OCR is off (ocr.engine is "none"); set ocr.engine to "auto" to read scanned pages and images');
    for (const engine of candidates) {
      const cached = this.cache()?.get(this.key(request, engine));
      if (cached !== undefined) {
        this.pagesFromCache += 1;
        this.done();
        return cached;
      }
    }
    await this.acquire();
    try {
      const image = await request.image();
      let text = "";
      if (image !== null) {
        const pool = await this.start();
        text = pageText(await pool.recognise(image));
        this.pagesRecognised += 1;
        this.cache()?.put(this.key(request, pool.engine), text);
      }
      this.done();
      return text;
    } finally {
      this.release();
    }
  }

  /** Ends the worker processes and closes the cache. */
  async close(): Promise<void> {
    const pool = await this.pool?.catch(() => null);
    await pool?.close();
    this.cacheHandle?.close();
    this.cacheHandle = undefined;
  }

  private cache(): OcrCache | undefined {
    this.cacheHandle ??= this.options.openCache?.();
    return this.cacheHandle;
  }

  private key(request: PageOcrRequest, engine: OcrEngineName) {
    return { sha256: request.sha256, page: request.page, engine: engineCacheName(engine, this.options.languages), dpi: request.dpi };
  }

  private done(): void {
    this.pagesDone += 1;
    this.pagesTotal = Math.max(this.pagesTotal, this.pagesDone);
    this.options.onProgress?.(this.pagesDone, this.pagesTotal);
  }

  /** Starts the first engine that can run, once; every page after a failure gets the same reason. */
  private start(): Promise<OcrPool> {
    this.pool ??= (async () => {
      const reasons: string[] = [];
      for (const engine of engineCandidates(this.options.engine)) {
        try {
          return await OcrPool.start({
            engine,
            languages: this.options.languages,
            workers: this.shape.workers,
            threadsPerWorker: this.shape.threadsPerWorker,
            tesseractCommand: this.options.tesseractCommand,
          });
        } catch (error) {
          if (!(error instanceof OcrUnavailableError)) throw error;
          reasons.push(error.message);
        }
      }
      throw new OcrUnavailableError(this.options.engine === "auto" ? "paddle" : (this.options.engine as OcrEngineName), `no OCR engine can run: ${reasons.join("; ")}`);
    })();
    return this.pool;
  }

  // Pages in flight: one per worker plus one being rendered, so a 500-page scan is not rendered all at once.
  private async acquire(): Promise<void> {
    if (this.inFlight < this.shape.workers + 1) {
      this.inFlight += 1;
      return;
    }
    // release() hands its slot straight to the waiter: inFlight stays as it is.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}

/** The OCR service of one ingest into `storeDir` from the settings, or null when `ocr.engine` is "none". */
export function ocrServiceFor(settings: Settings, storeDir: string, onProgress: OcrServiceOptions["onProgress"]): OcrService | null {
  if (settings.ocr.engine === "none") return null;
  return new OcrService({
    engine: settings.ocr.engine,
    languages: settings.ocr.languages,
    dpi: settings.ocr.dpi,
    threads: settings.threads ?? Math.max(1, os.availableParallelism()),
    tesseractCommand: settings.ocr.tesseractCommand,
    // The cache is a file in the embedded store's folder; a server store (a URL) has no folder, and keeps none yet.
    openCache: storeUrlScheme(storeDir) === undefined ? () => OcrCache.open(storeDir) : undefined,
    onProgress,
  });
}
