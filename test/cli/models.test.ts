// `alpaca-rag models list|pull` run as a real process: the catalog with local presence, quantization checks, and a
// pull that fails fast offline with a message naming the file.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generatorPresets } from "../../src/models/catalog.js";
import { embeddingPresets } from "../../src/models/embeddingPresets.js";
import { projectRoot, storiesModel, tempDir } from "../helpers.js";

const run = promisify(execFile);

/** Runs the CLI; resolves with its exit code and output instead of throwing on failure. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // `.invalid` never resolves (RFC 2606): downloads fail fast here and everywhere, never starting a real one.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: "", ALPACA_RAG_HF_ENDPOINT: "https://offline.invalid/" };
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: projectRoot, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}


describe("models list", () => {
  it("shows generators and embedders, and which quantization is present locally", { timeout: 60_000 }, async () => {
    const dir = tempDir("alpaca-rag-models-");
    // node-llama-cpp keeps hf:hfl/<repo>/<file> as hf_hfl_<repo>_<file>; any GGUF will do for "present".
    fs.copyFileSync(storiesModel, path.join(dir, "hf_hfl_chinese-alpaca-2-7b-gguf_ggml-model-q5_k.gguf"));
    const { code, stdout } = await cli(["models", "list", "--json", "--models-dir", dir]);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<{ name: string; role: string; context: number | null; rope: string; quant: string | null; local: string | null; size: number | null; uri: string }>;
    expect(rows.map((r) => r.name).sort()).toEqual([...generatorPresets, ...embeddingPresets].map((p) => p.name).sort());
    const present = rows.find((r) => r.name === "chinese-alpaca-2-7b")!;
    expect(present).toMatchObject({ role: "chat", context: 4096, quant: "Q5_K", size: fs.statSync(storiesModel).size });
    expect(present.uri).toBe("hf:hfl/chinese-alpaca-2-7b-gguf/ggml-model-q5_k.gguf");
    expect(rows.find((r) => r.name === "chinese-llama-2-13b-16k")).toMatchObject({ role: "base", context: 16384, quant: "Q4_K", local: null });
    expect(rows.find((r) => r.name === "bge-small-zh-v1.5")).toMatchObject({ role: "embedding", local: null });

    const table = await cli(["models", "list", "--models-dir", dir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/✔ chinese-alpaca-2-7b\s+chat\s+4K/);
    expect(table.stdout).toMatch(/chinese-alpaca-2-7b-64k\s+chat\s+64K\s+yarn ×16/);
  });
});

describe("models pull", () => {
  it("rejects a quantization the model is not published in", { timeout: 60_000 }, async () => {
    const { code, stderr } = await cli(["models", "pull", "chinese-alpaca-2-7b", "--quant", "Q4_K_M", "--models-dir", tempDir()]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--quant Q4_K_M: chinese-alpaca-2-7b is published as Q2_K, .*Q4_K,/);
  });

  it("fails fast offline with a message naming the file", { timeout: 60_000 }, async () => {
    // An endpoint that never resolves makes this offline on any machine (online, it would start an 800 MB download).
    const dir = tempDir("alpaca-rag-pull-");
    const started = Date.now();
    const { code, stderr } = await cli(["models", "pull", "chinese-alpaca-2-1.3b", "--models-dir", dir]);
    expect(code).toBe(1);
    expect(stderr).toContain("hf:hfl/chinese-alpaca-2-1.3b-gguf/ggml-model-q4_k.gguf");
    expect(stderr).toMatch(/could not be downloaded/);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
