// The commented configuration file generated from the schema: every setting in it with its description, default and
// environment variable, and loadSettings reading back exactly the defaults, whether the lines stay commented or not.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, envNameFor, loadSettings, settingLeaves } from "../../src/config/load.js";
import { renderConfigTemplate } from "../../src/config/template.js";
import { tempDir } from "../helpers.js";

const template = renderConfigTemplate();
/** `// "key": value,` lines: the settings that have a default. */
const defaultLine = /^(\s*)\/\/ ("[A-Za-z]+": .*,)$/;

describe("renderConfigTemplate", () => {
  it("lists every setting of the schema with its environment variable, and a default or why there is none", () => {
    const lines = template.split("\n");
    for (const { key } of settingLeaves()) {
      const at = lines.findIndex((l) => l.trim() === `// Environment: ${envNameFor(key)}` || l.trim() === `// Environment: ${envNameFor(key)} (comma-separated)`);
      expect(at, key).toBeGreaterThan(0);
      const name = key.split(".").at(-1)!;
      expect(lines[at + 1], key).toMatch(new RegExp(`^\\s*// "${name}"(: .*,| is not set by default \\(.+\\)\\.)$`));
      // The description sits just above.
      expect(lines[at - 1], key).toMatch(/^\s*\/\/ \S/);
    }
    expect(template).toContain('// "size": 384,');
    expect(template).toContain('// "languages": ["chi_sim","chi_tra","eng"],');
    expect(template).toContain("// Environment: ALPACA_RAG_SERVER_API_KEYS (comma-separated)");
    expect(template).toContain('// "threads" is not set by default (a whole number).');
    expect(template).toMatch(/\/\/ Target chunk size in tokens of the embedding model's tokenizer\.\n\s*\/\/ Environment: ALPACA_RAG_CHUNK_SIZE/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(112);
  });

  it("loads as the defaults, commented out as written or with every default line uncommented", () => {
    const cwd = tempDir();
    const defaults = loadSettings({ cwd, env: {} });
    fs.writeFileSync(path.join(cwd, "alpaca-rag.config.jsonc"), template);
    const asWritten = loadSettings({ cwd, env: {} });
    expect(asWritten.configFile).toBe(path.join(cwd, "alpaca-rag.config.jsonc"));
    expect({ ...asWritten, configFile: null }).toEqual(defaults);

    const uncommented = template.split("\n").map((l) => l.replace(defaultLine, "$1$2")).join("\n");
    const unset = template.split("\n").filter((l) => l.includes(" is not set by default (")).length;
    expect(uncommented.split("\n").filter((l) => /^\s*"[A-Za-z]+": .*,$/.test(l)).length).toBe(settingLeaves().length - unset);
    fs.writeFileSync(path.join(cwd, "alpaca-rag.config.jsonc"), uncommented);
    expect({ ...loadSettings({ cwd, env: {} }), configFile: null }).toEqual(defaults);
  });

  it("takes a changed line, and the environment still overrides the file", () => {
    const cwd = tempDir();
    const file = path.join(cwd, "alpaca-rag.config.jsonc");
    fs.writeFileSync(file, template.replace('// "size": 384,', '"size": 256,').replace('// "k": 6,', '"k": 3,'));
    const s = loadSettings({ cwd, env: { ALPACA_RAG_RETRIEVAL_K: "9" } });
    expect(s.chunk.size).toBe(256);
    expect(s.retrieval.k).toBe(9);
  });

  it("reports a syntax error with the file, line and column, and refuses two config files at once", () => {
    const cwd = tempDir();
    const file = path.join(cwd, "alpaca-rag.config.jsonc");
    fs.writeFileSync(file, '// settings\n{\n  "chunk": { "size": 256 }\n  "store": "s"\n}\n');
    expect(() => loadSettings({ cwd, env: {} })).toThrow(ConfigError);
    expect(() => loadSettings({ cwd, env: {} })).toThrow(`${file}:4:3: not valid JSON (CommaExpected)`);
    fs.writeFileSync(file, template);
    fs.writeFileSync(path.join(cwd, "alpaca-rag.config.json"), "{}");
    expect(() => loadSettings({ cwd, env: {} })).toThrow(/both .*alpaca-rag\.config\.json and .*alpaca-rag\.config\.jsonc exist/);
  });
});
