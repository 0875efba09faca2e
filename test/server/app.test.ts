// The wired app on a real server: health and readiness, search, metrics in Prometheus text format, the page's files,
// and the access log; endpoints with their own files (ask, openai, documents) are tested there.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SearchResult } from "../../src/server/search/searchService.js";
import { webDir } from "../../src/server/web/webRouter.js";
import { projectRoot } from "../helpers.js";
import { metricValue, postJson, startTestServer, type TestServer } from "./serverFixture.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

describe("health", () => {
  it("GET /healthz says the process is alive; GET /readyz that models and store are ready", async () => {
    const alive = await fetch(`${t.url}healthz`);
    expect(alive.status).toBe(200);
    // The start-up ingest is the one finished so far; the inbox is being watched.
    const ingest = { running: false, trigger: null, filesDone: 0, filesTotal: 0, watching: true, watcher: "here", runs: 1, lastFinishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) };
    expect(await alive.json()).toEqual({ status: "ok", ingest });
    const ready = await fetch(`${t.url}readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { models: true, store: true, accepting: true, backends: true }, ingest });
  });
});

describe("POST /v1/search", () => {
  it("returns ranked chunks with file, page, score and text, without generating", async () => {
    const res = await postJson(`${t.url}v1/search`, { query: "apple trees pruned in winter", k: 2 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SearchResult;
    expect(body.query).toBe("apple trees pruned in winter");
    expect(["hybrid", "lexical", "dense"]).toContain(body.mode);
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.length).toBeLessThanOrEqual(2);
    expect(body.results[0]).toMatchObject({ rank: 1, source: "orchard.md", page: null, paths: ["orchard.md"] });
    expect(body.results[0].text).toMatch(/prun/i);
    const scores = body.results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(0);
  });

  it("validates the query", async () => {
    for (const body of [{}, { query: "" }, { query: "x", k: 0 }, { query: "x", extra: 1 }]) {
      const res = await postJson(`${t.url}v1/search`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe("GET /metrics", () => {
  it("exposes requests, latency, queue depth and tokens in the Prometheus text format", async () => {
    await postJson(`${t.url}v1/ask`, { question: "When was the lighthouse built?" });
    await fetch(`${t.url}healthz`);
    const searched = await postJson(`${t.url}v1/search`, { query: "lighthouse", k: 1 });
    const mode = ((await searched.json()) as { mode: string }).mode;
    const res = await fetch(`${t.url}metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP alpaca_rag_http_requests_total /m);
    expect(text).toMatch(/^# TYPE alpaca_rag_http_request_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE alpaca_rag_generation_queue_waiting gauge$/m);
    expect(metricValue(text, "alpaca_rag_http_requests_total", { method: "POST", route: "/v1/ask", status: "200" })).toBe(1);
    expect(metricValue(text, "alpaca_rag_http_requests_total", { method: "GET", route: "/healthz", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "alpaca_rag_http_request_duration_seconds_count", { method: "POST", route: "/v1/ask" })).toBe(1);
    expect(metricValue(text, "alpaca_rag_generated_tokens_total")).toBeGreaterThan(0);
    expect(metricValue(text, "alpaca_rag_prompt_tokens_total")).toBeGreaterThan(0);
    expect(metricValue(text, "alpaca_rag_generation_queue_waiting")).toBe(0);
    expect(metricValue(text, "alpaca_rag_generation_running")).toBe(0);
    // The store's search time, per kind that ran, for the search above (and any before it in this file).
    expect(text).toMatch(/^# TYPE alpaca_rag_store_query_duration_seconds histogram$/m);
    expect(metricValue(text, "alpaca_rag_store_query_duration_seconds_count", { kind: "lexical" })).toBeGreaterThanOrEqual(mode === "dense" ? 0 : 1);
    expect(metricValue(text, "alpaca_rag_store_query_duration_seconds_count", { kind: "dense" })).toBeGreaterThanOrEqual(mode === "lexical" ? 0 : 1);
  });

  it("labels unmatched paths as one route, so clients cannot grow the label set", async () => {
    for (let i = 0; i < 3; i++) await fetch(`${t.url}v1/random-${i}`);
    const text = await (await fetch(`${t.url}metrics`)).text();
    expect(text).not.toMatch(/random-/);
    expect(metricValue(text, "alpaca_rag_http_requests_total", { method: "GET", route: "other", status: "404" })).toBeGreaterThanOrEqual(3);
  });
});

describe("the page", () => {
  it("is served from the package's web/ folder, which dist/ finds too", async () => {
    expect(webDir).toBe(path.join(projectRoot, "web"));
    // From dist/server/web/webRouter.js the same three steps up lead to the same folder.
    expect(path.resolve(projectRoot, "dist", "server", "web", "..", "..", "..", "web")).toBe(webDir);
    for (const name of ["index.html", "js/main.js", "style.css"]) expect(fs.existsSync(path.join(webDir, name))).toBe(true);
    const page = await fetch(t.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(page.headers.get("content-security-policy")).toMatch(/worker-src 'self'/);
    expect(await page.text()).toMatch(/<script type="module" src="js\/main.js">/);
    const script = await fetch(`${t.url}js/main.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    // pdf.js for the citation preview, served from the pdfjs-dist package (module and worker), and nothing else of it.
    for (const file of ["build/pdf.mjs", "build/pdf.worker.mjs"]) {
      const res = await fetch(`${t.url}vendor/pdfjs/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type"), file).toMatch(/javascript/);
    }
    expect((await fetch(`${t.url}vendor/pdfjs/package.json`)).status).toBe(404);
    expect((await fetch(`${t.url}vendor/pdfjs/build/..%2F..%2Fpdf-parse%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.url}style.css`)).headers.get("content-type")).toMatch(/^text\/css/);
  });
});

describe("the access log", () => {
  it("has one line per request with method, path (no query), status and milliseconds", async () => {
    await fetch(`${t.url}healthz?probe=1`);
    const line = t.log.findLast((l) => l.includes(" GET /healthz "));
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z 127\.0\.0\.1 GET \/healthz 200 \d+\.\dms$/);
  });
});
