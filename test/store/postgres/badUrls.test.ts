// postgres:// URLs that name nothing usable are refused at open with StoreTargetError naming the URL without its
// password and what is wrong: an unknown host, a port nobody listens on, a database that does not exist, a user who
// may not enable pgvector. Nothing is created, and `check` refuses the same way.
import net from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { checkStore } from "../../../src/store/check.js";
import { StoreTargetError } from "../../../src/store/errors.js";
import { openStore, storeTarget } from "../../../src/store/open.js";
import { freshDatabase, testCluster, usePostgres, withDatabase } from "./database.js";

usePostgres();

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function refusal(url: string): Promise<Error> {
  const error = await openStore(url).then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(StoreTargetError);
  expect(error!.message).not.toContain("hunter2");
  return error!;
}

describe("bad postgres:// URLs", () => {
  it("reads postgres:// and postgresql:// URLs as PostgreSQL stores", () => {
    expect(storeTarget("postgres://u@h/db")).toEqual({ kind: "postgres", url: "postgres://u@h/db" });
    expect(storeTarget("postgresql://u@h/db")).toEqual({ kind: "postgres", url: "postgresql://u@h/db" });
  });

  it("names an unknown host", async () => {
    const error = await refusal("postgres://alpaca:hunter2@no-such-host.invalid:5432/rag");
    expect(error.message).toBe("store postgres://alpaca@no-such-host.invalid:5432/rag: unknown host no-such-host.invalid");
  });

  it("names a port nothing listens on", async () => {
    const port = await closedPort();
    const error = await refusal(`postgresql://alpaca:hunter2@127.0.0.1:${port}/rag`);
    expect(error.message).toBe(
      `store postgresql://alpaca@127.0.0.1:${port}/rag: nothing accepts connections at 127.0.0.1:${port} (is PostgreSQL running there?)`,
    );
    await expect(checkStore(`postgres://alpaca:hunter2@127.0.0.1:${port}/rag`)).rejects.toThrow(/nothing accepts connections/);
  });

  it("names a database that does not exist", async () => {
    const { url } = await testCluster();
    const parsed = new URL(withDatabase(url, "no_such_database"));
    parsed.password = "hunter2";
    const error = await refusal(parsed.toString());
    expect(error.message).toMatch(/^store postgres:\/\/postgres@127\.0\.0\.1:\d+\/no_such_database: database "no_such_database" does not exist on 127\.0\.0\.1:\d+; create it first$/);
  });

  it("says when pgvector is not enabled in the database and the user may not enable it", async () => {
    const url = await freshDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const role = `plain_${Math.random().toString(36).slice(2, 8)}`;
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    } finally {
      await admin.end();
    }
    const parsed = new URL(url);
    parsed.username = role;
    parsed.password = "hunter2";
    const error = await refusal(parsed.toString());
    expect(error.message).toMatch(
      new RegExp(`^store postgres://${role}@127\\.0\\.0\\.1:\\d+/t_\\w+: pgvector is not enabled in database "t_\\w+" and this user may not enable it .*CREATE EXTENSION vector`),
    );
    // Nothing was created.
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      expect((await check.query("SELECT to_regclass('schema_migrations') AS t")).rows[0].t).toBeNull();
    } finally {
      await check.end();
    }
  });
});
