// GET /v1/documents/file and /v1/documents/context on a real server with an API key: the page's citation preview
// reads a stored PDF's bytes and a text file's passage in its surrounding text; nothing outside the store's files is
// served, and both need the key like the rest of /v1.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Answer } from "../../../src/qa/answer.js";
import type { PassageContext } from "../../../src/server/documents/documentSources.js";
import { shippedSamplePath } from "../../helpers.js";
import { englishSamples, postJson, startTestServer, type TestServer } from "../serverFixture.js";

const key = "preview-test-key";
const auth = { Authorization: `Bearer ${key}` };
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({
    generator: "none",
    embedding: "none",
    files: { ...englishSamples, "seeds.pdf": fs.readFileSync(shippedSamplePath("northvale-seed-library.pdf")) },
    settings: { "server.apiKeys": [key] },
  });
  // A file beside the inbox that a traversal would reach.
  fs.writeFileSync(path.join(t.dir, "secret.txt"), "not a document");
});

afterAll(async () => {
  await t?.close();
});

const get = (p: string, headers: Record<string, string> = auth) => fetch(`${t.url}${p}`, { headers });

describe("GET /v1/documents/file", () => {
  it("serves a stored PDF's bytes with the key, sandboxed", async () => {
    const res = await get("v1/documents/file?path=seeds.pdf");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-security-policy")).toMatch(/sandbox/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(fs.readFileSync(path.join(t.inbox, "seeds.pdf")))).toBe(true);
  });

  it("serves other files as attachments", async () => {
    const res = await get("v1/documents/file?path=orchard.md");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(await res.text()).toBe(englishSamples["orchard.md"]);
  });

  it("refuses without the key or with a wrong one", async () => {
    expect((await get("v1/documents/file?path=seeds.pdf", {})).status).toBe(401);
    expect((await get("v1/documents/file?path=seeds.pdf", { Authorization: "Bearer wrong" })).status).toBe(401);
  });

  it("answers 404 for a path the store does not list, even when the file is in the inbox", async () => {
    fs.writeFileSync(path.join(t.inbox, "not-ingested.txt"), "dropped by hand after the ingest");
    const res = await get("v1/documents/file?path=not-ingested.txt");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await get("v1/documents/file?path=nothing.pdf")).status).toBe(404);
  });

  it("refuses traversal and absolute paths without reading them", async () => {
    for (const p of ["../secret.txt", "..%2Fsecret.txt", "%2E%2E/secret.txt", "a/../../secret.txt", encodeURIComponent(path.join(t.dir, "secret.txt")), "..\\secret.txt"]) {
      const res = await get(`v1/documents/file?path=${p}`);
      expect(res.status, p).toBe(400);
      expect(await res.text()).not.toContain("not a document");
    }
    expect((await get("v1/documents/file")).status).toBe(400);
  });
});

describe("GET /v1/documents/context", () => {
  it("gives a cited chunk's passage in its surrounding text", async () => {
    const answer = (await (await postJson(`${t.url}v1/ask`, { question: "When are the orchard trees pruned?", k: 3 }, auth)).json()) as Answer;
    const cited = answer.citations.find((c) => c.source === "orchard.md");
    expect(cited).toBeDefined();
    const res = await get(`v1/documents/context?chunk=${cited!.chunkId}&around=2000`);
    expect(res.status).toBe(200);
    const context = (await res.json()) as PassageContext;
    expect(context.path).toBe("orchard.md");
    expect(context.passage.trim().length).toBeGreaterThan(0);
    // The whole file is small: before + passage + after is the file's text, and the passage is the chunk's.
    expect(englishSamples["orchard.md"]).toContain(context.passage.trim());
    expect(cited!.text).toContain(context.passage.trim().slice(0, 40));
    expect(context.before + context.passage + context.after).toContain("Pruning");
  });

  it("ends the passage where a citation that merged neighbouring chunks ends", async () => {
    const answer = (await (await postJson(`${t.url}v1/ask`, { question: "Gull Point lighthouse keeper lamp", k: 3 }, auth)).json()) as Answer;
    const cited = answer.citations.find((c) => c.source === "lighthouse.txt")!;
    const own = (await (await get(`v1/documents/context?chunk=${cited.chunkId}&around=0`)).json()) as PassageContext;
    const longer = (await (await get(`v1/documents/context?chunk=${cited.chunkId}&around=0&charEnd=${cited.charEnd + 25}`)).json()) as PassageContext;
    expect(longer.passage.startsWith(own.passage.slice(0, cited.charEnd - cited.charStart))).toBe(true);
    expect(longer.passage.length).toBe(Math.min(cited.charEnd + 25, englishSamples["lighthouse.txt"].length) - cited.charStart);
    expect(englishSamples["lighthouse.txt"]).toContain(longer.passage);
  });

  it("places a PDF chunk by its page", async () => {
    const answer = (await (await postJson(`${t.url}v1/ask`, { question: "seed library", k: 5 }, auth)).json()) as Answer;
    const cited = answer.citations.find((c) => c.source === "seeds.pdf");
    expect(cited?.page).toBeGreaterThanOrEqual(1);
    const context = (await (await get(`v1/documents/context?chunk=${cited!.chunkId}`)).json()) as PassageContext;
    expect(context.page).toBe(cited!.page);
    const squash = (s: string) => s.replace(/\s+/g, "");
    expect(squash(cited!.text)).toContain(squash(context.passage).slice(0, 30));
  });

  it("needs the key, and answers 404 for an unknown chunk and 400 for a malformed one", async () => {
    expect((await get("v1/documents/context?chunk=1", {})).status).toBe(401);
    expect((await get("v1/documents/context?chunk=999999")).status).toBe(404);
    expect((await get("v1/documents/context?chunk=abc")).status).toBe(400);
    expect((await get("v1/documents/context")).status).toBe(400);
  });
});
