// The inbox watcher on a real server with a real store: files added, changed, renamed (a folder too) and deleted in
// the inbox show in /v1/search with no request but the searches; a file written slowly in pieces is never ingested
// half; temporary, hidden and owner files start nothing and are never indexed; GET /v1/ingest/status and the health
// JSON say what runs, what started it and how it ended; a store locked by another writer is waited for. The watcher
// alone: changes during an ingest start exactly one more after it; a file that never stops changing is not waited for
// forever. Bounds are ≥ 10× a quiet run's (about 1.1 s per change).
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestStatus } from "../../../src/server/documents/ingestStatus.js";
import type { DocumentEntry } from "../../../src/server/documents/documentsService.js";
import { InboxWatcher } from "../../../src/server/documents/inboxWatcher.js";
import { StoreLock } from "../../../src/store/lock.js";
import { cmrcParagraphs, tempDir } from "../../helpers.js";
import { postJson, startTestServer, type TestServer } from "../serverFixture.js";

/** Longest a change may take to show in search: a quiet run takes about 1.1 s (1 s of it the debounce). */
const boundMs = 20_000;

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ generator: "none" });
});

afterAll(async () => {
  await t?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(): Promise<IngestStatus> {
  return (await (await fetch(`${t.url}v1/ingest/status`)).json()) as IngestStatus;
}

async function documents(): Promise<DocumentEntry[]> {
  return ((await (await fetch(`${t.url}v1/documents`)).json()) as { documents: DocumentEntry[] }).documents;
}

interface Hit {
  paths: string[];
  text: string;
}

async function search(query: string): Promise<Hit[]> {
  const res = await postJson(`${t.url}v1/search`, { query, k: 5 });
  return ((await res.json()) as { results: Hit[] }).results;
}

/**
 * The paths of the results whose text holds `words` (dense search always answers with the nearest chunks, so a
 * result alone proves nothing; its text does).
 */
async function pathsWith(words: string): Promise<string[]> {
  return (await search(words)).filter((r) => r.text.includes(words)).flatMap((r) => r.paths);
}

/** Polls until `check` holds; returns the milliseconds it took, or fails naming what never happened. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = boundMs): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
  return Math.round(performance.now() - started);
}

/** Waits until no ingest runs or is about to (the watcher's debounce is 1 s), so each test starts from a still inbox. */
async function settle(): Promise<void> {
  let runs = (await status()).runs;
  for (;;) {
    await sleep(1500);
    const s = await status();
    if (!s.running && s.runs === runs) return;
    runs = s.runs;
  }
}

describe("the inbox watcher", () => {
  it("reflects a file added, changed, renamed and deleted, and a folder renamed, in search within seconds", async () => {
    const file = path.join(t.inbox, "kestrel.txt");
    const timings: Record<string, number> = {};
    const before = await status();
    expect(before).toMatchObject({ watching: true, running: false, runs: 1, last: { trigger: "startup", added: 2 } });

    fs.writeFileSync(file, "A kestrel hovers above the old quarry at dusk, watching the grass for voles.");
    timings.add = await until("kestrel.txt found", async () => (await pathsWith("old quarry")).includes("kestrel.txt"));
    expect((await status()).last).toMatchObject({ trigger: "watch", added: 1, failed: [] });

    fs.writeFileSync(file, "The falcon pair nests in the church belfry every spring and raises three chicks.");
    timings.change = await until("the new text of kestrel.txt found", async () => (await pathsWith("church belfry")).includes("kestrel.txt"));
    expect(await pathsWith("old quarry")).not.toContain("kestrel.txt");
    expect((await status()).last).toMatchObject({ trigger: "watch", updated: 1 });

    fs.renameSync(file, path.join(t.inbox, "belfry-falcons.txt"));
    timings.rename = await until("the renamed file found under its new name only", async () => {
      const paths = await pathsWith("church belfry");
      return paths.includes("belfry-falcons.txt") && !paths.includes("kestrel.txt");
    });
    // A rename keeps the document: the same chunks, nothing embedded again.
    expect((await status()).last).toMatchObject({ added: 1, removed: 1, chunks: 0 });

    fs.rmSync(path.join(t.inbox, "belfry-falcons.txt"));
    timings.delete = await until("the deleted file gone", async () => !(await documents()).some((d) => d.path === "belfry-falcons.txt"));
    expect(await pathsWith("church belfry")).not.toContain("belfry-falcons.txt");

    fs.mkdirSync(path.join(t.inbox, "field-notes"));
    fs.writeFileSync(path.join(t.inbox, "field-notes", "heron.txt"), "A grey heron stands motionless in the millstream shallows at dawn.");
    timings.folderAdd = await until("field-notes/heron.txt found", async () => (await pathsWith("millstream shallows")).includes("field-notes/heron.txt"));
    fs.renameSync(path.join(t.inbox, "field-notes"), path.join(t.inbox, "birds"));
    timings.folderRename = await until("the heron found under the renamed folder", async () => {
      const paths = (await documents()).map((d) => d.path);
      return paths.includes("birds/heron.txt") && !paths.includes("field-notes/heron.txt");
    });
    expect(await pathsWith("millstream shallows")).toEqual(["birds/heron.txt"]);
    console.log(`inbox change → search (ms): ${JSON.stringify(timings)}`);
    expect(t.notices.filter((n) => /watcher/.test(n))).toEqual([]);
  });

  it("never ingests a file half-written: a slow copy in pieces is ingested once, whole, with what else came meanwhile", async () => {
    await settle();
    const runsBefore = (await status()).runs;
    const name = "ledger.txt";
    const pieces = Array.from({ length: 10 }, (_, i) =>
      i === 0 ? "Opening entry: the cooperative ledger records the spring seed orders.\n\n" : i === 9 ? "Closing entry: the treasurer signed the ledger under the walnut tree.\n" : `Entry ${i}: ${"barley oats rye ".repeat(20)}\n\n`,
    );
    const full = Buffer.byteLength(pieces.join(""));
    const seen: number[] = [];
    let writing = true;
    const watcher = (async () => {
      while (writing) {
        const entry = (await documents()).find((d) => d.path === name);
        if (entry) seen.push(entry.bytes);
        await sleep(40);
      }
    })();
    // 300 ms between pieces, 2.7 s in all: longer than the debounce, each gap shorter.
    for (const [i, piece] of pieces.entries()) {
      fs.appendFileSync(path.join(t.inbox, name), piece);
      if (i === 4) fs.writeFileSync(path.join(t.inbox, "side-note.txt"), "A side note about the orchard ladder, written while the ledger was copied.");
      await sleep(300);
    }
    writing = false;
    await watcher;
    expect(seen).toEqual([]);
    await until("the whole ledger found", async () => (await pathsWith("walnut tree")).includes(name));
    const entry = (await documents()).find((d) => d.path === name)!;
    expect(entry.bytes).toBe(full);
    await settle();
    const after = await status();
    // The whole burst (ten pieces and another file) became one ingest.
    expect(after.runs).toBe(runsBefore + 1);
    expect(after.last).toMatchObject({ trigger: "watch", added: 2, updated: 0, failed: [] });
  });

  it("ignores temporary, hidden and owner files: they start no ingest and are never indexed (uploads are staged outside the inbox)", async () => {
    expect(t.server.app.documents.stagingDir.startsWith(path.resolve(t.inbox))).toBe(false);
    await settle();
    const runsBefore = (await status()).runs;
    const junk: Record<string, string> = {
      "~$report.txt": "owner file of an open document: user xylophonist",
      ".hidden-notes.txt": "hidden xylophonist notes",
      "notes.txt.swp": "vim swap xylophonist",
      "draft.pdf.part": "%PDF-1.4 half a download xylophonist",
      "movie.crdownload": "a download in progress xylophonist",
      "scratch.tmp": "temporary xylophonist",
      "letter.txt~": "backup xylophonist",
      "#autosave.txt#": "emacs xylophonist",
      ".cache/inner.txt": "inside a hidden folder xylophonist",
    };
    for (const [rel, text] of Object.entries(junk)) {
      fs.mkdirSync(path.dirname(path.join(t.inbox, rel)), { recursive: true });
      fs.writeFileSync(path.join(t.inbox, rel), text);
    }
    for (const rel of Object.keys(junk)) fs.appendFileSync(path.join(t.inbox, rel), " more");
    // Three debounce periods: had any of them counted, an ingest would have run by now.
    await sleep(3000);
    expect((await status()).runs).toBe(runsBefore);

    fs.writeFileSync(path.join(t.inbox, "marker.txt"), "The marker stone stands where the three parishes meet.");
    await until("marker.txt found", async () => (await documents()).some((d) => d.path === "marker.txt"));
    const s = await status();
    expect(s.runs).toBe(runsBefore + 1);
    const paths = (await documents()).map((d) => d.path);
    for (const rel of Object.keys(junk)) expect(paths).not.toContain(rel);
    expect(await pathsWith("xylophonist")).toEqual([]);
    // The ingest lists the unsupported ones as skipped, and never tries the owner file.
    expect(s.last!.failed).toEqual([]);
    for (const rel of Object.keys(junk)) fs.rmSync(path.join(t.inbox, rel), { force: true });
  });

  it("reports a running ingest (trigger, files done of total, current file), then its outcome with failures and reasons", async () => {
    await settle();
    const before = await status();
    const paragraphs = cmrcParagraphs().slice(0, 12);
    const names = paragraphs.map((_, i) => `cmrc-${String(i).padStart(2, "0")}.txt`);
    paragraphs.forEach((p, i) => fs.writeFileSync(path.join(t.inbox, names[i]), p.context));
    fs.writeFileSync(path.join(t.inbox, "broken.pdf"), "%PDF-1.4\nthis is not a PDF body at all\n");

    const snapshots: IngestStatus[] = [];
    const health: Array<{ running: boolean; trigger: string | null }> = [];
    await until(
      "the watcher's ingest started and ended",
      async () => {
        const s = await status();
        if (s.running) {
          snapshots.push(s);
          health.push(((await (await fetch(`${t.url}healthz`)).json()) as { ingest: { running: boolean; trigger: string | null } }).ingest);
        }
        return !s.running && s.runs > before.runs;
      },
      boundMs * 3,
    );
    expect(snapshots.length).toBeGreaterThan(0);
    for (const s of snapshots) {
      expect(s).toMatchObject({ running: true, trigger: "watch", watching: true });
      expect(s.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(s.filesDone).toBeLessThanOrEqual(s.filesTotal);
    }
    // Every file the ingest looks at is counted: the new ones, the broken one and those already there.
    expect(Math.max(...snapshots.map((s) => s.filesTotal))).toBeGreaterThanOrEqual(13);
    const current = snapshots.map((s) => s.currentFile).filter((f): f is string => f !== null);
    for (const f of current) expect([...names, "broken.pdf", ...(await documents()).map((d) => d.path)]).toContain(f);
    expect(health.some((h) => h.running && h.trigger === "watch")).toBe(true);

    const after = await status();
    expect(after).toMatchObject({ running: false, trigger: null, filesDone: 0, currentFile: null, watching: true });
    expect(after.lastFinishedAt! > before.lastFinishedAt!).toBe(true);
    expect(after.last).toMatchObject({ trigger: "watch", added: 12, error: null, interrupted: false });
    expect(after.last!.failed).toEqual([{ path: "broken.pdf", reason: expect.stringMatching(/\S/) }]);
    const paths = (await documents()).map((d) => d.path);
    for (const n of names) expect(paths).toContain(n);
    expect((await (await fetch(`${t.url}readyz`)).json())).toMatchObject({ ingest: { running: false, runs: after.runs, lastFinishedAt: after.lastFinishedAt } });
  });

  it("waits while another process holds the store's write lock, then ingests", async () => {
    await settle();
    // This process holds the lock as a command-line ingest would: the server's ingest must not write meanwhile.
    const lock = StoreLock.acquire(t.settings.store, "ingest");
    try {
      fs.writeFileSync(path.join(t.inbox, "locked-out.txt"), "The granary door stays bolted until the harvest is counted.");
      await until("the watcher's ingest refused by the lock", async () => /is locked/.test((await status()).last?.error ?? ""));
      expect((await status()).last).toMatchObject({ trigger: "watch", added: 0 });
      expect(t.notices.some((n) => /^inbox watcher: .*is locked.*trying again in 5 s$/.test(n))).toBe(true);
      expect((await documents()).some((d) => d.path === "locked-out.txt")).toBe(false);
    } finally {
      lock.release();
    }
    // The retry comes 5 s after the refusal.
    await until("locked-out.txt found once the lock is released", async () => (await pathsWith("granary door")).includes("locked-out.txt"), boundMs + 5000);
    expect((await status()).last).toMatchObject({ trigger: "watch", added: 1, error: null });
  });

  it("names the trigger of uploads and re-scans, which go through the same queue as the watcher's ingests", async () => {
    await settle();
    const form = new FormData();
    form.append("files", new Blob(["The ferry timetable changes on the first Sunday of October."]), "ferry.txt");
    const res = await fetch(`${t.url}v1/documents`, { method: "POST", body: form });
    expect(res.status).toBe(201);
    // The upload's own ingest is the last one finished; the watcher sees the placed file only after its debounce.
    expect((await status()).last).toMatchObject({ trigger: "upload", added: 1 });
    await settle();
    // The watcher's look at the uploaded file found it already indexed.
    expect((await status()).last).toMatchObject({ trigger: "watch", added: 0, updated: 0 });
    const rescan = await fetch(`${t.url}v1/ingest`, { method: "POST" });
    expect(rescan.status).toBe(200);
    expect((await status()).last).toMatchObject({ trigger: "request", added: 0, removed: 0 });
    expect(await pathsWith("ferry timetable")).toContain("ferry.txt");
  });
});

describe("InboxWatcher on its own (the ingest it starts records when it ran)", () => {
  /** A watcher over a new folder whose ingest takes `ingestMs` and records when it started and ended. */
  async function watched(options: { debounceMs: number; maxDelayMs?: number; ingestMs?: number }) {
    const inbox = tempDir("alpaca-rag-watch-");
    const runs: Array<{ start: number; end: number }> = [];
    const started: number[] = [];
    const watcher = new InboxWatcher({
      inbox,
      debounceMs: options.debounceMs,
      maxDelayMs: options.maxDelayMs,
      ingest: async () => {
        const start = performance.now();
        started.push(start);
        await sleep(options.ingestMs ?? 0);
        runs.push({ start, end: performance.now() });
      },
    });
    await watcher.start();
    return { inbox, runs, started, watcher };
  }

  it("runs one more ingest right after the running one when files changed meanwhile, never two at once", async () => {
    const { inbox, runs, started, watcher } = await watched({ debounceMs: 300, ingestMs: 1500 });
    try {
      fs.writeFileSync(path.join(inbox, "a.txt"), "first");
      await until("the first ingest started", async () => started.length === 1);
      // The first ingest takes 1.5 s: these changes come in while it runs.
      expect(runs.length).toBe(0);
      fs.writeFileSync(path.join(inbox, "b.txt"), "second");
      fs.writeFileSync(path.join(inbox, "c.md"), "third");
      await until("two ingests finished", async () => runs.length >= 2, boundMs);
      await sleep(1500);
      expect(runs.length).toBe(2);
      expect(runs[1].start).toBeGreaterThanOrEqual(runs[0].end);
    } finally {
      await watcher.close();
    }
  });

  it("does not wait forever for a file that never stops changing (maxDelayMs), and ingests again once it settles", async () => {
    const { inbox, runs, watcher } = await watched({ debounceMs: 300, maxDelayMs: 400 });
    try {
      const file = path.join(inbox, "growing.txt");
      const since = performance.now();
      // An append every 50 ms for 4 s (10× maxDelayMs): never quiet for 300 ms.
      while (performance.now() - since < 4000) {
        fs.appendFileSync(file, "line\n");
        await sleep(50);
      }
      const whileGrowing = runs.length;
      expect(whileGrowing).toBeGreaterThanOrEqual(1);
      await until("an ingest after the file settled", async () => runs.length > whileGrowing, boundMs);
    } finally {
      await watcher.close();
    }
  });
});
