// SIGKILL a real `alpaca-rag ingest` at seeded random moments, re-run it, and compare with a clean ingest.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { checkStore } from "../../src/store/check.js";
import { startCli } from "../cliProcess.js";
import { cmrcParagraphs, storiesModel, tempDir, testSettings, writeFiles } from "../helpers.js";
import { storeContents } from "../reliability/fixtures.js";

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("crash safety", () => {
  const inbox = tempDir();
  let reference: Map<string, string[]>;

  beforeAll(async () => {
    const files: Record<string, string> = {};
    cmrcParagraphs().slice(40, 80).forEach((p, i) => (files[`p${String(i).padStart(2, "0")}.txt`] = p.context));
    writeFiles(inbox, files);
    const clean = tempDir();
    await ingestFolder({ settings: testSettings({ store: clean, inbox }) });
    reference = storeContents(clean);
    expect(reference.size).toBe(40);
  });

  it("survives SIGKILL at random moments: the store opens, check passes, and a re-run matches a clean ingest", { timeout: 300_000 }, async () => {
    const random = mulberry32(20261126);
    const storeDir = tempDir();
    const args = ["ingest", inbox, "--store", storeDir, "--embedding-model", storiesModel, "--threads", "1", "--gpu", "false", "--chunk-size", "200", "--chunk-overlap", "32"];
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      const run = startCli(args);
      await run.waitFor(/embedding with|ingest: /);
      await new Promise((r) => setTimeout(r, 200 + random() * 2500));
      const stillRunning = run.child.exitCode === null;
      run.child.kill("SIGKILL");
      const result = await run.done;
      if (stillRunning && result.signal === "SIGKILL") killed += 1;
      // Whatever the moment, the store opens and holds only whole documents.
      const partial = storeContents(storeDir);
      for (const [p, chunks] of partial) expect(chunks, p).toEqual(reference.get(p));
    }
    expect(killed).toBeGreaterThanOrEqual(2);

    const final = startCli(args);
    const result = await final.done;
    expect(result.code, result.stderr).toBe(0);
    const report = await checkStore(storeDir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(storeContents(storeDir)).toEqual(reference);
    // No duplicate chunks, and every chunk has exactly one vector.
    expect(report.chunks).toBe([...reference.values()].reduce((n, c) => n + c.length, 0));
    expect(report.vectors).toBe(report.chunks);
  });

  it("refuses a second ingest while one runs, and lets the first finish intact", { timeout: 300_000 }, async () => {
    const storeDir = tempDir();
    const args = ["ingest", inbox, "--store", storeDir, "--embedding-model", storiesModel, "--threads", "1", "--gpu", "false", "--chunk-size", "200", "--chunk-overlap", "32"];
    const first = startCli(args);
    await first.waitFor(/embedding with/);
    const second = await startCli([...args, "--json"]).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/is locked: another ingest \(pid \d+, started .*\) is writing it/);
    expect(second.stdout).toBe("");
    const firstResult = await first.done;
    expect(firstResult.code, firstResult.stderr).toBe(0);
    expect(storeContents(storeDir)).toEqual(reference);
    expect((await checkStore(path.resolve(storeDir))).ok).toBe(true);
  });
});
