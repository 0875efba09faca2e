// Catalog invariants: every Chinese-LLaMA-2 / Chinese-Alpaca-2 release present, context and RoPE by variant, chat
// flag and prompt format by family, hfl file names and well-formed node-llama-cpp URIs.
import { describe, expect, it } from "vitest";
import {
  defaultQuant,
  findGeneratorPreset,
  generatorModelUri,
  generatorPresets,
  ggufFileName,
  listCatalog,
  parseQuantization,
} from "../../src/models/catalog.js";
import { embeddingPresets } from "../../src/models/embeddingPresets.js";

const expectedNames = [
  "chinese-llama-2-1.3b",
  "chinese-llama-2-7b",
  "chinese-llama-2-13b",
  "chinese-alpaca-2-1.3b",
  "chinese-alpaca-2-7b",
  "chinese-alpaca-2-13b",
  "chinese-llama-2-7b-16k",
  "chinese-llama-2-13b-16k",
  "chinese-alpaca-2-7b-16k",
  "chinese-alpaca-2-13b-16k",
  "chinese-llama-2-7b-64k",
  "chinese-alpaca-2-7b-64k",
  "chinese-alpaca-2-1.3b-rlhf",
  "chinese-alpaca-2-7b-rlhf",
];

describe("generator catalog", () => {
  it("has every family member exactly once", () => {
    expect([...generatorPresets.map((p) => p.name)].sort()).toEqual([...expectedNames].sort());
  });

  it("gives 4K models native RoPE and 4096 context", () => {
    for (const p of generatorPresets.filter((p) => !/-(16k|64k)$/.test(p.name))) {
      expect(p.rope, p.name).toEqual({ type: "none", factor: 1, originalContext: 4096 });
      expect(p.contextSize, p.name).toBe(4096);
    }
  });

  it("gives 16K models linear RoPE ×4 over 4K and 16384 context", () => {
    const long = generatorPresets.filter((p) => p.name.endsWith("-16k"));
    expect(long).toHaveLength(4);
    for (const p of long) {
      expect(p.rope, p.name).toEqual({ type: "linear", factor: 4, originalContext: 4096 });
      expect(p.contextSize, p.name).toBe(16384);
    }
  });

  it("gives 64K models YaRN ×16 over 4K and 65536 context", () => {
    const long = generatorPresets.filter((p) => p.name.endsWith("-64k"));
    expect(long.map((p) => p.name).sort()).toEqual(["chinese-alpaca-2-7b-64k", "chinese-llama-2-7b-64k"]);
    for (const p of long) {
      expect(p.rope, p.name).toEqual({ type: "yarn", factor: 16, originalContext: 4096 });
      expect(p.contextSize, p.name).toBe(65536);
    }
  });

  it("sets chat flag, family and prompt format by family", () => {
    for (const p of generatorPresets) {
      const alpaca = p.name.startsWith("chinese-alpaca-2-");
      expect(p.family, p.name).toBe(alpaca ? "alpaca" : "llama");
      expect(p.chat, p.name).toBe(alpaca);
      expect(p.promptFormat, p.name).toBe(alpaca ? "llama2-chat" : "completion");
      expect(p.rlhf, p.name).toBe(p.name.endsWith("-rlhf"));
    }
  });

  it("labels parameters and marks the 1.3B models as drafts for larger members of their family", () => {
    for (const p of generatorPresets) {
      expect(p.name, p.name).toContain(`-${p.parameters.toLowerCase()}`);
      if (p.parameters === "1.3B") {
        expect(p.draftFor?.length, p.name).toBeGreaterThan(0);
        for (const target of p.draftFor ?? []) {
          const t = findGeneratorPreset(target);
          expect(t, target).toBeDefined();
          expect(t!.family).toBe(p.family);
          expect(["7B", "13B"]).toContain(t!.parameters);
        }
      } else expect(p.draftFor, p.name).toBeUndefined();
    }
  });

  it("defaults to Q4_K and names files the hfl way", () => {
    expect(defaultQuant).toBe("Q4_K");
    for (const p of generatorPresets) {
      expect(p.defaultQuant).toBe("Q4_K");
      expect(p.quantizations).toEqual(expect.arrayContaining(["Q4_K", "Q8_0", "F16"]));
      expect(p.repo).toBe(`hfl/${p.name}-gguf`);
      for (const q of p.quantizations) expect(p.files[q]).toBe(ggufFileName(q));
    }
    expect(ggufFileName("Q4_K")).toBe("ggml-model-q4_k.gguf");
    expect(ggufFileName("Q4_K-im")).toBe("ggml-model-q4_k-im.gguf");
    expect(ggufFileName("F16")).toBe("ggml-model-f16.gguf");
  });

  it("builds well-formed hf: URIs and rejects unpublished quantizations", () => {
    for (const p of generatorPresets) {
      const uri = generatorModelUri(p);
      expect(uri).toMatch(/^hf:hfl\/chinese-(llama|alpaca)-2-[0-9.]+b(-16k|-64k|-rlhf)?-gguf\/ggml-model-[a-z0-9_-]+\.gguf$/);
      expect(uri).toBe(`hf:${p.repo}/ggml-model-q4_k.gguf`);
    }
    const alpaca = findGeneratorPreset("chinese-alpaca-2-7b")!;
    expect(generatorModelUri(alpaca, "Q8_0")).toBe("hf:hfl/chinese-alpaca-2-7b-gguf/ggml-model-q8_0.gguf");
    const noImatrix = findGeneratorPreset("chinese-llama-2-13b-16k")!;
    expect(() => generatorModelUri(noImatrix, "Q4_K-im")).toThrow(/no Q4_K-im file/);
  });

  it("finds presets by name, case-insensitively, and parses quantization spellings", () => {
    expect(findGeneratorPreset("Chinese-Alpaca-2-7B-16K")?.name).toBe("chinese-alpaca-2-7b-16k");
    expect(findGeneratorPreset("chinese-alpaca-3-7b")).toBeUndefined();
    expect(parseQuantization("q4_k")).toBe("Q4_K");
    expect(parseQuantization("Q5_K_IM")).toBe("Q5_K-im");
    expect(parseQuantization("q4_k-im")).toBe("Q4_K-im");
    expect(parseQuantization("f16")).toBe("F16");
    expect(parseQuantization("Q4_K_M")).toBeUndefined();
  });
});

describe("listCatalog", () => {
  it("lists generators (chat first) and then every embedding preset", () => {
    const entries = listCatalog();
    expect(entries).toHaveLength(generatorPresets.length + embeddingPresets.length);
    const roles = entries.map((e) => e.role);
    expect(roles.indexOf("base")).toBeGreaterThan(roles.lastIndexOf("chat"));
    expect(roles.indexOf("embedding")).toBeGreaterThan(roles.lastIndexOf("base"));
    for (const e of embeddingPresets) expect(entries.find((x) => x.name === e.name)?.uri).toBe(e.uri);
    const long = entries.find((e) => e.name === "chinese-alpaca-2-7b-64k")!;
    expect(long).toMatchObject({ role: "chat", contextSize: 65536, quant: "Q4_K", rope: "yarn ×16 (4096 → 65536)" });
  });
});
