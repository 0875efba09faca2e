// Knowledge bases through the built CLI on a postgres:// store: `kb create`, `ingest --kb`, `search --kb` seeing only
// its base's files (the same content in two bases stored once, cited per base), `kb rename` and `kb delete` with
// their folders, and `check` clean after each step.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cliProcess.js";
import { shippedSamplePath, tempDir } from "../../helpers.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

describe("knowledge bases through the CLI on PostgreSQL", () => {
  it("creates, ingests, searches per base, renames and deletes, and the store checks clean throughout", async () => {
    const url = await freshDatabase();
    const inbox = tempDir();
    fs.copyFileSync(shippedSamplePath("lanxi-wangyue-bridge.md"), path.join(inbox, "bridge.md"));
    fs.copyFileSync(shippedSamplePath("balcony-herbs-winter.txt"), path.join(inbox, "herbs.txt"));
    const config = path.join(tempDir(), "config.json");
    fs.writeFileSync(config, JSON.stringify({ inbox }));
    const common = ["--config", config, "--store", url];
    const lexical = [...common, "--threads", "1", "--gpu", "false", "--embedding-model", "none"];
    const ok = async (args: string[]) => {
      const r = await runCli(args);
      expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    const check = async () => JSON.parse(await ok(["check", "--json", "--store", url]));
    const sources = async (query: string, kb: string) =>
      (JSON.parse(await ok(["search", query, "--kb", kb, "-k", "5", "--json", ...lexical])).results as Array<{ kb: string; source: string }>).map(
        (r) => `${r.kb}:${r.source}`,
      );

    await ok(["kb", "create", "团队", ...common]);
    fs.copyFileSync(path.join(inbox, "bridge.md"), path.join(inbox, "团队", "桥.md"));
    expect(JSON.parse(await ok(["ingest", "--json", ...lexical]))).toMatchObject({ kb: "default", added: 2, failed: [] });
    expect(JSON.parse(await ok(["ingest", "--kb", "团队", "--json", ...lexical]))).toMatchObject({ kb: "团队", added: 1, failed: [] });
    expect(JSON.parse(await ok(["kb", "list", "--json", ...common]))).toMatchObject({
      kbs: [{ name: "default", files: 2, documents: 2 }, { name: "团队", files: 1, documents: 1 }],
    });
    expect(await check()).toMatchObject({ ok: true, documents: 2, files: 3 });

    // The team base sees its one file under its own name; default sees its own two, never the team's path.
    expect(new Set(await sources("望月桥 balcony herbs winter", "团队"))).toEqual(new Set(["团队:桥.md"]));
    const fromDefault = await sources("望月桥 balcony herbs winter", "default");
    expect(new Set(fromDefault)).toEqual(new Set(["default:bridge.md", "default:herbs.txt"]));

    await ok(["kb", "rename", "团队", "team-2", ...common]);
    expect(fs.existsSync(path.join(inbox, "team-2", "桥.md"))).toBe(true);
    await ok(["kb", "delete", "team-2", ...common]);
    expect(fs.existsSync(path.join(inbox, "team-2"))).toBe(false);
    // The shared document stays for default; nothing of the deleted base is left.
    expect(await check()).toMatchObject({ ok: true, documents: 2, files: 2 });
    const unknown = await runCli(["search", "望月桥", "--kb", "team-2", "--json", ...lexical]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown knowledge base "team-2"');
    // Eleven CLI processes (~6 s each on a busy 2-core machine).
  }, 300_000);
});
