// Errors leave as JSON {error: {code, message}} with the right status: known failures keep their meaning, anything
// unexpected is a bare 500 whose stack goes to the log only. Runs the real app over a stand-in engine (no models).
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { QuestionError } from "../../../src/qa/answer.js";
import type { QaEngine } from "../../../src/qa/engine.js";
import { createApp } from "../../../src/server/app.js";
import { errorHandler, HttpError, toHttpError } from "../../../src/server/http/errors.js";
import { QueueFullError } from "../../../src/server/http/generationQueue.js";
import { StoreLockedError } from "../../../src/store/lock.js";
import { tempDir } from "../../helpers.js";
import { testServerSettings } from "../serverFixture.js";

describe("toHttpError", () => {
  it("maps known failures to their status and code", () => {
    const cases: Array<[unknown, number, string]> = [
      [new HttpError(418, "teapot", "short and stout"), 418, "teapot"],
      [z.object({ a: z.string() }).safeParse({}).error, 400, "invalid_request"],
      [new QuestionError("question: empty"), 400, "invalid_request"],
      [new QueueFullError(3), 503, "overloaded"],
      [new StoreLockedError("locked"), 409, "store_locked"],
      [Object.assign(new Error("too big"), { status: 413, type: "entity.too.large" }), 413, "body_too_large"],
      [Object.assign(new Error("bad"), { status: 400, type: "entity.parse.failed" }), 400, "invalid_json"],
      [new TypeError("Cannot read properties of undefined"), 500, "internal_error"],
      ["a thrown string", 500, "internal_error"],
    ];
    for (const [error, status, code] of cases) {
      const http = toHttpError(error);
      expect([http.status, http.code]).toEqual([status, code]);
    }
    expect(toHttpError(new QueueFullError(3)).headers).toEqual({ "Retry-After": "3" });
    expect(toHttpError(new TypeError("secret detail")).message).toBe("internal server error");
  });
});

describe("the app over a failing engine", () => {
  const logged: unknown[] = [];
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    const dir = tempDir();
    const settings = testServerSettings(dir);
    const engine = {
      settings: { ...settings, inbox: path.join(dir, "inbox") },
      store: {
        listKbs: async () => [{ name: "default", createdAt: "then", files: 0, documents: 0, chunks: 0 }],
        kbNames: async () => ["default"],
        listFiles: () => {
          throw new Error("disk on fire at /secret/path");
        },
        count: () => 0,
      },
      embedder: null,
      generator: null,
    } as unknown as QaEngine;
    const app = createApp({ engine, shutdown: new AbortController().signal, log: () => {}, logError: (e) => logged.push(e), processMetrics: false });
    server = http.createServer(app.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it("answers an unexpected error with a bare 500 and logs the stack", async () => {
    const res = await fetch(`${url}v1/documents`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: "internal server error" } });
    expect(text).not.toMatch(/fire|secret|at /);
    expect(logged).toHaveLength(1);
    expect((logged[0] as Error).stack).toMatch(/disk on fire/);
  });

  it("answers unknown routes and methods with a JSON 404", async () => {
    for (const [method, path] of [["GET", "v1/nothing"], ["PUT", "v1/ask"], ["GET", "v1/ask"], ["POST", "healthz"], ["GET", "nothing.html"]]) {
      const res = await fetch(`${url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});

describe("a refused request (503 overloaded)", () => {
  /** Times one request to an app whose only route finds the queue full, with the error handler holding 503s `shedDelayMs`. */
  async function timeRefusal(shedDelayMs: number): Promise<{ ms: number; status: number; retryAfter: string | null; body: unknown }> {
    const app = express();
    app.post("/v1/ask", () => {
      throw new QueueFullError(2);
    });
    app.use(errorHandler({ logError: () => {}, shedDelayMs }));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ask`, { method: "POST" });
      const body = await res.json();
      return { ms: performance.now() - started, status: res.status, retryAfter: res.headers.get("retry-after"), body };
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("is held server.shedDelayMs before the reply, and answered at once with 0", async () => {
    const held = await timeRefusal(300);
    expect(held).toMatchObject({ status: 503, retryAfter: "2", body: { error: { code: "overloaded" } } });
    expect(held.ms).toBeGreaterThanOrEqual(290);
    const immediate = await timeRefusal(0);
    expect(immediate).toMatchObject({ status: 503, retryAfter: "2", body: { error: { code: "overloaded" } } });
    expect(immediate.ms).toBeLessThan(200);
  });
});
