// The Host check, the cross-site check, JSON-only bodies, CORS for listed origins only, and no server paths in
// answers, on a real server over loopback with requests written header by header (what a browser or a rebinding page
// would send). The Chromium attacks are in browserAttacks.test.ts.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/config/load.js";
import { hostAllowed, parseHostHeader } from "../../../src/server/http/browserGuard.js";
import { createPathRedactor } from "../../../src/server/http/redact.js";
import { openStore } from "../../../src/store/open.js";
import { projectRoot } from "../../helpers.js";
import { startTestServer, type TestServer } from "../serverFixture.js";

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers (fetch would set Host and Origin itself). */
function send(port: number, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function multipartBody(name: string, content: string): { body: Buffer; type: string } {
  const boundary = "----guard-test-boundary";
  const text = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return { body: Buffer.from(text), type: `multipart/form-data; boundary=${boundary}` };
}

async function storedPaths(t: TestServer): Promise<string[]> {
  const store = await openStore(t.settings.store, { vectors: false });
  try {
    return (await store.listFiles({ kbs: ["default"] })).map((f) => f.path).sort();
  } finally {
    await store.close();
  }
}

/** Every route of the API, with a body that would otherwise be accepted. */
const endpoints: Array<{ method: string; path: string; json?: unknown }> = [
  { method: "GET", path: "/" },
  { method: "GET", path: "/healthz" },
  { method: "GET", path: "/readyz" },
  { method: "GET", path: "/v1/documents" },
  { method: "POST", path: "/v1/search", json: { query: "lighthouse" } },
  { method: "POST", path: "/v1/ask", json: { question: "When was the lighthouse built?" } },
  { method: "GET", path: "/v1/models" },
  { method: "GET", path: "/v1/info" },
  { method: "POST", path: "/v1/chat/completions", json: { messages: [{ role: "user", content: "lighthouse?" }] } },
  { method: "POST", path: "/v1/ingest" },
  { method: "DELETE", path: "/v1/documents/1" },
  { method: "GET", path: "/metrics" },
];

describe("which Host names are served", () => {
  it("parses Host headers and refuses malformed ones", () => {
    expect(parseHostHeader("LocalHost:7860")).toEqual({ name: "localhost", port: 7860 });
    expect(parseHostHeader("[::1]:80")).toEqual({ name: "::1", port: 80 });
    expect(parseHostHeader("example.org")).toEqual({ name: "example.org", port: null });
    for (const bad of [undefined, "", "a b", "user@host", "host:99999", "host/path", "[::1"]) expect(parseHostHeader(bad)).toBeNull();
  });

  it("accepts loopback names on the server's own port, listed names, and anything only when keys are required and nothing is listed", () => {
    const open = { keysRequired: false, allowedHosts: [] };
    for (const ok of ["localhost:7860", "127.0.0.1:7860", "[::1]:7860", "127.1.2.3:7860", "LOCALHOST:7860"]) expect(hostAllowed(ok, 7860, open), ok).toBe(true);
    for (const bad of ["localhost:7861", "localhost", "attacker.example:7860", "127.0.0.1.nip.io:7860", "0.0.0.0:7860", "192.168.1.5:7860", undefined])
      expect(hostAllowed(bad, 7860, open), String(bad)).toBe(false);
    const listed = { keysRequired: false, allowedHosts: ["rag.lan", "box.lan:8443", ".corp.example"] };
    expect(hostAllowed("rag.lan:7860", 7860, listed)).toBe(true);
    expect(hostAllowed("rag.lan", 7860, listed)).toBe(true);
    expect(hostAllowed("box.lan:8443", 7860, listed)).toBe(true);
    expect(hostAllowed("box.lan:7860", 7860, listed)).toBe(false);
    expect(hostAllowed("a.b.corp.example:7860", 7860, listed)).toBe(true);
    expect(hostAllowed("corp.example", 7860, listed)).toBe(true);
    expect(hostAllowed("evilcorp.example", 7860, listed)).toBe(false);
    expect(hostAllowed("anything.example", 7860, { keysRequired: true, allowedHosts: [] })).toBe(true);
    expect(hostAllowed("anything.example", 7860, { keysRequired: true, allowedHosts: ["rag.lan"] })).toBe(false);
    expect(hostAllowed("localhost:7860", 7860, { keysRequired: true, allowedHosts: ["rag.lan"] })).toBe(true);
  });
});

describe("a server on its defaults (loopback, no key)", () => {
  let t: TestServer;
  let port: number;

  beforeAll(async () => {
    t = await startTestServer({ generator: "none", embedding: "none" });
    port = Number(new URL(t.url).port);
  });

  afterAll(async () => {
    await t?.close();
  });

  it("refuses a foreign Host on every endpoint with a JSON 403, and serves localhost, 127.0.0.1 and [::1]", async () => {
    for (const e of endpoints) {
      for (const host of [`attacker.example:${port}`, `attacker.example`, `localhost:${port + 1}`]) {
        const headers: Record<string, string> = { Host: host };
        if (e.json) headers["Content-Type"] = "application/json";
        const res = await send(port, e.method, e.path, headers, e.json ? JSON.stringify(e.json) : undefined);
        expect(res.status, `${e.method} ${e.path} Host ${host}`).toBe(403);
        expect(JSON.parse(res.body).error.code).toBe("host_not_allowed");
        expect(res.body).not.toMatch(/lighthouse/);
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const res = await send(port, "GET", "/v1/documents", { Host: host });
      expect(res.status, host).toBe(200);
      expect(res.body).toMatch(/lighthouse\.txt/);
    }
    expect(await storedPaths(t)).toEqual(["lighthouse.txt", "orchard.md"]);
  });

  it("refuses state-changing requests from other origins whatever their type, and keeps the store as it was", async () => {
    fs.writeFileSync(path.join(t.inbox, "dropped-by-hand.txt"), "A file put in the inbox by hand, not ingested yet, about a lighthouse.");
    const upload = multipartBody("planted.txt", "Planted text: the lighthouse was built in 1999.");
    const attempts: Array<{ name: string; method: string; path: string; headers: Record<string, string>; body?: string | Buffer }> = [];
    const foreign: Array<Record<string, string>> = [
      { Origin: "http://evil.example" },
      { Origin: `http://localhost:${port}` },
      { Origin: `http://127.0.0.1:${port + 1}` },
      { Origin: "null" },
      { "Sec-Fetch-Site": "cross-site" },
      { "Sec-Fetch-Site": "same-site", Referer: `http://localhost:${port + 1}/attack.html` },
      { Referer: "http://evil.example/page.html" },
    ];
    for (const from of foreign) {
      attempts.push({ name: "upload", method: "POST", path: "/v1/documents", headers: { ...from, "Content-Type": upload.type }, body: upload.body });
      attempts.push({ name: "ingest text/plain", method: "POST", path: "/v1/ingest", headers: { ...from, "Content-Type": "text/plain" }, body: "x" });
      attempts.push({ name: "ingest form", method: "POST", path: "/v1/ingest", headers: { ...from, "Content-Type": "application/x-www-form-urlencoded" }, body: "a=b" });
      attempts.push({ name: "ingest json", method: "POST", path: "/v1/ingest", headers: { ...from, "Content-Type": "application/json" }, body: "{}" });
      attempts.push({ name: "delete", method: "DELETE", path: "/v1/documents/1", headers: from });
      attempts.push({ name: "ask", method: "POST", path: "/v1/ask", headers: { ...from, "Content-Type": "text/plain" }, body: JSON.stringify({ question: "lighthouse?" }) });
      attempts.push({ name: "read", method: "GET", path: "/v1/documents", headers: from });
    }
    for (const a of attempts) {
      const res = await send(port, a.method, a.path, a.headers, a.body);
      expect(res.status, `${a.name} ${JSON.stringify(a.headers)}`).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe("cross_site_request");
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    }
    expect(await storedPaths(t)).toEqual(["lighthouse.txt", "orchard.md"]);
    expect(fs.readdirSync(t.inbox).sort()).toEqual(["dropped-by-hand.txt", "lighthouse.txt", "orchard.md"]);
    fs.rmSync(path.join(t.inbox, "dropped-by-hand.txt"));
  });

  it("takes JSON only on JSON endpoints, even from scripts; scripts and the server's own page keep working", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      for (const p of ["/v1/ingest", "/v1/ask", "/v1/search", "/v1/chat/completions"]) {
        const res = await send(port, "POST", p, { "Content-Type": type }, '{"question":"x","query":"x","messages":[]}');
        expect(res.status, `${p} ${type}`).toBe(415);
        expect(JSON.parse(res.body).error.code).toBe("unsupported_media_type");
      }
    }
    // curl -X POST with no body, and with a JSON body; the page's own requests (same Origin as Host).
    expect((await send(port, "POST", "/v1/ingest")).status).toBe(200);
    expect((await send(port, "POST", "/v1/search", { "Content-Type": "application/json" }, '{"query":"lighthouse"}')).status).toBe(200);
    const own = { Origin: `http://127.0.0.1:${port}`, "Sec-Fetch-Site": "same-origin" };
    expect((await send(port, "POST", "/v1/search", { ...own, "Content-Type": "application/json" }, '{"query":"lighthouse"}')).status).toBe(200);
    const viaLocalhost = { Host: `localhost:${port}`, Origin: `http://localhost:${port}` };
    expect((await send(port, "POST", "/v1/search", { ...viaLocalhost, "Content-Type": "application/json; charset=utf-8" }, '{"query":"lighthouse"}')).status).toBe(200);
    const upload = multipartBody("by-script.txt", "A script uploads a note about window boxes.");
    const uploaded = await send(port, "POST", "/v1/documents", { "Content-Type": upload.type }, upload.body);
    expect(uploaded.status).toBe(201);
    expect(await storedPaths(t)).toContain("by-script.txt");
  });

  it("sends no CORS headers to any origin and answers foreign preflights with 403", async () => {
    const preflight = await send(port, "OPTIONS", "/v1/ask", {
      Origin: "http://evil.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type",
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const read = await send(port, "GET", "/v1/documents", { Origin: `http://127.0.0.1:${port}` });
    expect(read.status).toBe(200);
    expect(read.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("shows no server path in ingest summaries or errors: the store and inbox by name", async () => {
    const res = await send(port, "POST", "/v1/ingest");
    const body = JSON.parse(res.body) as { ingest: { store: string; inbox: string } };
    expect(body.ingest.store).toBe("store");
    expect(body.ingest.inbox).toBe("inbox");
    expect(res.body).not.toContain(t.dir);
    const upload = multipartBody("broken.pdf", "%PDF-1.4 not really a pdf");
    const uploaded = await send(port, "POST", "/v1/documents", { "Content-Type": upload.type }, upload.body);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).not.toContain(t.dir);
    expect(uploaded.body).not.toMatch(/"\/(tmp|home|root|work)\//);
  });
});

describe("allowed origins and hosts", () => {
  let t: TestServer;
  let port: number;
  const partner = "http://intranet.example:8443";

  beforeAll(async () => {
    t = await startTestServer({
      generator: "none",
      embedding: "none",
      settings: { "server.allowedOrigins": [partner], "server.allowedHosts": ["rag.lan"] },
    });
    port = Number(new URL(t.url).port);
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers the listed origin's preflight and requests with CORS headers, and nobody else's", async () => {
    const preflight = await send(port, "OPTIONS", "/v1/ask", { Origin: partner, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,authorization" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe(partner);
    expect(preflight.headers["access-control-allow-headers"]).toMatch(/Content-Type/i);
    expect(preflight.headers["access-control-allow-methods"]).toMatch(/POST/);
    const search = await send(port, "POST", "/v1/search", { Origin: partner, "Content-Type": "application/json" }, '{"query":"orchard"}');
    expect(search.status).toBe(200);
    expect(search.headers["access-control-allow-origin"]).toBe(partner);
    const other = await send(port, "POST", "/v1/search", { Origin: "http://intranet.example:8444", "Content-Type": "application/json" }, '{"query":"orchard"}');
    expect(other.status).toBe(403);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("serves a listed host name on top of the loopback ones", async () => {
    expect((await send(port, "GET", "/v1/documents", { Host: `rag.lan:${port}` })).status).toBe(200);
    expect((await send(port, "GET", "/v1/documents", { Host: `other.lan:${port}` })).status).toBe(403);
  });
});

describe("a server with keys", () => {
  let t: TestServer;
  let port: number;
  const key = "guard-test-key-0123456789";

  beforeAll(async () => {
    t = await startTestServer({ generator: "none", embedding: "none", settings: { "server.host": "0.0.0.0", "server.apiKeys": [key] } });
    port = Number(new URL(t.url).port);
  });

  afterAll(async () => {
    await t?.close();
  });

  it("answers any Host name when none is listed, and still refuses cross-site requests without the key", async () => {
    const auth = { Authorization: `Bearer ${key}` };
    expect((await send(port, "GET", "/v1/documents", { ...auth, Host: `rag.public.example:${port}` })).status).toBe(200);
    const upload = multipartBody("planted.txt", "Planted.");
    const res = await send(port, "POST", "/v1/documents", { Origin: "http://evil.example", "Content-Type": upload.type }, upload.body);
    expect(res.status).toBe(403);
    // A key can only come from a client that holds it: then the request is the key check's to judge.
    const withKey = await send(port, "POST", "/v1/search", { ...auth, Origin: "http://tool.example", "Content-Type": "application/json" }, '{"query":"orchard"}');
    expect(withKey.status).toBe(200);
    expect(await storedPaths(t)).toEqual(["lighthouse.txt", "orchard.md"]);
  });
});

describe("settings and redaction", () => {
  it("reads allowed hosts and origins from the environment as comma-separated lists and rejects malformed ones", () => {
    const settings = loadSettings({
      cwd: projectRoot,
      env: { ALPACA_RAG_SERVER_ALLOWED_HOSTS: "rag.lan, box.lan:8443", ALPACA_RAG_SERVER_ALLOWED_ORIGINS: "https://intranet.example" },
    });
    expect(settings.server.allowedHosts).toEqual(["rag.lan", "box.lan:8443"]);
    expect(settings.server.allowedOrigins).toEqual(["https://intranet.example"]);
    expect(() => loadSettings({ cwd: projectRoot, env: { ALPACA_RAG_SERVER_ALLOWED_ORIGINS: "https://intranet.example/path" } })).toThrow(/allowedOrigins/);
    expect(() => loadSettings({ cwd: projectRoot, env: { ALPACA_RAG_SERVER_ALLOWED_HOSTS: "http://rag.lan" } })).toThrow(/allowedHosts/);
  });

  it("turns the store and inbox into their names and any other absolute path into its last part", () => {
    const redact = createPathRedactor(["/srv/data/my-store", "/srv/data/inbox"]);
    expect(redact("/srv/data/my-store is locked: another ingest")).toBe("my-store is locked: another ingest");
    expect(redact("could not be read: EACCES, open '/srv/data/inbox/sub/a.pdf'")).toBe("could not be read: EACCES, open 'inbox/sub/a.pdf'");
    expect(redact("model /opt/models/x.gguf missing")).toBe("model x.gguf missing");
    expect(redact("ratio 1/2 and a/b stay")).toBe("ratio 1/2 and a/b stay");
  });
});
