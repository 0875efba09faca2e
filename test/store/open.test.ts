// Choosing the store from the `store` setting: a folder opens the embedded store; a postgres:// URL is never taken for
// a folder (test/store/postgres/ opens real ones); any other URL is refused with an error naming the setting, before
// anything is created.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkStore } from "../../src/store/check.js";
import { openStore, StoreTargetError, storeTarget } from "../../src/store/open.js";
import { tempDir } from "../helpers.js";

describe("openStore", () => {
  it("opens a folder (given as a setting or as settings) as the embedded store, creating it", async () => {
    const dir = path.join(tempDir(), "nested", "storage");
    expect(storeTarget(dir)).toEqual({ kind: "sqlite", dir });
    const store = await openStore({ store: dir }, { write: true, purpose: "test" });
    expect(store.location).toBe(path.resolve(dir));
    expect(store.writable).toBe(true);
    await store.close();
    expect(fs.existsSync(path.join(dir, "index.sqlite"))).toBe(true);
    expect(await checkStore(dir)).toMatchObject({ ok: true, documents: 0, embedding: "not set" });
  });

  it("refuses URLs it cannot open, naming the setting, and creates nothing", async () => {
    const cwd = process.cwd();
    expect(storeTarget("postgresql://db.example/rag")).toEqual({ kind: "postgres", url: "postgresql://db.example/rag" });
    await expect(openStore({ store: "postgres://alpaca@db.invalid/rag" })).rejects.toThrow(/^store postgres:\/\/alpaca@db\.invalid\/rag: unknown host/);
    await expect(openStore("mysql://db.example/rag")).rejects.toThrow(/store: unknown kind of store "mysql:\/\/…"/);
    await expect(checkStore("mysql://db.example/rag")).rejects.toThrow(StoreTargetError);
    expect(() => storeTarget("  ")).toThrow(/store: empty/);
    expect(fs.existsSync(path.join(cwd, "postgres:"))).toBe(false);
    expect(fs.existsSync(path.join(cwd, "mysql:"))).toBe(false);
  });
});
