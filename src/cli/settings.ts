// Shared CLI flags that map onto settings keys, and the one place the CLI turns flags into Settings.
import type { Command } from "commander";
import { loadSettings } from "../config/load.js";
import type { Settings } from "../config/schema.js";

export interface CommonFlags {
  config?: string;
  store?: string;
  threads?: string;
  gpu?: string;
  embeddingModel?: string;
  modelsDir?: string;
  chunkSize?: string;
  chunkOverlap?: string;
}

/** Adds the flags every command shares. */
export function withSettingsFlags(command: Command): Command {
  return command
    .option("--config <file>", "settings file (default ./alpaca-rag.config.json)")
    .option("--store <dir|url>", "store directory or postgres:// URL (settings key: store)")
    .option("--threads <n>", "llama.cpp threads (settings key: threads)")
    .option("--gpu <auto|true|false>", "use a GPU (settings key: gpu)")
    .option("--embedding-model <model>", "GGUF path, hf: URI, preset, auto or none (settings key: embedding.model)")
    .option("--models-dir <dir>", "where models are downloaded (settings key: modelsDir)");
}

function flagNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || value.trim() === "") throw new Error(`--${name}: expected a number, got "${value}"`);
  return n;
}

function flagGpu(value: string | undefined): "auto" | boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "auto") return "auto";
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`--gpu: expected auto, true or false, got "${value}"`);
}

export function settingsFromFlags(flags: CommonFlags, extra: Record<string, unknown> = {}): Settings {
  return loadSettings({
    configFile: flags.config,
    overrides: {
      store: flags.store,
      threads: flagNumber("threads", flags.threads),
      gpu: flagGpu(flags.gpu),
      "embedding.model": flags.embeddingModel,
      modelsDir: flags.modelsDir,
      "chunk.size": flagNumber("chunk-size", flags.chunkSize),
      "chunk.overlap": flagNumber("chunk-overlap", flags.chunkOverlap),
      ...extra,
    },
  });
}
