// `alpaca-rag models list|pull`: the model catalog (generators and embedders), what is present locally, and downloads
// through node-llama-cpp.
import fs from "node:fs";
import type { Command } from "commander";
import {
  findGeneratorPreset,
  generatorModelUri,
  listCatalog,
  parseQuantization,
  type GeneratorPreset,
} from "../../models/catalog.js";
import { findEmbeddingPreset } from "../../models/embeddingPresets.js";
import { findLocalModel, isRemoteModelUri, resolveModel } from "../../models/resolve.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

function formatSize(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function formatContext(tokens: number | null): string {
  if (tokens === null) return "";
  return tokens % 1024 === 0 ? `${tokens / 1024}K` : String(tokens);
}

interface ListRow {
  name: string;
  role: string;
  context: number | null;
  rope: string;
  /** The quantization found locally, else the default one. */
  quant: string | null;
  /** URI of that quantization. */
  uri: string;
  local: string | null;
  size: number | null;
  draftFor?: readonly string[];
  description: string;
}

/** The URI of a catalog name (with an optional quantization) or an hf:/https: URI; throws for anything else. */
export function modelUriFor(name: string, quant?: string): string {
  const generator = findGeneratorPreset(name);
  if (generator) return generatorModelUri(generator, quantFor(generator, quant));
  if (quant) throw new Error(`--quant applies to generator models only; ${name} is not one`);
  const embedder = findEmbeddingPreset(name);
  if (embedder) return embedder.uri;
  if (isRemoteModelUri(name)) return name;
  throw new Error(`models pull: "${name}" is neither a catalog name (see: alpaca-rag models list) nor an hf: URI`);
}

function quantFor(preset: GeneratorPreset, quant: string | undefined): GeneratorPreset["defaultQuant"] {
  if (quant === undefined) return preset.defaultQuant;
  const parsed = parseQuantization(quant);
  if (!parsed || !preset.quantizations.includes(parsed))
    throw new Error(`--quant ${quant}: ${preset.name} is published as ${preset.quantizations.join(", ")}`);
  return parsed;
}

export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("list the model catalog and download models");

  withSettingsFlags(models.command("list").description("show the catalog (generators and embedders) and which are downloaded"))
    .option("--json", "print JSON")
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const settings = settingsFromFlags(flags);
      const rows: ListRow[] = [];
      for (const entry of listCatalog()) {
        let local: string | null = null;
        let quant: string | null = entry.quant;
        let uri = entry.uri;
        const generator = findGeneratorPreset(entry.name);
        // A generator counts as present in whichever quantization was pulled; the default is looked for first.
        const candidates = generator
          ? [generator.defaultQuant, ...generator.quantizations.filter((q) => q !== generator.defaultQuant)]
          : [null];
        for (const q of candidates) {
          const candidate = generator && q ? generatorModelUri(generator, q) : entry.uri;
          local = await findLocalModel(candidate, settings.modelsDir);
          if (local) {
            quant = q ?? quant;
            uri = candidate;
            break;
          }
        }
        rows.push({
          name: entry.name,
          role: entry.role,
          context: entry.contextSize,
          rope: entry.rope,
          quant,
          uri,
          local,
          size: local ? fs.statSync(local).size : null,
          ...(entry.draftFor ? { draftFor: entry.draftFor } : {}),
          description: entry.description,
        });
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write(`Models directory: ${settings.modelsDir}\n`);
      process.stdout.write(
        `    ${"name".padEnd(28)} ${"role".padEnd(9)} ${"context".padStart(7)}  ${"RoPE".padEnd(24)} ${"quant".padEnd(7)} ${"local".padStart(10)}  description\n`,
      );
      for (const r of rows) {
        const rope = r.rope === "none" ? "—" : r.rope;
        process.stdout.write(
          `  ${r.local ? "✔" : " "} ${r.name.padEnd(28)} ${r.role.padEnd(9)} ${formatContext(r.context).padStart(7)}  ${rope.padEnd(24)} ` +
            `${(r.quant ?? "").padEnd(7)} ${(r.size ? formatSize(r.size) : "").padStart(10)}  ${r.description}\n`,
        );
      }
      process.stdout.write("Get one with: alpaca-rag models pull NAME [--quant Q4_K]\n");
    });

  withSettingsFlags(
    models
      .command("pull")
      .argument("<model>", "a catalog name (see models list) or an hf: URI")
      .description("download a model into the models directory"),
  )
    .option("--quant <quant>", "quantization of a generator model, e.g. Q4_K (default), Q5_K, Q8_0, Q4_K-im")
    .action(async (name: string, flags: CommonFlags & { quant?: string }) => {
      const settings = settingsFromFlags(flags);
      const uri = modelUriFor(name, flags.quant);
      const file = await resolveModel(uri, { modelsDir: settings.modelsDir, settingKey: "models pull", download: true, progress: true, hfEndpoint: settings.hfEndpoint });
      process.stdout.write(`${file}\n`);
    });
}
