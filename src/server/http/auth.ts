// API keys: a Bearer token checked in constant time, and the rule that only a loopback server may run without one.
import crypto from "node:crypto";
import net from "node:net";
import type { RequestHandler } from "express";
import { HttpError } from "./errors.js";

export class UnsafeBindingError extends Error {
  override name = "UnsafeBindingError";
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and "localhost": reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (net.isIPv6(h)) return h === "::1" || /^::ffff:127\./.test(h) || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(h);
  return false;
}

/** Refuses to serve on a non-loopback address with no API key: the documents would be open to the network. */
export function assertSafeBinding(host: string, apiKeys: readonly string[]): void {
  if (apiKeys.length === 0 && !isLoopbackHost(host))
    throw new UnsafeBindingError(
      `refusing to listen on ${host} without an API key: set server.apiKeys (or ALPACA_RAG_SERVER_API_KEYS), ` +
        `or bind to 127.0.0.1`,
    );
}

function digest(value: string): Buffer {
  return crypto.createHash("sha256").update(value).digest();
}

/**
 * Requires `Authorization: Bearer <key>` with one of `apiKeys`; no keys, no check. Keys are compared as SHA-256
 * digests with timingSafeEqual, so neither their content nor their length leaks through timing.
 */
export function requireApiKey(apiKeys: readonly string[]): RequestHandler {
  const expected = apiKeys.map(digest);
  return (req, res, next) => {
    if (expected.length === 0) return next();
    const header = req.get("authorization") ?? "";
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    const unauthorized = (message: string) => next(new HttpError(401, "unauthorized", message, { "WWW-Authenticate": 'Bearer realm="alpaca-rag"' }));
    if (!match) return unauthorized("missing API key: send Authorization: Bearer <key>");
    const given = digest(match[1]);
    let matched = -1;
    expected.forEach((key, i) => {
      if (crypto.timingSafeEqual(given, key)) matched = i;
    });
    if (matched < 0) return unauthorized("invalid API key");
    // Which key, by its place in server.apiKeys (never the key itself): the generation queue serves keys in turn.
    res.locals.apiClient = `key ${matched + 1}`;
    next();
  };
}
