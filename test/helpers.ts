// Shared test fixtures: the shared models and data, temporary folders, settings for a tiny real model on one thread.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSettings } from "../src/config/load.js";
import type { Settings } from "../src/config/schema.js";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const sharedDir = path.resolve(projectRoot, "..", "shared");
export const storiesModel = path.join(sharedDir, "models", "stories260K.gguf");
export const chineseVocab = path.join(sharedDir, "models", "chinese-llama-2-vocab.gguf");
export const cmrcTrial = path.join(sharedDir, "data", "cmrc2018", "cmrc2018_trial.json");
export const samplePdf = path.join(sharedDir, "data", "pdf", "cmrc-trial-sample.pdf");
export const samplePdfPages = path.join(sharedDir, "data", "pdf", "cmrc-trial-sample.pages.json");

/**
 * The sample documents the project ships in ingest/, by name: tests copy these and nothing else, since a user of the
 * quick start may have put their own files (or anything else) in that folder.
 */
export const shippedSampleNames = ["balcony-herbs-winter.txt", "lanxi-wangyue-bridge.md", "northvale-seed-library.pdf"] as const;

/** Path of a shipped sample in the checkout's ingest/ folder. */
export const shippedSamplePath = (name: (typeof shippedSampleNames)[number]) => path.join(projectRoot, "ingest", name);

/** A fresh temporary inbox holding the shipped samples and nothing else. */
export function shippedSampleInbox(): string {
  const inbox = tempDir("alpaca-rag-samples-");
  for (const name of shippedSampleNames) fs.copyFileSync(shippedSamplePath(name), path.join(inbox, name));
  return inbox;
}

const createdTempDirs: string[] = [];

/** A fresh folder under the OS temp dir, removed after the test file by test/setup.ts. */
export function tempDir(prefix = "alpaca-rag-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  createdTempDirs.push(dir);
  return dir;
}

/** Removes every folder tempDir made in this process (each test file runs in its own). */
export function removeTempDirs(): void {
  for (const dir of createdTempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Settings for tests: the given store and inbox, stories260K on one CPU thread unless told otherwise. */
export function testSettings(options: { store: string; inbox?: string; model?: string; chunkSize?: number; chunkOverlap?: number; vectorPrecision?: Settings["vectorPrecision"] }): Settings {
  return loadSettings({
    cwd: projectRoot,
    env: {},
    configFile: undefined,
    overrides: {
      store: options.store,
      inbox: options.inbox,
      threads: 1,
      gpu: false,
      "embedding.model": options.model ?? storiesModel,
      "chunk.size": options.chunkSize ?? 200,
      "chunk.overlap": options.chunkOverlap ?? 32,
      vectorPrecision: options.vectorPrecision,
    },
  });
}

export interface CmrcParagraph {
  id: string;
  context: string;
  qas: Array<{ id: string; question: string; answers: Array<{ text: string; answer_start: number }> }>;
}

export function cmrcParagraphs(): CmrcParagraph[] {
  const data = JSON.parse(fs.readFileSync(cmrcTrial, "utf8")) as { data: Array<{ paragraphs: CmrcParagraph[] }> };
  return data.data.flatMap((d) => d.paragraphs);
}

/** Writes files into a folder: {"a.txt": "text" | Buffer}. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}
