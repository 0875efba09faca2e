// The PostgreSQL store's write lock across processes: a writer in another process refuses this one with
// StoreLockedError naming it (purpose, pid, host); readers are never blocked; a holder killed with SIGKILL loses the
// lock with its connection, at once; a writer whose lock connection is cut stops writing instead of racing another.
import { spawn } from "node:child_process";
import os from "node:os";
import pg from "pg";
import { describe, expect, it } from "vitest";
import type { DocumentStore } from "../../../src/store/contract.js";
import { StoreUnavailableError } from "../../../src/store/errors.js";
import { StoreLockedError } from "../../../src/store/lock.js";
import { openStore } from "../../../src/store/open.js";
import { projectRoot } from "../../helpers.js";
import { doc, file } from "../fixtures.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

async function openEventually(url: string, timeoutMs: number): Promise<DocumentStore> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await openStore(url, { write: true });
    } catch (e) {
      if (!(e instanceof StoreLockedError) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("PostgreSQL write lock", () => {
  it("refuses a second writer in another process, naming it, until that process dies", async () => {
    const url = await freshDatabase();
    const holder = spawn(process.execPath, ["--import", "tsx", "test/store/postgres/holdWriteLock.ts", url, "server delete"], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = "";
        holder.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("holding")) resolve();
        });
        holder.on("exit", (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      const refusal = await openStore(url, { write: true }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refusal).toBeInstanceOf(StoreLockedError);
      expect((refusal as Error).message).toContain(`another server delete (pid ${holder.pid} on ${os.hostname()}, started `);
      const reader = await openStore(url);
      expect(await reader.count("documents")).toBe(0);
      await reader.close();

      const killedAt = Date.now();
      holder.kill("SIGKILL");
      const next = await openEventually(url, 10_000);
      const tookMs = Date.now() - killedAt;
      expect(next.writable).toBe(true);
      console.log(`write lock taken over ${tookMs} ms after its holder was killed`);
      await next.close();
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("stops writing once its lock's connection is cut, and another writer may take over", async () => {
    const url = await freshDatabase();
    const writer = await openStore(url, { write: true });
    await writer.bindEmbedding(null);
    await writer.commitFile(file("a.txt"), { document: doc("a", ["甲乙丙"], null) });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // The session holding the advisory lock, as the database sees it.
      const cut = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
      expect(cut.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await new Promise((r) => setTimeout(r, 200));
    await expect(writer.commitFile(file("b.txt"), { document: doc("b", ["丁戊己"], null) })).rejects.toThrow(StoreUnavailableError);
    await expect(writer.removeFiles("default", ["a.txt"])).rejects.toThrow(/write lock was lost/);
    const next = await openStore(url, { write: true });
    expect(await next.count("files")).toBe(1);
    await next.commitFile(file("b.txt"), { document: doc("b", ["丁戊己"], null) });
    expect(await next.count("files")).toBe(2);
    await next.close();
    await writer.close();
  });
});
