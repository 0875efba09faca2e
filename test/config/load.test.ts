import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, envNameFor, loadSettings } from "../../src/config/load.js";
import { tempDir } from "../helpers.js";

describe("loadSettings", () => {
  it("gives documented defaults relative to the working directory", () => {
    const cwd = tempDir();
    const s = loadSettings({ cwd, env: {} });
    expect(s.store).toBe(path.join(cwd, "storage"));
    expect(s.inbox).toBe(path.join(cwd, "ingest"));
    expect(s.embedding.model).toBe("auto");
    expect(s.gpu).toBe("auto");
    expect(s.chunk).toEqual({ size: 384, overlap: 64 });
    expect(s.configFile).toBeNull();
  });

  it("layers file < environment < flags and resolves file paths against the file's folder", () => {
    const cwd = tempDir();
    const confDir = path.join(cwd, "conf");
    fs.mkdirSync(confDir);
    fs.writeFileSync(
      path.join(confDir, "my.json"),
      JSON.stringify({ store: "idx", inbox: "../docs", threads: 3, embedding: { model: "models/e.gguf" }, chunk: { size: 256, overlap: 32 } }),
    );
    const s = loadSettings({
      cwd,
      configFile: "conf/my.json",
      env: { ALPACA_RAG_THREADS: "5", ALPACA_RAG_CHUNK_OVERLAP: "16", ALPACA_RAG_GPU: "false" },
      overrides: { threads: 7, "chunk.size": undefined },
    });
    expect(s.store).toBe(path.join(confDir, "idx"));
    expect(s.inbox).toBe(path.join(cwd, "docs"));
    expect(s.embedding.model).toBe(path.join(confDir, "models/e.gguf"));
    expect(s.threads).toBe(7);
    expect(s.gpu).toBe(false);
    expect(s.chunk).toEqual({ size: 256, overlap: 16 });
  });

  it("reads ./alpaca-rag.config.json when present and keeps hf: URIs and none as they are", () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "alpaca-rag.config.json"), JSON.stringify({ embedding: { model: "hf:org/repo/file.gguf" } }));
    expect(loadSettings({ cwd, env: {} }).embedding.model).toBe("hf:org/repo/file.gguf");
    expect(loadSettings({ cwd, env: { ALPACA_RAG_EMBEDDING_MODEL: "none" } }).embedding.model).toBe("none");
  });

  it("keeps a database URL given as the store as it is, from a file, the environment or a flag", () => {
    const cwd = tempDir();
    const url = "postgres://alpaca@127.0.0.1:5432/rag";
    fs.writeFileSync(path.join(cwd, "alpaca-rag.config.json"), JSON.stringify({ store: url }));
    expect(loadSettings({ cwd, env: {} }).store).toBe(url);
    expect(loadSettings({ cwd, env: { ALPACA_RAG_STORE: "postgresql://db.example/other" } }).store).toBe("postgresql://db.example/other");
    expect(loadSettings({ cwd, env: {}, overrides: { store: "relative-folder" } }).store).toBe(path.join(cwd, "relative-folder"));
  });

  it("rejects unknown keys and bad values, naming the file and the key", () => {
    const cwd = tempDir();
    const file = path.join(cwd, "alpaca-rag.config.json");
    fs.writeFileSync(file, JSON.stringify({ chunk: { size: 100, colour: "red" } }));
    expect(() => loadSettings({ cwd, env: {} })).toThrow(/alpaca-rag\.config\.json: unknown key "chunk\.colour"/);
    fs.writeFileSync(file, JSON.stringify({ threads: "many" }));
    expect(() => loadSettings({ cwd, env: {} })).toThrow(ConfigError);
    expect(() => loadSettings({ cwd, env: {} })).toThrow(/threads/);
    fs.writeFileSync(file, JSON.stringify({ chunk: { size: 64, overlap: 64 } }));
    expect(() => loadSettings({ cwd, env: {} })).toThrow(/chunk\.overlap: must be smaller than chunk\.size/);
    fs.writeFileSync(file, "{ not json");
    expect(() => loadSettings({ cwd, env: {} })).toThrow(/not valid JSON/);
  });

  it("rejects bad environment values naming the variable", () => {
    const cwd = tempDir();
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_THREADS: "two" } })).toThrow(/ALPACA_RAG_THREADS/);
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_GPU: "maybe" } })).toThrow(/ALPACA_RAG_GPU/);
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_CHUNK_SIZE: "0" } })).toThrow(/ALPACA_RAG_CHUNK_SIZE/);
  });

  it("reads the ocr section: defaults, a comma-separated language list from the environment, bad values named", () => {
    const cwd = tempDir();
    expect(loadSettings({ cwd, env: {} }).ocr).toEqual({ engine: "auto", languages: ["chi_sim", "chi_tra", "eng"], dpi: 150, tesseractCommand: "tesseract" });
    const s = loadSettings({ cwd, env: { ALPACA_RAG_OCR_ENGINE: "tesseract", ALPACA_RAG_OCR_LANGUAGES: "chi_tra, eng", ALPACA_RAG_OCR_DPI: "200" } });
    expect(s.ocr).toMatchObject({ engine: "tesseract", languages: ["chi_tra", "eng"], dpi: 200 });
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_OCR_ENGINE: "easyocr" } })).toThrow(/ALPACA_RAG_OCR_ENGINE/);
    expect(() => loadSettings({ cwd, env: { ALPACA_RAG_OCR_DPI: "20" } })).toThrow(/ALPACA_RAG_OCR_DPI/);
  });

  it("fails clearly when --config names a missing file", () => {
    expect(() => loadSettings({ cwd: tempDir(), env: {}, configFile: "nope.json" })).toThrow(/config file not found: .*nope\.json/);
  });

  it("derives environment names from keys", () => {
    expect(envNameFor("store")).toBe("ALPACA_RAG_STORE");
    expect(envNameFor("embedding.model")).toBe("ALPACA_RAG_EMBEDDING_MODEL");
    expect(envNameFor("modelsDir")).toBe("ALPACA_RAG_MODELS_DIR");
    expect(envNameFor("generator.remoteModel")).toBe("ALPACA_RAG_GENERATOR_REMOTE_MODEL");
  });

  it("reads API keys as full-key strings (the environment's comma list) or scoped objects, and a rate limit", () => {
    const cwd = tempDir();
    const fromEnv = loadSettings({ cwd, env: { ALPACA_RAG_SERVER_API_KEYS: "first-key-123, second-key-456", ALPACA_RAG_SERVER_RATE_LIMIT_MAX: "30" } });
    expect(fromEnv.server.apiKeys).toEqual(["first-key-123", "second-key-456"]);
    expect(fromEnv.server.rateLimit).toEqual({ windowSeconds: 60, max: 30 });
    fs.writeFileSync(
      path.join(cwd, "keys.json"),
      JSON.stringify({ server: { apiKeys: ["full-key-0001", { key: "reader-key-01", kbs: ["hr"] }, { key: "writer-key-01", role: "write", rateLimit: { max: 5 } }] } }),
    );
    const fromFile = loadSettings({ cwd, configFile: "keys.json", env: {} });
    expect(fromFile.server.apiKeys).toEqual([
      "full-key-0001",
      { key: "reader-key-01", kbs: ["hr"], role: "read" },
      { key: "writer-key-01", role: "write", rateLimit: { windowSeconds: 60, max: 5 } },
    ]);
    fs.writeFileSync(path.join(cwd, "bad.json"), JSON.stringify({ server: { apiKeys: [{ key: "short", role: "owner" }] } }));
    expect(() => loadSettings({ cwd, configFile: "bad.json", env: {} })).toThrow(/server\.apiKeys/);
  });
});
