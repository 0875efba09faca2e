// `alpaca-rag kb` and `--kb` as a user runs them: bases created, listed, renamed and deleted with their inbox folders;
// each base ingested from its own folder (the default one from the inbox root, skipping the others'); search and ask
// limited to the bases named (one or several); unknown bases refused with their name; a name whose folder already
// holds the default base's files refused.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cliProcess.js";
import { tempDir, writeFiles } from "../helpers.js";

function workspace() {
  const dir = tempDir();
  const inbox = path.join(dir, "inbox");
  const env = {
    ALPACA_RAG_STORE: path.join(dir, "store"),
    ALPACA_RAG_INBOX: inbox,
    ALPACA_RAG_EMBEDDING_MODEL: "none",
    ALPACA_RAG_GENERATOR_MODEL: "none",
    ALPACA_RAG_THREADS: "1",
  };
  const cli = (...args: string[]) => runCli(args, env);
  return { dir, inbox, cli };
}

describe("alpaca-rag kb and --kb", () => {
  it("keeps each base's documents apart from ingest to search and ask, and manages bases with their folders", { timeout: 600_000 }, async () => {
    const { inbox, cli } = workspace();
    writeFiles(inbox, { "ferry.txt": "The river ferry leaves the north pier every half hour until nine in the evening." });
    let r = await cli("ingest", "--json");
    expect(r.code, r.stderr).toBe(0);

    r = await cli("kb", "create", "marine");
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(path.join(inbox, "marine")).isDirectory()).toBe(true);
    writeFiles(path.join(inbox, "marine"), {
      "hull.txt": "The trawler hull is painted with copper antifouling every second spring.",
      "ferry-copy.txt": fs.readFileSync(path.join(inbox, "ferry.txt"), "utf8"),
    });
    r = await cli("ingest", "--kb", "marine", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kb: "marine", added: 2, failed: [] });
    // --reembed empties the whole store, then reads every base again from its own folder; the default base's ingest
    // leaves the marine folder to its base.
    r = await cli("ingest", "--reembed", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kb: "default", added: 1, failed: [] });
    r = await cli("kb", "list", "--json");
    const kbs = JSON.parse(r.stdout).kbs as Array<{ name: string; files: number; documents: number }>;
    expect(kbs.map((k) => [k.name, k.files, k.documents])).toEqual([["default", 1, 1], ["marine", 2, 2]]);
    r = await cli("check", "--json");
    // The ferry text is one document in both bases.
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, documents: 2, files: 3 });

    // Each base finds only its own files and cites its own name of the shared one.
    const sources = (out: string) => (JSON.parse(out).results as Array<{ source: string }>).map((x) => x.source).sort();
    r = await cli("search", "ferry pier antifouling hull", "--kb", "default", "--json");
    expect(sources(r.stdout)).toEqual(["ferry.txt"]);
    r = await cli("search", "ferry pier antifouling hull", "--kb", "marine", "--json");
    expect(sources(r.stdout)).toEqual(["ferry-copy.txt", "hull.txt"]);
    expect(JSON.parse(r.stdout).results.find((x: { source: string }) => x.source === "ferry-copy.txt")).toMatchObject({ kb: "marine", paths: ["ferry-copy.txt"] });
    // Several bases at once: --kb a,b or --kb a --kb b.
    for (const flags of [["--kb", "default,marine"], ["--kb", "default", "--kb", "marine"]]) {
      r = await cli("search", "ferry pier antifouling hull", ...flags, "--json");
      const results = JSON.parse(r.stdout).results as Array<{ source: string; paths: string[] }>;
      expect(results.map((x) => x.source).sort()).toEqual(["ferry-copy.txt", "hull.txt"]);
      expect(results.find((x) => x.source === "ferry-copy.txt")!.paths).toEqual(["ferry-copy.txt", "ferry.txt"]);
    }
    r = await cli("ask", "How often is the hull painted?", "--kb", "marine", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).citations.map((c: { kb: string; source: string }) => `${c.kb}:${c.source}`)).toContain("marine:hull.txt");

    r = await cli("ask", "anything", "--kb", "nautical");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown knowledge base "nautical"/);
    // Checked before any model loads: a model that does not exist is never reached.
    for (const command of [["ask", "anything"], ["chat"], ["search", "anything"]]) {
      r = await cli(...command, "--kb", "nautical", "--embedding-model", "/nonexistent/model.gguf");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/unknown knowledge base "nautical"/);
      expect(r.stderr).not.toMatch(/nonexistent/);
    }

    r = await cli("kb", "rename", "marine", "fleet");
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(inbox, "fleet", "hull.txt"))).toBe(true);

    r = await cli("kb", "delete", "fleet");
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(inbox, "fleet"))).toBe(false);
    r = await cli("check", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, documents: 1, files: 1 });
  });

  it("refuses a base whose folder already holds the default base's files, and bad names, naming them", { timeout: 120_000 }, async () => {
    const { inbox, cli } = workspace();
    writeFiles(path.join(inbox, "reports"), { "q1.txt": "First quarter report of the cooperative." });
    expect((await cli("ingest", "--json")).code).toBe(0);
    let r = await cli("kb", "create", "reports");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot create knowledge base "reports".*already holds files of the "default" base \(e\.g\. reports\/q1\.txt\)/);
    r = await cli("kb", "create", "../escape");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/knowledge base name "\.\.\/escape" may hold only letters/);
    r = await cli("kb", "list", "--json");
    expect(JSON.parse(r.stdout).kbs.map((k: { name: string }) => k.name)).toEqual(["default"]);
    expect(fs.readdirSync(inbox)).toEqual(["reports"]);
  });
});
