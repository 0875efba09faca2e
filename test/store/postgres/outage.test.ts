// A PostgreSQL store whose database goes away mid-use and comes back: every call in between fails with
// StoreUnavailableError (the server's 503) naming the store without its password, nothing crashes (the pool's idle
// connections break in the background), and the same handle works again once the database is back. This file runs
// a cluster of its own, since it stops it.
import fs from "node:fs";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { toHttpError } from "../../../src/server/http/errors.js";
import { StoreUnavailableError } from "../../../src/store/errors.js";
import { openStore } from "../../../src/store/open.js";
import { lexicalQuery } from "../../../src/store/segment.js";
import { projectRoot, tempDir } from "../../helpers.js";
import { doc, file } from "../fixtures.js";
import { postJson, startTestServer } from "../../server/serverFixture.js";
import { startCluster, stopCluster } from "./database.js";

const run = promisify(execFile);
const script = path.join(projectRoot, "scripts", "pg-test-cluster.sh");
const parent = tempDir("alpaca-rag-pg-");
fs.chmodSync(parent, 0o755);
const dir = path.join(parent, "cluster");
let plain: string | null = null;
/** The cluster's URL (started once for this file). */
const cluster = async () => (plain ??= await startCluster(dir));
afterAll(() => stopCluster(dir));

describe("a PostgreSQL store whose database goes away", () => {
  it("fails each call with StoreUnavailableError (503) while it is down, then works again with the same handle", async () => {
    const parsed = new URL(await cluster());
    parsed.password = "s3cret-pw"; // trust authentication ignores it; it must never show
    const url = parsed.toString();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    try {
      const writer = await openStore(url, { write: true });
      expect(writer.location).not.toContain("s3cret-pw");
      await writer.bindEmbedding(null);
      await writer.commitFile(file("a.txt"), { document: doc("a", ["南京长江大桥"], null) });
      const reader = await openStore(url);
      const question = lexicalQuery("长江大桥");
      expect(await reader.lexicalSearch(question, 5, { kbs: ["default"] })).toHaveLength(1);

      await run("bash", [script, "halt", dir]);
      const failure = await reader.lexicalSearch(question, 5, { kbs: ["default"] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/^store postgres:\/\/postgres@127\.0\.0\.1:\d+\/alpaca_rag_test is unavailable/);
      expect((failure as Error).message).not.toContain("s3cret-pw");
      const http = toHttpError(failure);
      expect([http.status, http.code, http.headers["Retry-After"]]).toEqual([503, "store_unavailable", "5"]);
      await expect(reader.count("documents")).rejects.toThrow(StoreUnavailableError);
      await expect(reader.chunksByIds([1], { kbs: ["default"] })).rejects.toThrow(StoreUnavailableError);
      await expect(writer.commitFile(file("b.txt"), { document: doc("b", ["丁戊己"], null) })).rejects.toThrow(StoreUnavailableError);

      await run("bash", [script, "resume", dir]);
      // The reader's pool reconnects on the next request.
      expect(await reader.lexicalSearch(question, 5, { kbs: ["default"] })).toHaveLength(1);
      expect(await reader.count("documents")).toBe(1);
      // The writer's lock ended with the server: it must not write without one; a new writer takes over.
      await expect(writer.commitFile(file("b.txt"), { document: doc("b", ["丁戊己"], null) })).rejects.toThrow(/write lock was lost/);
      await writer.close();
      const next = await openStore(url, { write: true });
      await next.commitFile(file("b.txt"), { document: doc("b", ["丁戊己"], null) });
      expect(await reader.count("documents")).toBe(2);
      await next.close();
      await reader.close();
      expect(uncaught).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });

  it("a real server answers 503 store_unavailable while the database is down, keeps running, and answers again after", async () => {
    const url = await cluster();
    const t = await startTestServer({ generator: "none", embedding: "none", settings: { store: url } });
    try {
      const search = () => postJson(`${t.url}v1/search`, { query: "lighthouse keeper", k: 1 });
      const before = await search();
      expect(before.status).toBe(200);
      expect(JSON.stringify(await before.json())).toContain("lighthouse.txt");

      await run("bash", [script, "halt", dir]);
      const during = await search();
      expect(during.status).toBe(503);
      expect(during.headers.get("retry-after")).toBe("5");
      const body = (await during.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("store_unavailable");
      expect(body.error.message).toMatch(/is unavailable: .*try again once the database is back/);
      expect((await fetch(`${t.url}readyz`)).status).toBe(503);

      await run("bash", [script, "resume", dir]);
      const after = await search();
      expect(after.status).toBe(200);
      expect(JSON.stringify(await after.json())).toContain("lighthouse.txt");
      expect((await fetch(`${t.url}readyz`)).status).toBe(200);
      expect(t.notices.filter((n) => n.startsWith("error:"))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
