// RoPE settings: the NTK rule's arithmetic, which overrides each case needs, and, on a real llama.cpp, that the
// overrides arrive: the freq_base / freq_scale / n_ctx llama.cpp logs when it creates a context.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, readGgufFileInfo, type GgufMetadata, type Llama } from "node-llama-cpp";
import { findGeneratorPreset } from "../../src/models/catalog.js";
import { contextOptionsFor, ggufFloat, ntkAlpha, ntkFreqBase, type ContextOptions } from "../../src/models/rope.js";
import { storiesModel } from "../helpers.js";

/** Metadata of a LLaMA-2-7B-shaped GGUF (head dimension 4096 / 32 = 128), with optional RoPE scaling keys. */
function llama7bMetadata(scaling?: { type?: string; factor?: number; original_context_length?: number }, contextLength = 4096) {
  return {
    general: { architecture: "llama" },
    llama: { context_length: contextLength, embedding_length: 4096, attention: { head_count: 32 }, rope: { freq_base: 10000, ...(scaling ? { scaling } : {}) } },
  };
}

describe("NTK rule", () => {
  it("computes alpha = L / (native / 2) − 1 and base · alpha^(d/(d−2))", () => {
    expect(ntkAlpha(8192, 4096)).toBe(3);
    expect(ntkAlpha(6144, 4096)).toBe(2);
    expect(ntkAlpha(4096, 4096)).toBe(1);
    expect(ntkFreqBase(10000, 3, 128)).toBeCloseTo(10000 * Math.pow(3, 128 / 126), 6);
    expect(ntkFreqBase(10000, 1, 128)).toBe(10000);
  });

  it("sends floats as non-integral numbers so node-llama-cpp types them as floats", () => {
    expect(ggufFloat(4)).toBe(4.000001);
    expect(Number.isInteger(ggufFloat(16))).toBe(false);
    expect(ggufFloat(2.5)).toBe(2.5);
  });
});

describe("contextOptionsFor", () => {
  it("loads a 4K model at its native context without overrides", () => {
    const o = contextOptionsFor({ preset: findGeneratorPreset("chinese-alpaca-2-7b"), ggufMetadata: llama7bMetadata() });
    expect(o.contextSize).toBe(4096);
    expect(o.metadataOverrides).toBeUndefined();
    expect(o.rope).toEqual({ type: "none", freqBase: 10000, freqScale: 1 });
    const smaller = contextOptionsFor({ preset: findGeneratorPreset("chinese-alpaca-2-7b"), ggufMetadata: llama7bMetadata(), requestedContext: 2048 });
    expect(smaller.contextSize).toBe(2048);
    expect(smaller.metadataOverrides).toBeUndefined();
  });

  it("applies NTK scaling to a 4K model asked for more, through llama.rope.freq_base", () => {
    const o = contextOptionsFor({ preset: findGeneratorPreset("chinese-alpaca-2-7b"), ggufMetadata: llama7bMetadata(), requestedContext: 8192 });
    const expected = 10000 * Math.pow(3, 128 / 126);
    expect(o.contextSize).toBe(8192);
    expect(o.rope.type).toBe("ntk");
    expect(o.rope.freqBase).toBeCloseTo(expected, 6);
    const sent = (o.metadataOverrides as { llama: { rope: { freq_base: number } } }).llama.rope.freq_base;
    expect(Number.isInteger(sent)).toBe(false);
    expect(sent).toBeCloseTo(expected, 3);
    expect(o.note).toMatch(/NTK/);
    expect(o.note).toMatch(/alpha 3\.000/);
  });

  it("uses the file's own context when there is no preset", () => {
    const o = contextOptionsFor({ ggufMetadata: llama7bMetadata(undefined, 2048), requestedContext: 4096 });
    expect(o.rope.type).toBe("ntk");
    expect(o.rope.freqBase).toBeCloseTo(10000 * Math.pow(3, 128 / 126), 6);
  });

  it("supplies missing linear scaling metadata for a 16K model", () => {
    const o = contextOptionsFor({ preset: findGeneratorPreset("chinese-alpaca-2-7b-16k"), ggufMetadata: llama7bMetadata() });
    expect(o.contextSize).toBe(16384);
    // No type: llama.cpp reads a missing llama.rope.scaling.type as linear, and string overrides print to stdout.
    expect(o.metadataOverrides).toEqual({ llama: { rope: { scaling: { factor: 4.000001, original_context_length: 4096 } } } });
    expect(o.rope).toEqual({ type: "linear", freqBase: 10000, freqScale: 0.25 });
    expect(o.note).toMatch(/linear RoPE scaling ×4/);
    expect(o.note).toMatch(/lacks/);
  });

  it("adds nothing when the GGUF already declares the scaling", () => {
    const meta = llama7bMetadata({ type: "linear", factor: 4, original_context_length: 4096 }, 16384);
    const o = contextOptionsFor({ preset: findGeneratorPreset("chinese-llama-2-13b-16k"), ggufMetadata: meta });
    expect(o.metadataOverrides).toBeUndefined();
    expect(o.contextSize).toBe(16384);
    // Without a preset, the file's declaration is enough.
    expect(contextOptionsFor({ ggufMetadata: meta }).rope).toMatchObject({ type: "linear", freqScale: 0.25 });
    expect(contextOptionsFor({ ggufMetadata: meta }).contextSize).toBe(16384);
  });

  it("supplies YaRN type, factor and original context for a 64K model, and caps requests at 64K", () => {
    const o = contextOptionsFor({ preset: findGeneratorPreset("chinese-alpaca-2-7b-64k"), ggufMetadata: llama7bMetadata(), requestedContext: 100000 });
    expect(o.contextSize).toBe(65536);
    expect(o.metadataOverrides).toEqual({ llama: { rope: { scaling: { type: "yarn", factor: 16.000001, original_context_length: 4096 } } } });
    expect(o.rope.freqScale).toBe(1 / 16);
    expect(o.note).toMatch(/asked for 100000/);
    const shorter = contextOptionsFor({ preset: findGeneratorPreset("chinese-alpaca-2-7b-64k"), ggufMetadata: llama7bMetadata(), requestedContext: 32768 });
    expect(shorter.contextSize).toBe(32768);
    expect(shorter.metadataOverrides).toBeDefined();
  });
});

describe("settings reach llama.cpp (stories260K, native context 512)", () => {
  let llama: Llama;
  let metadata: GgufMetadata;
  const logs: string[] = [];

  beforeAll(async () => {
    llama = await getLlama({
      gpu: false,
      build: "never",
      logLevel: LlamaLogLevel.info,
      logger: (_level, message) => logs.push(message),
    });
    metadata = (await readGgufFileInfo(storiesModel)).metadata;
  });
  afterAll(async () => {
    await llama?.dispose();
  });

  /** Loads the model with the options, creates a context and returns what llama.cpp logged about it. */
  async function logged(options: ContextOptions) {
    logs.length = 0;
    const model = await llama.loadModel({ modelPath: storiesModel, metadataOverrides: options.metadataOverrides });
    const context = await model.createContext({ contextSize: options.contextSize, threads: 1 });
    try {
      // Native log lines arrive through a thread-safe callback; give them a moment.
      for (let i = 0; i < 50 && !logs.some((l) => /llama_context: freq_scale/.test(l)); i++) await new Promise((r) => setTimeout(r, 20));
      const text = logs.join("\n");
      const read = (pattern: RegExp) => {
        const m = pattern.exec(text);
        if (!m) throw new Error(`not in llama.cpp's log: ${pattern}`);
        return m[1];
      };
      return {
        contextSize: context.contextSize,
        nCtx: Number(read(/llama_context: n_ctx\s+=\s+(\d+)/)),
        freqBase: Number(read(/llama_context: freq_base\s+=\s+([0-9.e+-]+)/)),
        freqScale: Number(read(/llama_context: freq_scale\s+=\s+([0-9.e+-]+)/)),
        scalingType: read(/print_info: rope scaling\s+=\s+(\w+)/),
        text,
      };
    } finally {
      await context.dispose();
      await model.dispose();
    }
  }

  const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

  it("applies NTK scaling when asked for 1024 tokens", async () => {
    const options = contextOptionsFor({ ggufMetadata: metadata, requestedContext: 1024 });
    // head dimension 64 / 8 = 8, alpha = 1024 / 256 − 1 = 3
    expect(options.rope.freqBase).toBeCloseTo(10000 * Math.pow(3, 8 / 6), 6);
    const seen = await logged(options);
    expect(seen.nCtx).toBe(1024);
    expect(seen.contextSize).toBe(1024);
    expect(relative(seen.freqBase, options.rope.freqBase)).toBeLessThan(1e-5);
    expect(seen.freqScale).toBe(1);
    expect(seen.text).toMatch(/validate_override: Using metadata override \(float\) 'llama.rope.freq_base'/);
  });

  it("applies linear scaling supplied as overrides", async () => {
    const options = contextOptionsFor({
      preset: { contextSize: 2048, rope: { type: "linear", factor: 4, originalContext: 512 } },
      ggufMetadata: metadata,
    });
    expect(options.metadataOverrides).toBeDefined();
    const seen = await logged(options);
    expect(seen.nCtx).toBe(2048);
    expect(seen.contextSize).toBe(2048);
    expect(seen.scalingType).toBe("linear");
    expect(relative(seen.freqScale, options.rope.freqScale)).toBeLessThan(1e-5);
    expect(relative(seen.freqBase, options.rope.freqBase)).toBeLessThan(1e-5);
    expect(seen.text).toMatch(/Using metadata override \(float\) 'llama.rope.scaling.factor'/);
  });

  it("applies YaRN supplied as overrides", async () => {
    const options = contextOptionsFor({
      preset: { contextSize: 8192, rope: { type: "yarn", factor: 16, originalContext: 512 } },
      ggufMetadata: metadata,
      requestedContext: 1024,
    });
    const seen = await logged(options);
    expect(seen.nCtx).toBe(1024);
    expect(seen.scalingType).toBe("yarn");
    expect(relative(seen.freqScale, 1 / 16)).toBeLessThan(1e-5);
  });

  it("leaves a native-context load untouched", async () => {
    const options = contextOptionsFor({ ggufMetadata: metadata });
    expect(options.metadataOverrides).toBeUndefined();
    const seen = await logged(options);
    expect(seen.nCtx).toBe(512);
    expect(seen.freqBase).toBe(10000);
    expect(seen.freqScale).toBe(1);
  });
});
