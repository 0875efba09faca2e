// `alpaca-rag ingest` and `check` as a user runs them: JSON summary, plain progress off a terminal, exit statuses.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cliProcess.js";
import { projectRoot, shippedSampleInbox, shippedSampleNames, storiesModel, tempDir, writeFiles } from "../helpers.js";

const model = ["--embedding-model", storiesModel, "--threads", "1", "--gpu", "false"];

describe("alpaca-rag ingest", () => {
  it("ingests the shipped sample folder, prints one JSON summary, and exits 0", { timeout: 120_000 }, async () => {
    const store = tempDir();
    const result = await runCli(["ingest", shippedSampleInbox(), "--store", store, "--json", ...model]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    const samples = [...shippedSampleNames];
    expect(summary).toMatchObject({ added: samples.length, updated: 0, unchanged: 0, removed: 0, skipped: 0, failed: [] });
    for (const key of ["chunks", "embedded", "seconds"]) expect(typeof summary[key]).toBe("number");
    expect(summary.embedded).toBe(summary.chunks);
    const check = await runCli(["check", "--store", store, "--json"]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, files: samples.length, chunks: summary.chunks, vectors: summary.chunks });
  });

  it("prints plain progress lines and the indexed files when not on a terminal; exits 2 when some files failed", { timeout: 120_000 }, async () => {
    const inbox = tempDir();
    writeFiles(inbox, { "good.txt": "A short good document about rivers and bridges.", "bad.pdf": "this is not a pdf", "slides.key": "x" });
    const store = tempDir();
    const result = await runCli(["ingest", inbox, "--store", store, ...model]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ingest: \d+\/2 files, \d+ chunks, [\d.]+ chunks\/s, ETA/m);
    expect(result.stderr).not.toMatch(/\x1b\[/); // no terminal escape codes in a log
    expect(result.stdout).toContain("failed  bad.pdf: corrupt or truncated PDF");
    expect(result.stdout).toContain("skipped slides.key");
    expect(result.stdout).toMatch(/good\.txt\s+\(text, 1 chunks/);
  });

  it("draws a progress bar with files, chunks, chunks/s and ETA on a terminal", { timeout: 120_000 }, async () => {
    // util-linux `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const store = tempDir();
    const command = [process.execPath, "--import", "tsx", "src/cli/main.ts", "ingest", shippedSampleInbox(), "--store", store, ...model].join(" ");
    const { execFileSync } = await import("node:child_process");
    const output = execFileSync("script", ["-qec", command, "/dev/null"], { cwd: projectRoot, encoding: "utf8", env: { ...process.env, ALPACA_RAG_HF_ENDPOINT: "https://offline.invalid/" } });
    expect(output).toMatch(/ingest \[[█░]+\] 3\/3 files \| \d+ chunks \| [\d.]+ chunks\/s \| ETA \w+/);
    expect(output).not.toMatch(/^ingest: \d+\/\d+ files/m);
  });

  it("exits 1 with a clear message on a fatal error", { timeout: 60_000 }, async () => {
    const missing = await runCli(["ingest", path.join(tempDir(), "nowhere"), "--store", tempDir(), "--json", ...model]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/alpaca-rag: inbox folder .*nowhere does not exist/);
    expect(missing.stdout).toBe("");
    const badFlag = await runCli(["ingest", "--store", tempDir(), "--chunk-size", "many"]);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toMatch(/--chunk-size: expected a number/);
    const offline = await runCli(["ingest", "--store", tempDir(), "--embedding-model", "hf:example/model-gguf/model.gguf", "--models-dir", tempDir()]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/embedding\.model: hf:example\/model-gguf\/model\.gguf is not in .* could not be downloaded .*Get it .*: npx alpaca-rag models pull hf:example\/model-gguf\/model\.gguf/);
  });

  it("says what is wrong when check finds a broken store, and exits 1", { timeout: 60_000 }, async () => {
    const store = tempDir();
    const inbox = tempDir();
    writeFiles(inbox, { "a.txt": "第一段文字。第二句话。" });
    expect((await runCli(["ingest", inbox, "--store", store, "--embedding-model", "none"])).code).toBe(0);
    fs.rmSync(path.join(store, "index.sqlite-wal"), { force: true });
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path.join(store, "index.sqlite"));
    db.prepare("DELETE FROM chunks_fts").run();
    db.close();
    const check = await runCli(["check", "--store", store]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/PROBLEMS: 1 documents, 1 files, 1 chunks/);
    expect(check.stdout).toMatch(/chunks without an FTS row/);
  });
});
