// Attacks from web pages, in real Chromium: a page on another origin (another port, localhost vs 127.0.0.1, a made-up
// name) submits hidden forms and fetches against the server; a DNS-rebinding page (a made-up name that resolves to
// 127.0.0.1, through --host-resolver-rules) fetches it as its own origin. Nothing may be stored, ingested or read. And
// the server's own page keeps working from 127.0.0.1 and from localhost.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import { launchChromium } from "./chromium.js";
import { startTestServer, type TestServer } from "./serverFixture.js";

const attackArgs = [
  // Made-up names that resolve to this machine: an attacker's site, and one that "rebinds" after loading.
  "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.test 127.0.0.1",
  // Chromium's own defence against pages reaching local addresses (Private/Local Network Access) would stop some of
  // these requests before they reach us; other browsers and older versions have none, so the server must not need it.
  "--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks",
];

/** What the attacker's page tries, in the page's own script; each outcome lands in window.results. */
function attackPage(target: string): string {
  return `<!doctype html><meta charset="utf-8"><title>cute cats</title>
<iframe name="sink" id="sink"></iframe>
<form id="upload" action="${target}/v1/documents" method="POST" enctype="multipart/form-data" target="sink">
  <input type="file" name="files" id="file">
</form>
<form id="plain-ingest" action="${target}/v1/ingest" method="POST" enctype="text/plain" target="sink">
  <input name='{"x":"' value='"}'>
</form>
<form id="plain-ask" action="${target}/v1/ask" method="POST" enctype="text/plain" target="sink">
  <input name='{"question":"lighthouse?","k":2,"x":"' value='"}'>
</form>
<script>
window.results = {};
const settle = (name, promise) => promise.then(
  async (r) => { window.results[name] = { type: r.type, status: r.status, body: r.type === "opaque" ? null : await r.text() }; },
  (e) => { window.results[name] = { error: String(e && e.name) }; });
window.attack = async () => {
  const dt = new DataTransfer();
  dt.items.add(new File(["Planted by a web page: the lighthouse was built in 1999."], "planted.txt", { type: "text/plain" }));
  document.getElementById("file").files = dt.files;
  const loaded = () => new Promise((resolve) => document.getElementById("sink").addEventListener("load", resolve, { once: true }));
  let wait = loaded(); document.getElementById("upload").submit(); await wait;
  wait = loaded(); document.getElementById("plain-ingest").submit(); await wait;
  wait = loaded(); document.getElementById("plain-ask").submit(); await wait;
  const form = new FormData(); form.append("files", new File(["Planted by fetch."], "planted-fetch.txt", { type: "text/plain" }));
  await Promise.all([
    settle("uploadNoCors", fetch("${target}/v1/documents", { method: "POST", mode: "no-cors", body: form })),
    settle("ingestNoCors", fetch("${target}/v1/ingest", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: "{}" })),
    settle("askNoCors", fetch("${target}/v1/ask", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ question: "lighthouse?" }) })),
    settle("listNoCors", fetch("${target}/v1/documents", { mode: "no-cors" })),
    settle("listCors", fetch("${target}/v1/documents")),
    settle("askCors", fetch("${target}/v1/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question: "lighthouse?" }) })),
    settle("deleteCors", fetch("${target}/v1/documents/1", { method: "DELETE" })),
  ]);
  return window.results;
};
</script>`;
}

/** The attacker's own web server: any path answers the attack page aimed at `?target=`. */
async function startAttackerSite(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const target = new URL(req.url ?? "/", "http://x").searchParams.get("target") ?? "";
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(attackPage(target));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let browser: BrowserContext;
let t: TestServer;
let port: number;
let attacker: { port: number; close(): Promise<void> };

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

async function storedPaths(): Promise<string[]> {
  const store = await openStore(t.settings.store, { vectors: false });
  try {
    return (await store.listFiles({ kbs: ["default"] })).map((f) => f.path).sort();
  } finally {
    await store.close();
  }
}

/** Access-log lines ("METHOD /path STATUS") since `from`. */
function requestsSince(from: number): string[] {
  return t.log.slice(from).map((line) => line.split(" ").slice(2, 5).join(" "));
}

beforeAll(async () => {
  t = await startTestServer({ generator: "none", embedding: "none" });
  port = Number(new URL(t.url).port);
  attacker = await startAttackerSite();
  browser = await launchChromium(attackArgs);
});

afterAll(async () => {
  await browser?.close();
  await attacker?.close();
  await t?.close();
});

describe("a page on another origin", () => {
  const cases = [
    { name: "another port on 127.0.0.1", page: () => `http://127.0.0.1:${attacker.port}/`, target: () => `http://127.0.0.1:${port}` },
    { name: "localhost attacking 127.0.0.1", page: () => `http://localhost:${attacker.port}/`, target: () => `http://127.0.0.1:${port}` },
    { name: "127.0.0.1 attacking localhost", page: () => `http://127.0.0.1:${attacker.port}/`, target: () => `http://localhost:${port}` },
    { name: "a web site's name", page: () => `http://attacker.test:${attacker.port}/`, target: () => `http://127.0.0.1:${port}` },
  ];

  for (const c of cases) {
    it(`cannot store, ingest or read anything: ${c.name}`, async () => {
      // A file dropped in the inbox by hand and not ingested yet: an ingest the attacker started would index it.
      const handDropped = path.join(t.inbox, "not-yet-ingested.txt");
      fs.writeFileSync(handDropped, "Dropped into the inbox by hand; only the user's own ingest should index it.");
      const before = await storedPaths();
      const logFrom = t.log.length;
      const page = await newPage();
      await page.goto(`${c.page()}?target=${encodeURIComponent(c.target())}`);
      const results = (await page.evaluate("window.attack()")) as Record<string, { type?: string; status?: number; body?: string | null; error?: string }>;
      await page.close();

      // The requests did reach the server (so the browser did not stop them for us) and were refused there.
      const seen = requestsSince(logFrom);
      for (const expected of ["POST /v1/documents 403", "POST /v1/ingest 403", "POST /v1/ask 403", "GET /v1/documents 403", "OPTIONS /v1/ask 403"])
        expect(seen, expected).toContain(expected);
      expect(seen.filter((l) => !l.endsWith(" 403")), "only refusals").toEqual([]);
      // Nothing came back that the page could read.
      for (const name of ["uploadNoCors", "ingestNoCors", "askNoCors", "listNoCors"]) expect(results[name], name).toEqual({ type: "opaque", status: 0, body: null });
      for (const name of ["listCors", "askCors", "deleteCors"]) expect(results[name], name).toEqual({ error: "TypeError" });
      // And nothing changed: the store, and the inbox (no planted file, the hand-dropped one still not indexed).
      expect(await storedPaths()).toEqual(before);
      expect(await storedPaths()).not.toContain("not-yet-ingested.txt");
      expect(fs.readdirSync(t.inbox).sort()).toEqual(["lighthouse.txt", "not-yet-ingested.txt", "orchard.md"]);
      fs.rmSync(handDropped);
    });
  }
});

describe("DNS rebinding", () => {
  it("refuses the page and the API under a name that resolves to 127.0.0.1", async () => {
    const page = await newPage();
    const direct = await page.goto(`http://rebind.test:${port}/`);
    expect(direct!.status()).toBe(403);
    expect(await page.textContent("body")).toMatch(/host_not_allowed/);
    expect(await page.textContent("body")).not.toMatch(/Document Q&A/);
    await page.close();
  });

  it("a page loaded from the attacker's name before it rebinds gets nothing from same-origin requests", async () => {
    const page = await newPage();
    const origin = `http://rebind.test:${port}`;
    // The attacker's page as it was first served (from the attacker's own address); every later request goes to
    // the name's new address, 127.0.0.1, where alpaca-rag listens.
    await page.route(`${origin}/cats.html`, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>cats</title>" }));
    await page.goto(`${origin}/cats.html`);
    const logFrom = t.log.length;
    const outcome = (await page.evaluate(`(async () => {
      const list = await fetch("/v1/documents");
      const form = new FormData();
      form.append("files", new File(["Planted through rebinding."], "rebound.txt", { type: "text/plain" }));
      const upload = await fetch("/v1/documents", { method: "POST", body: form });
      const ask = await fetch("/v1/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question: "lighthouse?" }) });
      return { list: [list.status, await list.text()], upload: [upload.status, await upload.text()], ask: [ask.status, await ask.text()] };
    })()`)) as Record<string, [number, string]>;
    await page.close();
    for (const [name, [status, body]] of Object.entries(outcome)) {
      expect(status, name).toBe(403);
      expect(JSON.parse(body).error.code, name).toBe("host_not_allowed");
      expect(body, name).not.toMatch(/lighthouse\.txt|orchard|1871/);
    }
    expect(requestsSince(logFrom)).toEqual(["GET /v1/documents 403", "POST /v1/documents 403", "POST /v1/ask 403"]);
    expect(await storedPaths()).toEqual(["lighthouse.txt", "orchard.md"]);
  });
});

describe("the server's own page", () => {
  for (const host of ["127.0.0.1", "localhost"]) {
    it(`asks, uploads and deletes when opened at ${host}`, async () => {
      const page = await newPage();
      await page.goto(`http://${host}:${port}/`);
      await page.waitForSelector('tr[data-path="lighthouse.txt"]');
      await page.fill("#question", "When was the Gull Point lighthouse built?");
      await page.click("#ask-button");
      await page.waitForSelector("#answer a.cite");
      expect(await page.textContent("#answer")).toMatch(/1871/);

      const name = `window-boxes-${host.replace(/\W/g, "")}.txt`;
      await page.setInputFiles("#upload-input", { name, mimeType: "text/plain", buffer: Buffer.from("Window boxes need drainage holes and a light soil mix.") });
      await page.click("#upload-button");
      await page.waitForSelector(`tr[data-path="${name}"]`);
      expect(await storedPaths()).toContain(name);
      page.once("dialog", (dialog) => void dialog.accept());
      await page.click(`tr[data-path="${name}"] button.delete`);
      await page.waitForSelector(`tr[data-path="${name}"]`, { state: "detached" });
      expect(await storedPaths()).not.toContain(name);
      expect(fs.existsSync(path.join(t.inbox, name))).toBe(false);
      await page.close();
    });
  }
});
