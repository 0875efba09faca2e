// `alpaca-rag serve` as a real process: ingests the inbox at start-up, prints where to open the page, serves until
// SIGINT and exits 0; a public address without an API key is refused with exit 1.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startCli } from "../cliProcess.js";
import { projectRoot, tempDir } from "../helpers.js";

function writeConfig(dir: string): string {
  const inbox = path.join(dir, "inbox");
  fs.mkdirSync(inbox, { recursive: true });
  fs.copyFileSync(path.join(projectRoot, "ingest", "northvale-seed-library.pdf"), path.join(inbox, "northvale-seed-library.pdf"));
  const file = path.join(dir, "alpaca-rag.config.json");
  fs.writeFileSync(
    file,
    JSON.stringify({
      store: "store",
      inbox: "inbox",
      threads: 1,
      gpu: false,
      embedding: { model: "none" },
      generator: { model: "none" },
      server: { port: 0 },
    }),
  );
  return file;
}

describe("alpaca-rag serve", () => {
  it("ingests, prints the URL, answers, and stops cleanly on SIGINT", async () => {
    const config = writeConfig(tempDir());
    const cli = startCli(["serve", "--config", config]);
    await cli.waitFor(/serving on http:\/\/127\.0\.0\.1:\d+\//, 90_000);
    const url = /serving on (http:\/\/\S+)/.exec(cli.stdout())![1];
    expect(cli.stderr()).toMatch(/inbox .*: added 1, updated 0, unchanged 0, removed 0, failed 0/);
    expect(await (await fetch(`${url}healthz`)).json()).toMatchObject({ status: "ok", ingest: { running: false, watching: true, runs: 1 } });
    const docs = (await (await fetch(`${url}v1/documents`)).json()) as { documents: Array<{ path: string; pages: number }> };
    expect(docs.documents).toEqual([expect.objectContaining({ path: "northvale-seed-library.pdf", pages: expect.any(Number) })]);
    await cli.waitFor(/GET \/v1\/documents 200/);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(0);
  });

  it("refuses a public address without an API key", async () => {
    const config = writeConfig(tempDir());
    const result = await runCli(["serve", "--config", config, "--host", "0.0.0.0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API key/);
  });
});
