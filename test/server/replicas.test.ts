// Two `serve` processes (the built CLI, real HTTP on loopback) on one PostgreSQL database and one shared inbox, as
// replicas behind a load balancer would run: an upload through either is searchable through the other; one ingest
// at a time across both (the other's POST /v1/ingest is refused with 409 naming the holder) while readers see only
// whole documents; only the holder of the store's watcher lease follows the inbox, and the other takes over when it
// stops; a database that goes away answers 503 without killing the process, and the next request after it is back
// works. This file runs a PostgreSQL cluster of its own, since it stops it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { cmrcParagraphs, projectRoot, tempDir } from "../helpers.js";
import { startCluster, stopCluster } from "../store/postgres/database.js";
import pg from "pg";
import { openStore } from "../../src/store/open.js";
import { postJson, startTestServer } from "./serverFixture.js";
import { withDatabase } from "../store/postgres/database.js";

const run = promisify(execFile);
const script = path.join(projectRoot, "scripts", "pg-test-cluster.sh");
const parent = tempDir("alpaca-rag-pg-");
fs.chmodSync(parent, 0o755);
const clusterDir = path.join(parent, "cluster");
const replicas: Replica[] = [];
let clusterUrl: string | null = null;
/** This file's cluster, started at first use. */
const cluster = async () => (clusterUrl ??= await startCluster(clusterDir));
afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await stopCluster(clusterDir);
});

interface Replica {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `alpaca-rag serve` from the built CLI (bin/alpaca-rag.js → dist/) and waits until it listens. */
async function startReplica(config: string): Promise<Replica> {
  const child = spawn(process.execPath, [path.join(projectRoot, "bin", "alpaca-rag.js"), "serve", "--config", config], {
    cwd: path.dirname(config),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ALPACA_RAG_HF_ENDPOINT: "https://offline.invalid/" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const replica: Replica = { child, url: "", output: () => output };
  replicas.push(replica);
  const deadline = Date.now() + 120_000;
  while (!/serving on (http:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`serve did not start:\n${output}`);
    await sleep(100);
  }
  replica.url = /serving on (http:\/\/\S+)/.exec(output)![1];
  return replica;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface Status {
  running: boolean;
  trigger: string | null;
  watching: boolean;
  watcher: string;
  runs: number;
}

const status = async (r: Replica) => (await (await fetch(`${r.url}v1/ingest/status`)).json()) as Status;
const documents = async (r: Replica) =>
  ((await (await fetch(`${r.url}v1/documents`)).json()) as { documents: Array<{ id: number; path: string; chunks: number }> }).documents;
async function searchPaths(r: Replica, query: string): Promise<string[]> {
  const res = await postJson(`${r.url}v1/search`, { query, k: 5 });
  if (res.status !== 200) throw new Error(`search answered ${res.status}`);
  return JSON.stringify(await res.json()).match(/[\w-]+\.txt/g) ?? [];
}
async function upload(r: Replica, name: string, text: string): Promise<{ files: Array<{ savedAs: string; status: string }> }> {
  const form = new FormData();
  form.append("files", new Blob([text], { type: "text/plain" }), name);
  const res = await fetch(`${r.url}v1/documents`, { method: "POST", body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as { files: Array<{ savedAs: string; status: string }> };
}

describe("two serve replicas on one PostgreSQL store", () => {
  it("share documents, one ingest at a time, whole documents, one watcher, and survive the database going away", { timeout: 600_000 }, async () => {
    const url = await cluster();
    const dir = tempDir("alpaca-rag-replicas-");
    const inbox = path.join(dir, "inbox");
    fs.mkdirSync(inbox);
    fs.writeFileSync(path.join(inbox, "lighthouse.txt"), "The lighthouse keeper climbs one hundred and twelve steps every evening.");
    const config = path.join(dir, "alpaca-rag.config.json");
    fs.writeFileSync(
      config,
      JSON.stringify({
        store: url,
        inbox: "inbox",
        threads: 1,
        gpu: false,
        embedding: { model: "none" },
        generator: { model: "none" },
        chunk: { size: 120, overlap: 16 },
        server: { port: 0, watchDebounceMs: 300 },
      }),
    );

    // The first replica takes the watcher lease; the second serves but does not follow the inbox.
    const a = await startReplica(config);
    await eventually("replica A to watch", async () => ((await status(a)).watcher === "here" ? true : undefined), 30_000);
    const b = await startReplica(config);
    expect(await status(b)).toMatchObject({ watching: false, watcher: "elsewhere" });
    expect(b.output()).toContain("another server sharing the store follows the inbox");
    expect(await status(a)).toMatchObject({ watching: true, watcher: "here" });
    expect((await (await fetch(`${b.url}healthz`)).json())).toMatchObject({ ingest: { watcher: "elsewhere" } });

    // An upload through one replica is searchable through the other (the upload answers once it is committed).
    const up = await upload(a, "orchard.txt", "The quince orchard behind the mill ripens late in October.");
    expect(up.files).toEqual([expect.objectContaining({ savedAs: "orchard.txt", status: "indexed" })]);
    const seenAt = Date.now();
    expect(await eventually("B to find A's upload", async () => ((await searchPaths(b, "quince orchard")).includes("orchard.txt") ? true : undefined), 30_000)).toBe(true);
    const lagMs = Date.now() - seenAt;
    const back = await upload(b, "ferry.txt", "The night ferry crosses the estuary twice before dawn.");
    expect(back.files).toEqual([expect.objectContaining({ savedAs: "ferry.txt", status: "indexed" })]);
    expect(await eventually("A to find B's upload", async () => ((await searchPaths(a, "night ferry estuary")).includes("ferry.txt") ? true : undefined), 30_000)).toBe(
      true,
    );
    expect(lagMs).toBeLessThan(30_000);
    // Uploads are staged beside the inbox, one folder per server, and nothing of them is left in the inbox.
    expect(fs.readdirSync(inbox).sort()).toEqual(["ferry.txt", "lighthouse.txt", "orchard.txt"]);
    expect(fs.readdirSync(path.join(dir, ".inbox-upload-staging")).length).toBe(2);

    // A batch dropped into the shared inbox: A's watcher ingests it (B's does not run). While it runs, B's own ingest
    // is refused naming the holder, and every document B lists is whole: its chunk count is already the final one.
    await eventually("the upload's own watcher pass to end", async () => ((await status(a)).running ? undefined : true), 60_000);
    // Long enough (about 3,000 chunks) that B asks while A is still at it, on a fast machine too.
    const source = cmrcParagraphs();
    const paragraphs = Array.from({ length: 600 }, (_, i) => `${source[i % source.length].context}（第${i}份）`);
    // Written into a hidden folder (ignored) and renamed into place at once: one burst, so one ingest takes it all.
    const hidden = path.join(inbox, ".batch-writing");
    fs.mkdirSync(hidden);
    paragraphs.forEach((text, i) => fs.writeFileSync(path.join(hidden, `p${String(i).padStart(4, "0")}.txt`), text));
    fs.renameSync(hidden, path.join(inbox, "batch"));
    const batchStarted = Date.now();
    await eventually("A's watcher to start ingesting", async () => {
      const s = await status(a);
      return s.running && s.trigger === "watch" ? true : undefined;
    }, 60_000);
    const refused = await fetch(`${b.url}v1/ingest`, { method: "POST" });
    expect(refused.status).toBe(409);
    const refusal = (await refused.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe("store_locked");
    expect(refusal.error.message).toMatch(new RegExp(`is locked: another ingest \\(pid ${a.child.pid} on `));
    const observed = new Map<string, Set<number>>();
    let looks = 0;
    while ((await status(a)).running) {
      for (const d of await documents(b)) {
        if (!d.path.startsWith("batch/")) continue;
        (observed.get(d.path) ?? observed.set(d.path, new Set()).get(d.path)!).add(d.chunks);
      }
      looks++;
    }
    console.log(`batch of ${paragraphs.length} files ingested by A's watcher in ${Date.now() - batchStarted} ms; B looked ${looks} times`);
    const final = new Map((await documents(b)).map((d) => [d.path, d.chunks]));
    expect([...final.keys()].filter((p) => p.startsWith("batch/"))).toHaveLength(paragraphs.length);
    expect(looks).toBeGreaterThan(0);
    expect(observed.size).toBeGreaterThan(0);
    for (const [p, counts] of observed) expect([...counts]).toEqual([final.get(p)]);
    // B never watched: every watch-triggered ingest ran on A.
    expect(await status(b)).toMatchObject({ watching: false, watcher: "elsewhere" });

    // A stops: its lease goes with it, and B takes the inbox over within its retry period (5 s) and ingests by itself.
    a.child.kill("SIGINT");
    await new Promise((resolve) => a.child.once("close", resolve));
    await eventually("B to take the watcher over", async () => ((await status(b)).watcher === "here" ? true : undefined), 50_000);
    expect(b.output()).toContain("this server now follows the inbox");
    fs.writeFileSync(path.join(inbox, "kiln.txt"), "The brick kiln by the canal was fired for the last time in spring.");
    expect(await eventually("B's watcher to ingest kiln.txt", async () => ((await searchPaths(b, "brick kiln canal")).includes("kiln.txt") ? true : undefined), 60_000)).toBe(
      true,
    );

    // The database goes away: a clear 503, the process stays up; once it is back the next request works.
    await run("bash", [script, "halt", clusterDir]);
    const during = await postJson(`${b.url}v1/search`, { query: "lighthouse keeper", k: 1 });
    expect(during.status).toBe(503);
    expect(during.headers.get("retry-after")).toBe("5");
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe("store_unavailable");
    expect((await fetch(`${b.url}healthz`)).status).toBe(200);
    expect((await fetch(`${b.url}readyz`)).status).toBe(503);
    expect(b.child.exitCode).toBeNull();
    await run("bash", [script, "resume", clusterDir]);
    expect(await searchPaths(b, "lighthouse keeper")).toContain("lighthouse.txt");
    expect((await fetch(`${b.url}readyz`)).status).toBe(200);
    // The watcher lease ended with the old connection; B takes it again.
    await eventually("B to watch again", async () => ((await status(b)).watcher === "here" ? true : undefined), 50_000);
    expect(b.output()).not.toMatch(/uncaught|unhandled/i);

    b.child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => b.child.once("close", (c) => resolve(c)));
    expect(code).toBe(0);
  });

  it("an upload waits for another process's ingest to finish instead of failing, and counts as one ingest", { timeout: 120_000 }, async () => {
    const admin = new pg.Client({ connectionString: await cluster() });
    await admin.connect();
    await admin.query("CREATE DATABASE upload_wait");
    await admin.end();
    const url = withDatabase(await cluster(), "upload_wait");
    const t = await startTestServer({ generator: "none", embedding: "none", settings: { store: url, "server.watch": false } });
    try {
      const before = (await (await fetch(`${t.url}v1/ingest/status`)).json()) as Status;
      // Another process's ingest holds the store for 1.5 s.
      const holder = await openStore(url, { write: true, purpose: "ingest" });
      const released = sleep(1500).then(() => holder.close());
      const started = Date.now();
      const up = await upload({ child: null as unknown as ChildProcess, url: t.url, output: () => "" }, "granary.txt", "The stone granary kept the village's grain dry.");
      await released;
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(up.files).toEqual([expect.objectContaining({ savedAs: "granary.txt", status: "indexed" })]);
      const after = (await (await fetch(`${t.url}v1/ingest/status`)).json()) as Status & { last: { trigger: string; error: string | null } };
      expect(after.runs).toBe(before.runs + 1);
      expect(after.last).toMatchObject({ trigger: "upload", error: null });
    } finally {
      await t.close();
    }
  });
});
