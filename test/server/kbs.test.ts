// Knowledge bases over HTTP on a real server (loopback, real SQLite): bases made and removed through /v1/kbs, uploads
// into one base, the same file in two bases stored once and cited per base, and keys limited to bases and roles, with
// every endpoint tried by a key of another base: nothing of that base (names, counts, documents, citations, models)
// may show. Also per-key rate limits (429 with Retry-After, then allowed again) and the openai client choosing a base
// by model (chat and text completions).
import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import { startTestServer, type TestServer } from "./serverFixture.js";

const keys = {
  admin: "admin-key-0001",
  personnelRead: "personnel-read-key",
  engineeringWrite: "engineering-write-key",
  engineeringAdmin: "engineering-admin-key",
  limited: "limited-read-key",
};

/** What the engineering base holds; none of it may reach a personnel key. */
const engineeringSecrets = ["engineering", "pump-design", "Kestrel", "impeller", "handbook-eng"];
const pumpText = "The Kestrel pump uses a ceramic impeller rated for four hundred litres per minute.";
const bonusText = "The Juniper team bonus pool is ninety thousand crowns, paid every March by the personnel office.";
const handbookText = "Staff handbook: every workshop keeps a first aid kit beside the door and a fire blanket by the stove.";

let t: TestServer;
/** A response's JSON body, loosely typed: the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const get = (route: string, key: string) => fetch(`${t.url}${route}`, { headers: auth(key) });
const send = (method: string, route: string, key: string, body?: unknown) =>
  body === undefined
    ? fetch(`${t.url}${route}`, { method, headers: auth(key) })
    : fetch(`${t.url}${route}`, { method, headers: { ...auth(key), "Content-Type": "application/json" }, body: JSON.stringify(body) });

async function upload(key: string, kb: string, files: Record<string, string>): Promise<Response> {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) form.append("files", new Blob([text], { type: "text/plain" }), name);
  return fetch(`${t.url}v1/documents?kb=${encodeURIComponent(kb)}`, { method: "POST", headers: auth(key), body: form });
}

beforeAll(async () => {
  t = await startTestServer({
    generator: "none",
    embedding: "none",
    settings: {
      "server.apiKeys": [
        keys.admin,
        { key: keys.personnelRead, kbs: ["personnel"], role: "read" },
        { key: keys.engineeringWrite, kbs: ["engineering"], role: "write" },
        { key: keys.engineeringAdmin, kbs: ["engineering"], role: "admin" },
        { key: keys.limited, kbs: ["personnel"], role: "read", rateLimit: { windowSeconds: 2, max: 3 } },
      ],
      "server.rateLimit": { windowSeconds: 60, max: 10_000 },
    },
  });
  // Bases through the API, by the full key; a limited admin may not make bases, a reader may not manage any.
  expect((await send("POST", "v1/kbs", keys.engineeringAdmin, { name: "other" })).status).toBe(403);
  expect((await send("POST", "v1/kbs", keys.personnelRead, { name: "other" })).status).toBe(403);
  for (const name of ["personnel", "engineering"]) expect((await send("POST", "v1/kbs", keys.admin, { name })).status).toBe(201);
  expect((await send("POST", "v1/kbs", keys.admin, { name: "personnel" })).status).toBe(409);
  expect((await send("POST", "v1/kbs", keys.admin, { name: "../up" })).status).toBe(400);

  let r = await upload(keys.engineeringWrite, "engineering", { "pump-design.txt": pumpText, "handbook-eng.txt": handbookText });
  expect(r.status, await r.clone().text()).toBe(201);
  expect((await json(r)).files.map((f: { status: string }) => f.status)).toEqual(["indexed", "indexed"]);
  r = await upload(keys.admin, "personnel", { "bonus-pool.txt": bonusText, "handbook-hr.txt": handbookText });
  expect(r.status).toBe(201);
  expect(fs.readdirSync(path.join(t.inbox, "personnel")).sort()).toEqual(["bonus-pool.txt", "handbook-hr.txt"]);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe("knowledge bases over HTTP", () => {
  it("stores the same file in two bases once, lists it in both and cites each base's own name for it", async () => {
    const store = await openStore(t.settings, { vectors: false });
    try {
      // lighthouse, orchard (default), pump, bonus, and one handbook for two files.
      expect([await store.count("documents"), await store.count("files")]).toEqual([5, 6]);
    } finally {
      await store.close();
    }
    const eng = (await json(get("v1/documents?kb=engineering", keys.admin))).documents as Array<{ id: number; kb: string; path: string }>;
    const hr = (await json(get("v1/documents?kb=personnel", keys.admin))).documents as Array<{ id: number; kb: string; path: string }>;
    const engHandbook = eng.find((d) => d.path === "handbook-eng.txt")!;
    expect(hr.find((d) => d.path === "handbook-hr.txt")!.id).toBe(engHandbook.id);
    expect(engHandbook.kb).toBe("engineering");
    for (const [kb, name] of [["personnel", "handbook-hr.txt"], ["engineering", "handbook-eng.txt"]]) {
      const found = await json(send("POST", "v1/search", keys.admin, { query: "first aid kit fire blanket", kb }));
      expect(found.results[0]).toMatchObject({ kb, source: name, paths: [name] });
      const answer = await json(send("POST", "v1/ask", keys.admin, { question: "Where is the first aid kit kept?", kb: [kb] }));
      expect(answer.citations[0]).toMatchObject({ kb, source: name });
    }
    const both = await json(send("POST", "v1/search", keys.admin, { query: "first aid kit", kb: "personnel,engineering" }));
    expect(both.results[0].paths).toEqual(["handbook-eng.txt", "handbook-hr.txt"]);
    const kbs = (await json(get("v1/kbs", keys.admin))).kbs;
    expect(kbs.map((k: { name: string; files: number; model: string }) => [k.name, k.files, k.model])).toEqual([
      ["default", 2, "alpaca-rag/default"],
      ["engineering", 2, "alpaca-rag/engineering"],
      ["personnel", 2, "alpaca-rag/personnel"],
    ]);
  });

  it("shows a key of another base nothing of engineering on any endpoint: 403 or 404, and no names, counts or text", async () => {
    const key = keys.personnelRead;
    const bodies: Array<[string, number, string]> = [];
    const record = async (label: string, response: Promise<Response>) => {
      const r = await response;
      const text = await r.text();
      bodies.push([label, r.status, text]);
      return { status: r.status, text };
    };
    expect((await record("kbs", get("v1/kbs", key))).text).toBe(JSON.stringify({ kbs: [{ name: "personnel", createdAt: JSON.parse(bodies[0][2]).kbs[0].createdAt, files: 2, documents: 2, chunks: 2, model: "alpaca-rag/personnel" }] }));
    expect((await record("documents", get("v1/documents", key))).status).toBe(200);
    expect(JSON.parse(bodies[1][2]).documents.map((d: { path: string }) => d.path)).toEqual(["bonus-pool.txt", "handbook-hr.txt"]);
    expect((await record("documents of engineering", get("v1/documents?kb=engineering", key))).status).toBe(404);
    expect((await record("documents of default", get("v1/documents?kb=default", key))).status).toBe(404);
    const search = await record("search", send("POST", "v1/search", key, { query: "ceramic rated four hundred litres per minute" }));
    expect(search.status).toBe(200);
    expect((await record("search engineering", send("POST", "v1/search", key, { query: "ceramic litres", kb: "engineering" }))).status).toBe(404);
    expect((await record("ask", send("POST", "v1/ask", key, { question: "Which part is ceramic and rated in litres per minute?" }))).status).toBe(200);
    expect((await record("ask engineering", send("POST", "v1/ask", key, { question: "ceramic?", kb: ["personnel", "engineering"] }))).status).toBe(404);
    expect((await record("ask stream", send("POST", "v1/ask", key, { question: "ceramic litres per minute?", stream: true }))).status).toBe(200);
    expect((await record("models", get("v1/models", key))).status).toBe(200);
    expect(JSON.parse(bodies.at(-1)![2]).data.map((m: { id: string }) => m.id)).toEqual(["alpaca-rag/personnel"]);
    expect((await record("model card", get("v1/models/alpaca-rag/engineering", key))).status).toBe(404);
    const chat = { model: "alpaca-rag/engineering", messages: [{ role: "user", content: "ceramic litres?" }] };
    expect((await record("chat engineering", send("POST", "v1/chat/completions", key, chat))).status).toBe(404);
    const legacyChat = { model: "gpt-4o", messages: [{ role: "user", content: "Which part is ceramic and rated in litres per minute?" }] };
    expect((await record("chat default model", send("POST", "v1/chat/completions", key, legacyChat))).status).toBe(200);
    expect((await record("completion engineering", send("POST", "v1/completions", key, { model: "alpaca-rag/engineering", prompt: "ceramic?" }))).status).toBe(404);
    expect((await record("completion", send("POST", "v1/completions", key, { model: "alpaca-rag/personnel", prompt: "Which part is ceramic?" }))).status).toBe(200);
    expect((await record("info", get("v1/info", key))).status).toBe(200);
    expect((await record("ingest status", get("v1/ingest/status", key))).status).toBe(200);
    expect((await record("metrics", get("metrics", key))).status).toBe(403);
    expect((await record("readyz", fetch(`${t.url}readyz`))).status).toBe(200);
    expect((await record("healthz", fetch(`${t.url}healthz`))).status).toBe(200);
    // Writes and management: refused by role before any base is looked at.
    expect((await record("ingest", send("POST", "v1/ingest", key, { kb: "engineering" }))).status).toBe(403);
    expect((await record("upload", upload(key, "engineering", { "x.txt": "x" }))).status).toBe(403);
    expect((await record("delete document", send("DELETE", "v1/documents/1?kb=engineering", key))).status).toBe(403);
    expect((await record("delete kb", send("DELETE", "v1/kbs/engineering", key))).status).toBe(403);
    expect((await record("rename kb", send("PATCH", "v1/kbs/engineering", key, { name: "x" }))).status).toBe(403);

    // A refusal may repeat the name the request itself gave (`unknown knowledge base "engineering"`); nothing else.
    for (const [label, status, raw] of bodies) {
      const text = status >= 400 ? raw.replace(/\\"(alpaca-rag\/)?engineering\\"/g, "ASKED") : raw;
      for (const secret of engineeringSecrets) expect(text.includes(secret), `${label} shows "${secret}": ${text.slice(0, 300)}`).toBe(false);
    }
    // The same search by a key of engineering finds the pump: the questions above did reach its text.
    const control = await json(send("POST", "v1/search", keys.engineeringWrite, { query: "ceramic rated four hundred litres per minute" }));
    expect(control.results[0]).toMatchObject({ kb: "engineering", source: "pump-design.txt" });
    // Probes carry no counts while keys are limited to bases.
    expect(JSON.parse(bodies.find(([l]) => l === "readyz")![2]).ingest).toMatchObject({ filesDone: 0, filesTotal: 0, runs: 0 });
    // The ingest status shows only personnel's runs, not engineering's.
    expect(JSON.parse(bodies.find(([l]) => l === "ingest status")![2])).toMatchObject({ last: { kb: "personnel" } });
  });

  it("answers a base the key may not see exactly as an unknown one", async () => {
    const hidden = await json(send("POST", "v1/search", keys.personnelRead, { query: "x", kb: "engineering" }));
    const unknown = await json(send("POST", "v1/search", keys.personnelRead, { query: "x", kb: "nosuchbase1" }));
    expect(JSON.stringify(hidden).replace("engineering", "NAME")).toBe(JSON.stringify(unknown).replace("nosuchbase1", "NAME"));
    expect(hidden.error.code).toBe("kb_not_found");
  });

  it("lets a writer delete a document from its own base only; the other base keeps its copy", async () => {
    const hr = (await json(get("v1/documents?kb=personnel", keys.admin))).documents as Array<{ id: number; path: string }>;
    const bonus = hr.find((d) => d.path === "bonus-pool.txt")!;
    const handbook = hr.find((d) => d.path === "handbook-hr.txt")!;
    expect((await send("DELETE", `v1/documents/${bonus.id}?kb=personnel`, keys.engineeringWrite)).status).toBe(404);
    expect((await send("DELETE", `v1/documents/${bonus.id}?kb=engineering`, keys.engineeringWrite)).status).toBe(404);
    const r = await send("DELETE", `v1/documents/${handbook.id}?kb=engineering`, keys.engineeringWrite);
    expect(await json(r)).toMatchObject({ deleted: { id: handbook.id, kb: "engineering", paths: ["handbook-eng.txt"], chunksRemoved: 0 } });
    expect(fs.existsSync(path.join(t.inbox, "engineering", "handbook-eng.txt"))).toBe(false);
    const found = await json(send("POST", "v1/search", keys.personnelRead, { query: "first aid kit" }));
    expect(found.results[0]).toMatchObject({ kb: "personnel", source: "handbook-hr.txt" });
  });

  it("limits requests per key: 429 with Retry-After over the budget, allowed again after it, other keys unaffected", async () => {
    const statuses: number[] = [];
    let retryAfter = "";
    for (let i = 0; i < 4; i++) {
      const r = await get("v1/kbs", keys.limited);
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get("retry-after") ?? "";
        expect((await json(r)).error.code).toBe("rate_limited");
      }
    }
    expect(statuses.slice(0, 3).every((s) => s === 200)).toBe(true);
    expect(statuses[3]).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(2);
    expect((await get("v1/kbs", keys.personnelRead)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000 + 100));
    expect((await get("v1/kbs", keys.limited)).status).toBe(200);
  });

  it("lets the openai client pick a base by model, and answers a model the key may not use with a 404", async () => {
    const client = new OpenAI({ baseURL: `${t.url}v1`, apiKey: keys.engineeringWrite, maxRetries: 0 });
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(["alpaca-rag/engineering"]);
    const completion = await client.chat.completions.create({ model: "alpaca-rag/engineering", messages: [{ role: "user", content: "What impeller does the Kestrel pump use?" }] });
    expect(completion.model).toBe("alpaca-rag/engineering");
    const citations = (completion as unknown as { citations: Array<{ kb: string; source: string }> }).citations;
    expect(citations[0]).toMatchObject({ kb: "engineering", source: "pump-design.txt" });
    expect(completion.choices[0].message.content).toMatch(/ceramic impeller/);
    const refused = await client.chat.completions.create({ model: "alpaca-rag/personnel", messages: [{ role: "user", content: "bonus?" }] }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect(refused).toMatchObject({ status: 404, code: "model_not_found" });
    // Text completions pick the base the same way, JSON and streamed.
    const text = await client.completions.create({ model: "alpaca-rag/engineering", prompt: "What impeller does the Kestrel pump use?" });
    expect(text).toMatchObject({ object: "text_completion", model: "alpaca-rag/engineering" });
    expect(text.choices[0].text).toMatch(/ceramic impeller/);
    expect((text as unknown as { citations: Array<{ kb: string }> }).citations[0].kb).toBe("engineering");
    let streamed = "";
    for await (const part of await client.completions.create({ model: "alpaca-rag/engineering", prompt: "What impeller does the Kestrel pump use?", stream: true }))
      streamed += part.choices[0]?.text ?? "";
    expect(streamed).toBe(text.choices[0].text);
    await expect(client.completions.create({ model: "alpaca-rag/personnel", prompt: "bonus?" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const admin = new OpenAI({ baseURL: `${t.url}v1`, apiKey: keys.admin, maxRetries: 0 });
    const hr = await admin.chat.completions.create({ model: "alpaca-rag/personnel", messages: [{ role: "user", content: "How large is the Juniper team bonus pool?" }] });
    expect((hr as unknown as { citations: Array<{ kb: string; source: string }> }).citations[0]).toMatchObject({ kb: "personnel", source: "bonus-pool.txt" });
  });

  it("watches every base's folder: a file dropped in <inbox>/personnel/ is ingested into personnel only", async () => {
    fs.writeFileSync(path.join(t.inbox, "personnel", "roster.txt"), "The night roster puts Odile and Benedikt on the bakery shift.");
    const query = { query: "Odile Benedikt bakery roster" };
    let results: Array<{ kb: string; source: string }> = [];
    for (let i = 0; i < 120 && results.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      results = (await json(send("POST", "v1/search", keys.personnelRead, query))).results;
    }
    expect(results[0]).toMatchObject({ kb: "personnel", source: "roster.txt" });
    expect((await json(send("POST", "v1/search", keys.admin, { ...query, kb: "default" }))).results).toEqual([]);
    expect((await json(get("v1/documents?kb=default", keys.admin))).documents.map((d: { path: string }) => d.path)).not.toContain("personnel/roster.txt");
  }, 60_000);

  it("renames and deletes a base through the API with its folder", async () => {
    // A non-empty folder at the new name is refused before anything moves.
    fs.mkdirSync(path.join(t.inbox, "occupied"));
    fs.writeFileSync(path.join(t.inbox, "occupied", "notes.xyz"), "not a document");
    const refused = await send("PATCH", "v1/kbs/engineering", keys.admin, { name: "occupied" });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.message).toMatch(/folder .*occupied already exists/);
    expect(fs.existsSync(path.join(t.inbox, "engineering", "pump-design.txt"))).toBe(true);
    expect((await send("PATCH", "v1/kbs/engineering", keys.admin, { name: "works" })).status).toBe(200);
    expect(fs.existsSync(path.join(t.inbox, "works", "pump-design.txt"))).toBe(true);
    expect((await send("DELETE", "v1/kbs/works", keys.engineeringAdmin)).status).toBe(404);
    const r = await send("DELETE", "v1/kbs/works", keys.admin);
    expect(await json(r)).toMatchObject({ deleted: { name: "works" } });
    expect(fs.existsSync(path.join(t.inbox, "works"))).toBe(false);
    expect((await json(get("v1/kbs", keys.admin))).kbs.map((k: { name: string }) => k.name)).toEqual(["default", "personnel"]);
    expect((await send("DELETE", "v1/kbs/default", keys.admin)).status).toBe(400);
  });
});
