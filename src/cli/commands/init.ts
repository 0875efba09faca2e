// `alpaca-rag init [FILE]`: writes the commented configuration file (every setting at its default, what it does, its
// environment variable), generated from the settings schema; an existing file is kept unless --force.
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { defaultCommentedConfigFileName, loadSettings } from "../../config/load.js";
import { renderConfigTemplate } from "../../config/template.js";

interface InitFlags {
  force?: boolean;
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .argument("[file]", "where to write it", defaultCommentedConfigFileName)
    .description("write a configuration file listing every setting with its default and environment variable")
    .option("--force", "overwrite the file if it exists")
    .action((file: string, flags: InitFlags) => {
      const target = path.resolve(file);
      if (fs.existsSync(target) && !flags.force) throw new Error(`${target} exists; keep it, or overwrite it with --force`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, renderConfigTemplate());
      // What was written must load: a template the loader refuses would be worse than none.
      loadSettings({ configFile: target, env: {} });
      const beside = path.join(path.dirname(target), "alpaca-rag.config.json");
      const note =
        path.basename(target) === defaultCommentedConfigFileName && fs.existsSync(beside)
          ? `\n(${beside} exists too and settings refuse to load with both: keep one)`
          : "";
      process.stdout.write(`wrote ${target}: every setting at its default, commented out; delete the // before a line to change it${note}\n`);
    });
}
