// Server-Sent Events on an express response: named events with JSON data, data-only events (the OpenAI chunk
// format), and comment heartbeats so idle proxies keep the connection while a request waits in the queue.
import type { Response } from "express";

export interface EventStream {
  /** `event: <name>` (omitted when null) and one `data:` line of JSON (or the raw string given). */
  send(event: string | null, data: unknown): void;
  /** Ends the stream; later sends are ignored. */
  end(): void;
  /** False once the client left or the stream ended. */
  readonly open: boolean;
}

export interface EventStreamOptions {
  /** Milliseconds between heartbeat comments. Default 15000. */
  heartbeatMs?: number;
}

export function openEventStream(res: Response, options: EventStreamOptions = {}): EventStream {
  res.status(200).set({
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    // nginx and similar proxies buffer responses unless told not to.
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  const isOpen = () => !res.writableEnded && !res.destroyed;
  const heartbeat = setInterval(() => {
    if (isOpen()) res.write(": keep-alive\n\n");
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  res.on("close", () => clearInterval(heartbeat));
  return {
    send(event, data) {
      if (!isOpen()) return;
      const payload = typeof data === "string" ? data : JSON.stringify(data);
      // JSON never holds a raw newline, but a raw string might: each line needs its own data: field.
      const lines = payload.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join("\n");
      res.write(`${event ? `event: ${event}\n` : ""}${lines}\n\n`);
    },
    end() {
      clearInterval(heartbeat);
      if (isOpen()) res.end();
    },
    get open() {
      return isOpen();
    },
  };
}
