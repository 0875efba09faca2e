// What keeps web pages the user visits from using the server: the Host check (DNS rebinding), the cross-site check on
// API requests (forms and fetches from other origins), JSON-only bodies on JSON endpoints, and CORS only for origins
// the settings name. Scripts and command-line clients send no Origin or Fetch Metadata and are not affected.
//
// Hand-written rather than a CSRF-token library: a local API whose clients are curl and the openai client cannot carry
// tokens, and the browser itself tells us where a request comes from (Origin, Sec-Fetch-Site), which is what the
// Fetch Metadata guidance recommends checking. CORS itself is the `cors` package.
import cors from "cors";
import type { Request, RequestHandler } from "express";
import { isLoopbackHost } from "./auth.js";
import { HttpError } from "./errors.js";

export interface HostRule {
  /** Bearer keys are configured: then an empty `allowedHosts` accepts any Host (a public bind has no fixed name). */
  keysRequired: boolean;
  /** server.allowedHosts: "name", "name:port" or ".domain" (every subdomain). */
  allowedHosts: readonly string[];
}

/** Splits a Host header into a lower-case name (brackets kept off IPv6) and its port; null when it is malformed. */
export function parseHostHeader(header: string | undefined): { name: string; port: number | null } | null {
  if (!header) return null;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!m) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) return null;
  return { name: m[1].toLowerCase().replace(/^\[(.*)\]$/, "$1"), port };
}

/** "name" matches that name on any port, "name:port" that port only, ".domain" the domain and every subdomain. */
function matchesAllowed(host: { name: string; port: number | null }, entry: string): boolean {
  const wildcard = entry.startsWith(".");
  const allowed = parseHostHeader(wildcard ? entry.slice(1) : entry);
  if (!allowed) return false;
  const nameMatches = wildcard ? host.name === allowed.name || host.name.endsWith(`.${allowed.name}`) : host.name === allowed.name;
  return nameMatches && (allowed.port === null || allowed.port === (host.port ?? 80));
}

/**
 * Whether a request naming `header` as its Host may be served on the socket's `localPort`. Loopback names are always
 * accepted on the server's own port; other names only when listed (any name when keys are required and none is listed).
 */
export function hostAllowed(header: string | undefined, localPort: number, rule: HostRule): boolean {
  const host = parseHostHeader(header);
  if (!host) return false;
  const port = host.port ?? 80;
  if (isLoopbackHost(host.name) && port === localPort) return true;
  if (rule.allowedHosts.some((entry) => matchesAllowed(host, entry))) return true;
  return rule.keysRequired && rule.allowedHosts.length === 0;
}

/** Refuses (403, JSON) every request whose Host header is not one this server answers to. */
export function requireAllowedHost(rule: HostRule): RequestHandler {
  return (req, _res, next) => {
    if (hostAllowed(req.headers.host, req.socket.localPort ?? 0, rule)) return next();
    next(
      new HttpError(
        403,
        "host_not_allowed",
        "this server does not answer to that Host name: open it at localhost or 127.0.0.1, or add the name to server.allowedHosts",
      ),
    );
  };
}

/** Lower-case "scheme://host[:port]" of a URL-ish header, or null when it is absent or not a URL ("null" included). */
function originOf(value: string | undefined): string | null {
  if (!value || value === "null") return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? `${url.protocol}//${url.host}`.toLowerCase() : null;
  } catch {
    return null;
  }
}

export type RequestSource = "script" | "same-origin" | "allowed-origin" | "cross-site";

/**
 * Where a request comes from, as its browser tells it: no Origin, Sec-Fetch-Site or Referer is a script (curl, SDKs);
 * an Origin (or Referer) whose host is the Host the request was sent to is the server's own page (the scheme is not
 * compared, so a TLS proxy in front changes nothing); a listed origin is allowed; anything else, including
 * `Origin: null` (sandboxed frames, file: pages), is cross-site.
 */
export function requestSource(req: Request, allowedOrigins: readonly string[]): RequestSource {
  const rawOrigin = req.get("origin");
  const fetchSite = req.get("sec-fetch-site")?.toLowerCase();
  const referer = req.get("referer");
  const host = (req.get("host") ?? "").toLowerCase();
  const allowed = allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, ""));

  const judge = (origin: string | null): RequestSource => {
    if (origin === null) return "cross-site";
    if (allowed.includes(origin)) return "allowed-origin";
    return new URL(origin).host === host ? "same-origin" : "cross-site";
  };
  if (rawOrigin !== undefined) return judge(originOf(rawOrigin));
  if (fetchSite === "cross-site" || fetchSite === "same-site") return referer ? judge(originOf(referer)) : "cross-site";
  if (fetchSite === "same-origin") return "same-origin";
  if (referer !== undefined) return judge(originOf(referer));
  return "script";
}

export interface CrossSiteRule {
  /** server.allowedOrigins. */
  allowedOrigins: readonly string[];
  /** Keys are configured: a request that carries an Authorization header is judged by the key check instead. */
  keysRequired: boolean;
}

/**
 * Refuses (403) API requests that a page of another origin caused: a hidden form, a no-cors fetch, an image. Browsers
 * cannot attach an Authorization header cross-origin without a CORS preflight we do not grant, so a request carrying
 * one (on a server with keys) is left to the key check.
 */
export function refuseCrossSite(rule: CrossSiteRule): RequestHandler {
  return (req, _res, next) => {
    if (rule.keysRequired && req.get("authorization")) return next();
    if (requestSource(req, rule.allowedOrigins) !== "cross-site") return next();
    next(
      new HttpError(
        403,
        "cross_site_request",
        "requests from another web site are refused: use the server's own page, a client without a browser, or add the page's origin to server.allowedOrigins",
      ),
    );
  };
}

const stateChanging = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * JSON endpoints take JSON only: a state-changing request with a body (or a Content-Type) that is not JSON gets 415,
 * so a plain-text or form post that slipped past every other check cannot start work. `multipartPaths` are exempt.
 */
export function requireJsonBodies(multipartPaths: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (!stateChanging.has(req.method) || multipartPaths.includes(req.path)) return next();
    const type = req.get("content-type");
    const length = Number(req.get("content-length") ?? "0");
    const hasBody = type !== undefined || length > 0 || req.get("transfer-encoding") !== undefined;
    if (!hasBody || req.is(["application/json", "+json"])) return next();
    next(new HttpError(415, "unsupported_media_type", `send the request body as application/json (got ${type ?? "no Content-Type"})`));
  };
}

/**
 * CORS headers, and answers to preflights, only for `allowedOrigins`; for any other origin no CORS header is sent, so
 * the browser keeps the answer from the page and refuses to send non-simple requests at all.
 */
export function corsForAllowedOrigins(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, "")));
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ["GET", "POST", "DELETE"],
    allowedHeaders: ["Authorization", "Content-Type"],
    maxAge: 600,
  });
}
