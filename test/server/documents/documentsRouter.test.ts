// The documents API on a real server: list, upload (safe unique names whatever the client sends, type, size and count
// limits, unreadable files not kept), delete, and re-scanning the inbox; search sees every change at once.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stagingFolderName, type DocumentEntry, type UploadResult } from "../../../src/server/documents/documentsService.js";
import { postJson, startTestServer, type TestServer } from "../serverFixture.js";

let t: TestServer;

beforeAll(async () => {
  // The inbox watcher is off here: POST /v1/ingest must be what picks up files changed by hand (the watcher has its own tests).
  t = await startTestServer({ settings: { "server.maxUploadFiles": 3, "server.maxUploadBytes": 4096, "server.watch": false } });
});

afterAll(async () => {
  await t?.close();
});

async function listDocuments(): Promise<DocumentEntry[]> {
  return ((await (await fetch(`${t.url}v1/documents`)).json()) as { documents: DocumentEntry[] }).documents;
}

function upload(files: Array<[name: string, content: string | Buffer]>, field = "files"): Promise<Response> {
  const form = new FormData();
  for (const [name, content] of files) form.append(field, new Blob([content]), name);
  return fetch(`${t.url}v1/documents`, { method: "POST", body: form });
}

async function searchSources(query: string): Promise<string[]> {
  const res = await postJson(`${t.url}v1/search`, { query, k: 5 });
  return ((await res.json()) as { results: Array<{ source: string }> }).results.map((r) => r.source);
}

/** Parts left in the staging folder (in the store, never the inbox), and anything the upload left in the inbox but files. */
function stagingLeftovers(): string[] {
  const staging = path.join(t.settings.store, stagingFolderName);
  const inInbox = fs.readdirSync(t.inbox, { withFileTypes: true }).filter((e) => !e.isFile()).map((e) => `inbox/${e.name}`);
  return [...(fs.existsSync(staging) ? fs.readdirSync(staging) : []), ...inInbox];
}

describe("GET /v1/documents", () => {
  it("lists the ingested files with id, path, kind, pages, chunks and ingestion time", async () => {
    const docs = await listDocuments();
    expect(docs.map((d) => d.path)).toEqual(["lighthouse.txt", "orchard.md"]);
    for (const d of docs) {
      expect(d.id).toBeGreaterThan(0);
      expect(d.chunks).toBeGreaterThan(0);
      expect(d.pages).toBeNull();
      expect(Number.isNaN(Date.parse(d.ingestedAt))).toBe(false);
    }
    expect(docs.find((d) => d.path === "orchard.md")!.kind).toBe("markdown");
  });
});

describe("POST /v1/documents", () => {
  it("stores uploads in the inbox, ingests them, and makes them searchable at once", async () => {
    const res = await upload([["harbour.txt", "The harbour crane lifts timber from the barges every Tuesday morning."]]);
    expect(res.status).toBe(201);
    const body = (await res.json()) as UploadResult;
    expect(body.files).toEqual([{ name: "harbour.txt", savedAs: "harbour.txt", status: "indexed" }]);
    expect(body.ingest.added).toBe(1);
    expect(fs.readFileSync(path.join(t.inbox, "harbour.txt"), "utf8")).toMatch(/harbour crane/);
    expect((await listDocuments()).map((d) => d.path)).toContain("harbour.txt");
    expect(await searchSources("harbour crane timber barges")).toContain("harbour.txt");
    expect(stagingLeftovers()).toEqual([]);
  });

  it("never lets a name leave the inbox or replace a file: traversal, backslashes, absolute paths, hidden names, repeats", async () => {
    const before = fs.readFileSync(path.join(t.inbox, "lighthouse.txt"), "utf8");
    const absoluteTarget = path.join(t.dir, "absolute.txt");
    const names = ["../evil.txt", "..\\x.txt", `${absoluteTarget}`, "lighthouse.txt"];
    // Three per request (the limit in this server).
    const bodies: UploadResult[] = [];
    for (const group of [names.slice(0, 3), names.slice(3)]) {
      const res = await upload(group.map((n, i) => [n, `Upload ${n} number ${i} mentions the windmill.`]));
      expect(res.status).toBe(201);
      bodies.push((await res.json()) as UploadResult);
    }
    const files = bodies.flatMap((b) => b.files);
    // The multipart parser already drops folder parts from the names it reports; the service cleans them again.
    expect(files.map((f) => f.name)).toEqual(["evil.txt", "x.txt", "absolute.txt", "lighthouse.txt"]);
    const saved = files.map((f) => f.savedAs);
    for (const s of saved) {
      expect(s).not.toMatch(/[\\/]/);
      expect(s.startsWith(".")).toBe(false);
      expect(path.dirname(path.resolve(t.inbox, s))).toBe(t.inbox);
      expect(fs.existsSync(path.join(t.inbox, s))).toBe(true);
    }
    expect(saved).toEqual(["evil.txt", "x.txt", "absolute.txt", "lighthouse-2.txt"]);
    expect(fs.readFileSync(path.join(t.inbox, "lighthouse.txt"), "utf8")).toBe(before);
    expect(fs.existsSync(path.join(t.dir, "evil.txt"))).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(t.dir), "evil.txt"))).toBe(false);
    expect(fs.existsSync(absoluteTarget)).toBe(false);

    // Two uploads of one name, one after the other: the second gets a new name.
    const again = (await (await upload([["harbour.txt", "A second harbour note about the ferry timetable."]])).json()) as UploadResult;
    expect(again.files[0].savedAs).toBe("harbour-2.txt");
    const hidden = (await (await upload([[".secret.md", "# Hidden\n\nA note that would be hidden."]])).json()) as UploadResult;
    expect(hidden.files[0].savedAs).toBe("secret.md");
    expect(hidden.files[0].status).toBe("indexed");
  });

  it("refuses other file types with 415, and stores nothing", async () => {
    const res = await upload([["notes.txt", "fine"], ["program.exe", "MZ..."]]);
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_file_type");
    expect(fs.existsSync(path.join(t.inbox, "program.exe"))).toBe(false);
    expect(fs.existsSync(path.join(t.inbox, "notes.txt"))).toBe(false);
    expect(stagingLeftovers()).toEqual([]);
  });

  it("refuses too many files and too large a file with 413", async () => {
    const many = await upload([1, 2, 3, 4].map((i) => [`many-${i}.txt`, `file ${i}`]));
    expect(many.status).toBe(413);
    expect(((await many.json()) as { error: { code: string } }).error.code).toBe("too_many_files");
    const large = await upload([["large.txt", "x".repeat(5000)]]);
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: { code: string } }).error.code).toBe("file_too_large");
    expect(fs.readdirSync(t.inbox).filter((n) => n.startsWith("many-") || n.startsWith("large"))).toEqual([]);
    expect(stagingLeftovers()).toEqual([]);
  });

  it("refuses a request without files, another field name, and a non-multipart body", async () => {
    expect((await fetch(`${t.url}v1/documents`, { method: "POST", body: new FormData() })).status).toBe(400);
    const wrongField = await upload([["a.txt", "x"]], "file");
    expect(wrongField.status).toBe(400);
    expect(((await wrongField.json()) as { error: { code: string } }).error.code).toBe("unexpected_file_field");
    const json = await postJson(`${t.url}v1/documents`, { files: ["a.txt"] });
    expect(json.status).toBe(415);
  });

  it("reports an unreadable file as failed and does not keep it", async () => {
    const res = await upload([["broken.pdf", "this is not a PDF"]]);
    expect(res.status).toBe(201);
    const body = (await res.json()) as UploadResult;
    expect(body.files[0]).toMatchObject({ name: "broken.pdf", status: "failed", reason: expect.any(String) });
    expect(fs.existsSync(path.join(t.inbox, "broken.pdf"))).toBe(false);
  });
});

describe("DELETE /v1/documents/:id", () => {
  it("removes the document's files from the inbox and the store; search no longer finds it", async () => {
    const docs = await listDocuments();
    const harbour = docs.find((d) => d.path === "harbour.txt")!;
    const res = await fetch(`${t.url}v1/documents/${harbour.id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deleted: { id: number; paths: string[]; chunksRemoved: number } };
    expect(body.deleted).toMatchObject({ id: harbour.id, paths: ["harbour.txt"] });
    expect(body.deleted.chunksRemoved).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(t.inbox, "harbour.txt"))).toBe(false);
    expect((await listDocuments()).map((d) => d.path)).not.toContain("harbour.txt");
    expect(await searchSources("harbour crane timber barges")).not.toContain("harbour.txt");
  });

  it("answers 404 for an unknown id and 400 for one that is not a number", async () => {
    const missing = await fetch(`${t.url}v1/documents/999999`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await fetch(`${t.url}v1/documents/abc`, { method: "DELETE" })).status).toBe(400);
    expect((await fetch(`${t.url}v1/documents/..%2F..%2Fetc`, { method: "DELETE" })).status).toBe(400);
  });
});

describe("POST /v1/ingest", () => {
  it("picks up files added to and removed from the inbox by hand", async () => {
    fs.writeFileSync(path.join(t.inbox, "bakery.txt"), "The village bakery sells rye bread and cinnamon rolls before dawn.");
    fs.rmSync(path.join(t.inbox, "orchard.md"));
    const res = await fetch(`${t.url}v1/ingest`, { method: "POST" });
    expect(res.status).toBe(200);
    const { ingest } = (await res.json()) as { ingest: { added: number; removed: number; failed: unknown[] } };
    expect(ingest).toMatchObject({ added: 1, removed: 1, failed: [] });
    const paths = (await listDocuments()).map((d) => d.path);
    expect(paths).toContain("bakery.txt");
    expect(paths).not.toContain("orchard.md");
    expect(await searchSources("village bakery rye bread cinnamon")).toContain("bakery.txt");
  });
});
