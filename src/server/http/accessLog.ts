// One line per request once its response is done or the client left: time, client, method, path, status, ms. The same
// record goes to any other observer (the metrics).
import type { RequestHandler } from "express";

export interface RequestRecord {
  method: string;
  /** The path, without the query string. */
  path: string;
  /** The route pattern that handled it ("/v1/documents/:id"), or "other" (static files, 404s): a label of few values. */
  route: string;
  /** The response's status; 499 when the client left before any response was sent (nginx's convention). */
  status: number;
  ms: number;
  /** The client left before the response was complete. */
  aborted: boolean;
  remoteAddress: string;
}

export interface AccessLogOptions {
  /** Receives each formatted line (no newline). */
  write: (line: string) => void;
  /** Also receive each record. */
  observers?: Array<(record: RequestRecord) => void>;
}

export function formatAccessLine(r: RequestRecord, at = new Date()): string {
  return `${at.toISOString()} ${r.remoteAddress} ${r.method} ${r.path} ${r.status} ${r.ms.toFixed(1)}ms${r.aborted ? " (client closed)" : ""}`;
}

export function accessLog(options: AccessLogOptions): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const path = req.originalUrl.split("?")[0];
    // Read now: the socket may be gone by the time a client that left is logged.
    const remoteAddress = req.socket.remoteAddress ?? "-";
    res.once("close", () => {
      const aborted = !res.writableFinished;
      const record: RequestRecord = {
        method: req.method,
        path,
        route: req.route?.path ? String(req.route.path) : "other",
        status: aborted && !res.headersSent ? 499 : res.statusCode,
        ms: performance.now() - started,
        aborted,
        remoteAddress,
      };
      options.write(formatAccessLine(record));
      for (const observe of options.observers ?? []) observe(record);
    });
    next();
  };
}
