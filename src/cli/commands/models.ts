// `alpaca-rag models list|pull`: the model catalog, what is present locally, and downloads through node-llama-cpp.
import fs from "node:fs";
import type { Command } from "commander";
import { embeddingPresets, findEmbeddingPreset } from "../../models/embeddingPresets.js";
import { findLocalModel, resolveModel } from "../../models/resolve.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

function formatSize(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("list the model catalog and download models");

  withSettingsFlags(models.command("list").description("show known models and which are downloaded"))
    .option("--json", "print JSON")
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const settings = settingsFromFlags(flags);
      const rows = [];
      for (const p of embeddingPresets) {
        const local = await findLocalModel(p.uri, settings.modelsDir);
        rows.push({ name: p.name, role: "embedding", uri: p.uri, local, size: local ? fs.statSync(local).size : null, description: p.description });
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write(`Models directory: ${settings.modelsDir}\n`);
      for (const r of rows)
        process.stdout.write(`  ${r.local ? "✔" : " "} ${r.name.padEnd(28)} ${r.role.padEnd(10)} ${r.size ? formatSize(r.size).padStart(10) : "".padStart(10)}  ${r.description}\n`);
    });

  withSettingsFlags(models.command("pull").argument("<model>", "a catalog name or an hf: URI").description("download a model into the models directory"))
    .action(async (name: string, flags: CommonFlags) => {
      const settings = settingsFromFlags(flags);
      const preset = findEmbeddingPreset(name);
      const uri = preset?.uri ?? name;
      if (!uri.startsWith("hf:") && !/^https?:\/\//.test(uri))
        throw new Error(`models pull: "${name}" is neither a catalog name (see: alpaca-rag models list) nor an hf: URI`);
      const file = await resolveModel(uri, { modelsDir: settings.modelsDir, settingKey: "models pull", download: true, progress: true });
      process.stdout.write(`${file}\n`);
    });
}
