// Choosing the store from the `store` setting: a folder opens the embedded store; a database URL this version cannot
// open yet, or any other URL, is refused with an error naming the setting, before anything is created.
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

  it("refuses URLs it cannot open yet, naming the setting, and creates nothing", async () => {
    const cwd = process.cwd();
    await expect(openStore("postgres://alpaca@127.0.0.1:5432/rag")).rejects.toThrow(StoreTargetError);
    await expect(openStore({ store: "postgresql://db.example/rag" })).rejects.toThrow(/^store: PostgreSQL stores \(postgresql:\/\/…\) are not supported/);
    await expect(openStore("mysql://db.example/rag")).rejects.toThrow(/store: unknown kind of store "mysql:\/\/…"/);
    await expect(checkStore("postgres://db.example/rag")).rejects.toThrow(StoreTargetError);
    expect(() => storeTarget("  ")).toThrow(/store: empty/);
    expect(fs.existsSync(path.join(cwd, "postgres:"))).toBe(false);
    expect(fs.existsSync(path.join(cwd, "mysql:"))).toBe(false);
  });
});
