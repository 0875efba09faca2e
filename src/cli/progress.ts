// Ingest progress for people: a cli-progress bar on a terminal, plain lines (at most one every 2 s) otherwise.
import cliProgress from "cli-progress";
import type { IngestProgress } from "../ingest/pipeline.js";

export interface ProgressView {
  update(progress: IngestProgress): void;
  stop(): void;
}

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`;
}

/** "OCR 3/20 pages" while scanned pages or images are being read; "" when there are none. */
function ocrText(p: IngestProgress): string {
  return p.ocrPagesTotal > 0 ? `OCR ${p.ocrPagesDone}/${p.ocrPagesTotal} pages` : "";
}

export function createProgressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: "ingest [{bar}] {value}/{total} files | {chunks} chunks | {rate} chunks/s | {ocr}ETA {etaText} | {file}",
        hideCursor: true,
        clearOnComplete: false,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          chunks: p.chunksDone,
          rate: p.chunksPerSecond.toFixed(1),
          ocr: ocrText(p) ? `${ocrText(p)} | ` : "",
          etaText: formatEta(p.etaSeconds),
          file: (p.currentFile ?? "").slice(-40),
        };
        if (!started) {
          bar.start(p.filesTotal, p.filesDone, payload);
          started = true;
        } else bar.update(p.filesDone, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  let lastDone = -1;
  let lastOcrDone = -1;
  return {
    update(p) {
      const now = Date.now();
      const finished = p.filesDone === p.filesTotal;
      // A scanned PDF is one file for minutes: its OCR pages count as progress too.
      if ((now - last < 2000 && !finished) || (p.filesDone === lastDone && p.ocrPagesDone === lastOcrDone)) return;
      last = now;
      lastDone = p.filesDone;
      lastOcrDone = p.ocrPagesDone;
      const ocr = ocrText(p) ? `, ${ocrText(p)}` : "";
      stream.write(
        `ingest: ${p.filesDone}/${p.filesTotal} files, ${p.chunksDone} chunks, ${p.chunksPerSecond.toFixed(1)} chunks/s${ocr}, ETA ${formatEta(p.etaSeconds)}\n`,
      );
    },
    stop() {},
  };
}
