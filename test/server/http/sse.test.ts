// The SSE writer on a real HTTP response: headers, named and data-only events, a raw string with line breaks split
// into data lines, heartbeat comments, and nothing written after the end.
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { describe, expect, it } from "vitest";
import { openEventStream } from "../../../src/server/http/sse.js";

describe("openEventStream", () => {
  it("frames events, splits multi-line data, sends heartbeats, and ignores sends after end", async () => {
    const app = express();
    app.get("/events", (_req, res) => {
      const stream = openEventStream(res, { heartbeatMs: 20 });
      stream.send("token", { text: "a\nb" });
      stream.send(null, "line one\nline two");
      setTimeout(() => {
        stream.send("done", { ok: true });
        stream.end();
        stream.send("late", {});
        expect(stream.open).toBe(false);
      }, 70);
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
      expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(res.headers.get("x-accel-buffering")).toBe("no");
      const body = await res.text();
      expect(body.startsWith('event: token\ndata: {"text":"a\\nb"}\n\ndata: line one\ndata: line two\n\n')).toBe(true);
      expect(body).toMatch(/\n\n: keep-alive\n\n/);
      expect(body.endsWith('event: done\ndata: {"ok":true}\n\n')).toBe(true);
      expect(body).not.toMatch(/late/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
