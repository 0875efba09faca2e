// Both OCR engines on a page rendered here with simplified Chinese, traditional Chinese and English lines; the
// reasons a missing engine gives; and the worker pool that runs them off the main thread.
import { describe, expect, it } from "vitest";
import { OcrUnavailableError, pageText, type OcrEngineName } from "../../../src/ingest/ocr/contract.js";
import { createEngine } from "../../../src/ingest/ocr/engines.js";
import { ocrImage } from "../../../src/ingest/ocr/image.js";
import { OcrPool } from "../../../src/ingest/ocr/pool.js";
import { characterErrors, renderLines } from "./pages.js";

const languages = ["chi_sim", "chi_tra", "eng"];
const simplified = "望月桥建于一九二三年，全长八十米。";
const traditional = "舊城區的鐘樓每天報時三次。";
const english = "The lighthouse keeper logs every ship.";

describe.each<OcrEngineName>(["paddle", "tesseract"])("the %s engine", (name) => {
  it("reads simplified Chinese, traditional Chinese and English on one page, line by line", async () => {
    const png = (await ocrImage(await renderLines([simplified, traditional, english])))!;
    const engine = await createEngine(name, { languages, threads: 1 });
    try {
      const started = performance.now();
      const result = await engine.recognise(png);
      const lines = result.lines.map((l) => l.text);
      console.log(`[ocr] ${engine.variant}: ${Math.round(performance.now() - started)} ms: ${JSON.stringify(lines)}`);
      expect(lines).toHaveLength(3);
      // At most one character in ten misread on a clean rendering.
      expect(characterErrors(lines[0], simplified)).toBeLessThanOrEqual(2);
      expect(characterErrors(lines[1], traditional)).toBeLessThanOrEqual(2);
      expect(characterErrors(lines[2].toLowerCase(), english.toLowerCase())).toBeLessThanOrEqual(3);
      expect(pageText(result).split("\n")).toEqual(lines.map((l) => l.trim()));
    } finally {
      await engine.dispose();
    }
  });
});

describe("a missing engine", () => {
  it("Tesseract not installed: says how to install it", async () => {
    const error = await createEngine("tesseract", { languages, tesseractCommand: "/nonexistent/bin/tesseract" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcrUnavailableError);
    expect((error as Error).message).toMatch(/^Tesseract is not installed \(ENOENT\); install Tesseract/);
    expect((error as Error).message).toContain("apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra");
  });

  it("Tesseract without a language's data: names the package to install", async () => {
    const error = await createEngine("tesseract", { languages: ["chi_sim", "kor_vert"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcrUnavailableError);
    expect((error as Error).message).toBe("Tesseract lacks the language data kor_vert; install it, e.g. `sudo apt-get install tesseract-ocr-kor-vert`");
  });

  it("PaddleOCR asked for a language it does not read: points to Tesseract", async () => {
    const error = await createEngine("paddle", { languages: ["chi_sim", "jpn"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcrUnavailableError);
    expect((error as Error).message).toContain('not jpn; choose ocr.engine "tesseract"');
  });

  it("a pool whose engine cannot start fails at once with the engine's reason", async () => {
    const error = await OcrPool.start({ engine: "tesseract", languages, workers: 2, threadsPerWorker: 1, tesseractCommand: "/nonexistent/tesseract" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OcrUnavailableError);
    expect((error as Error).message).toContain("Tesseract is not installed");
  });
});

describe("the OCR pool", () => {
  it("reads pages in worker processes, two at once, each answer going to its own page", async () => {
    const pages = [await renderLines(["第一页：北湖公园的荷花七月开放。"]), await renderLines(["第二页：图书馆周一闭馆。"])];
    const pool = await OcrPool.start({ engine: "paddle", languages, workers: 2, threadsPerWorker: 1 });
    try {
      expect(pool.variant).toBe("paddle PP-OCRv4");
      const results = await Promise.all(pages.map(async (p) => pageText(await pool.recognise((await ocrImage(p))!))));
      expect(characterErrors(results[0], "第一页：北湖公园的荷花七月开放。")).toBeLessThanOrEqual(2);
      expect(characterErrors(results[1], "第二页：图书馆周一闭馆。")).toBeLessThanOrEqual(2);
    } finally {
      await pool.close();
    }
    await expect(pool.recognise(pages[0])).rejects.toThrow("the OCR pool is closed");
  });
});
