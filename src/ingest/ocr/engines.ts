// The one place an OCR engine is chosen by name: `ocr.engine` "paddle" or "tesseract" names one, "auto" prefers
// PaddleOCR (measured better on Chinese pages: bench/results/ocr.md) and falls back to Tesseract when it cannot run.
import type { OcrEngine, OcrEngineName, OcrEngineOptions } from "./contract.js";
import { createPaddleEngine } from "./paddle.js";
import { createTesseractEngine } from "./tesseract.js";

/** The `ocr.engine` setting. */
export type OcrEngineSetting = OcrEngineName | "auto" | "none";

/** Engines to try for a setting, best first ("none": no engine). */
export function engineCandidates(setting: OcrEngineSetting): OcrEngineName[] {
  if (setting === "none") return [];
  if (setting === "auto") return ["paddle", "tesseract"];
  return [setting];
}

/** Loads one engine in this process; throws OcrUnavailableError (with how to install it) when it cannot run here. */
export function createEngine(name: OcrEngineName, options: OcrEngineOptions & { tesseractCommand?: string }): Promise<OcrEngine> {
  return name === "paddle" ? createPaddleEngine(options) : createTesseractEngine({ ...options, command: options.tesseractCommand });
}
