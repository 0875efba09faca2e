// `alpaca-rag serve` as a real process: ingests the inbox at start-up, prints where to open the page, serves until
// SIGINT and exits 0; a public address without an API key is refused with exit 1; --no-watch leaves the store alone
// while files change in the inbox.
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
    await cli.waitFor(/inbox .*: added 1, updated 0, unchanged 0, removed 0, failed 0/, 10_000);
    expect(await (await fetch(`${url}healthz`)).json()).toMatchObject({ status: "ok", ingest: { running: false, watching: true, runs: 1 } });
    const docs = (await (await fetch(`${url}v1/documents`)).json()) as { documents: Array<{ path: string; pages: number }> };
    expect(docs.documents).toEqual([expect.objectContaining({ path: "northvale-seed-library.pdf", pages: expect.any(Number) })]);
    await cli.waitFor(/GET \/v1\/documents 200/);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(0);
  });

  it("with --no-watch, leaves the store alone while the inbox changes, until asked to re-scan", async () => {
    const dir = tempDir();
    const config = writeConfig(dir);
    const cli = startCli(["serve", "--config", config, "--no-watch"]);
    await cli.waitFor(/serving on http:\/\/127\.0\.0\.1:\d+\//, 90_000);
    const url = /serving on (http:\/\/\S+)/.exec(cli.stdout())![1];
    // The notice goes to stderr just after "serving on" goes to stdout: the two pipes may arrive in either order.
    await cli.waitFor(/not following the inbox \(--no-watch\)/, 10_000);
    const status = async () => (await (await fetch(`${url}v1/ingest/status`)).json()) as { watching: boolean; runs: number; running: boolean };
    expect(await status()).toMatchObject({ watching: false, watcher: "off", runs: 1, running: false });
    // The database, its write-ahead log and the vector file: any write to the store changes one of them.
    const storeFiles = () =>
      fs.readdirSync(path.join(dir, "store")).filter((f) => /^(index\.sqlite(-wal)?|vectors\.hnsw)$/.test(f)).map((f) => {
        const st = fs.statSync(path.join(dir, "store", f));
        return `${f} ${st.size} ${st.mtimeMs}`;
      });
    const storeBefore = storeFiles();
    expect(storeBefore.some((f) => f.startsWith("index.sqlite "))).toBe(true);

    fs.writeFileSync(path.join(dir, "inbox", "late-arrival.txt"), "The late train arrives at the valley station after midnight.");
    fs.rmSync(path.join(dir, "inbox", "northvale-seed-library.pdf"));
    // Five times what a watching server takes to pick a change up (about 1.1 s): nothing may happen meanwhile.
    await new Promise((r) => setTimeout(r, 5500));
    expect(await status()).toMatchObject({ watching: false, watcher: "off", runs: 1, running: false });
    const paths = async () => ((await (await fetch(`${url}v1/documents`)).json()) as { documents: Array<{ path: string }> }).documents.map((d) => d.path);
    expect(await paths()).toEqual(["northvale-seed-library.pdf"]);
    expect(storeFiles()).toEqual(storeBefore);

    const rescan = (await (await fetch(`${url}v1/ingest`, { method: "POST" })).json()) as { ingest: { added: number; removed: number } };
    expect(rescan.ingest).toMatchObject({ added: 1, removed: 1 });
    expect(await paths()).toEqual(["late-arrival.txt"]);
    cli.child.kill("SIGINT");
    expect((await cli.done).code).toBe(0);
  });

  it("refuses a public address without an API key", async () => {
    const config = writeConfig(tempDir());
    const result = await runCli(["serve", "--config", config, "--host", "0.0.0.0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API key/);
  });
});
