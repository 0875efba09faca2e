// `alpaca-rag init`: writes the commented configuration file the loader reads back, and never overwrites one without --force.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/load.js";
import { renderConfigTemplate } from "../../src/config/template.js";
import { runCli } from "../cliProcess.js";
import { tempDir } from "../helpers.js";

describe("alpaca-rag init", () => {
  it("writes the template, refuses to overwrite it, and overwrites with --force", async () => {
    const dir = tempDir();
    const file = path.join(dir, "alpaca-rag.config.jsonc");
    const first = await runCli(["init", file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`wrote ${file}`);
    expect(fs.readFileSync(file, "utf8")).toBe(renderConfigTemplate());
    expect(loadSettings({ cwd: dir, env: {} }).configFile).toBe(file);

    fs.writeFileSync(file, '{ "chunk": { "size": 200 } }');
    const again = await runCli(["init", file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${file} exists; keep it, or overwrite it with --force`);
    expect(fs.readFileSync(file, "utf8")).toBe('{ "chunk": { "size": 200 } }');

    const forced = await runCli(["init", file, "--force"]);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(renderConfigTemplate());
  });
});
