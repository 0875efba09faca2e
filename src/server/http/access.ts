// Who is calling and what they may touch: each API key (server.apiKeys) is a caller with a role (read, write, admin)
// and the knowledge bases it may use; requests name bases with a `kb` field, checked here. A base the key may not
// see answers exactly as an unknown one (404 naming what was asked), so no key learns another base's name.
import crypto from "node:crypto";
import type { RequestHandler, Response } from "express";
import { z } from "zod";
import type { ApiKeySetting, RateLimitSetting } from "../../config/schema.js";
import { defaultKb, parseKbList, UnknownKbError } from "../../store/kb.js";
import { HttpError } from "./errors.js";

/** A request's `kb` field: one name, a comma-separated string, or a list of names. */
export const kbField = z.union([z.string().max(1000), z.array(z.string().max(200)).max(100)]).optional();

export type Role = "read" | "write" | "admin";
const roleRank: Record<Role, number> = { read: 0, write: 1, admin: 2 };

export interface Caller {
  /** Stable and secret-free: what rate limits count by ("key:<digest prefix>", or "ip:<address>" without keys). */
  id: string;
  role: Role;
  /** The bases it may use; "all": every base, present and future. */
  kbs: ReadonlySet<string> | "all";
  /** Its own budget (server.apiKeys[i].rateLimit), overriding server.rateLimit. */
  rateLimit?: RateLimitSetting;
}

interface KnownKey {
  digest: Buffer;
  caller: Omit<Caller, "id"> & { id: string };
}

function digest(value: string): Buffer {
  return crypto.createHash("sha256").update(value).digest();
}

function knownKeys(entries: readonly ApiKeySetting[]): KnownKey[] {
  return entries.map((entry) => {
    const e = typeof entry === "string" ? { key: entry, role: "admin" as const, kbs: undefined, rateLimit: undefined } : entry;
    const d = digest(e.key);
    return { digest: d, caller: { id: `key:${d.toString("hex").slice(0, 16)}`, role: e.role, kbs: e.kbs ? new Set(e.kbs) : "all", rateLimit: e.rateLimit } };
  });
}

/** True when some key is limited (to bases or below admin): then shared views (metrics, probes) must not tell counts. */
export function keysAreScoped(entries: readonly ApiKeySetting[]): boolean {
  return knownKeys(entries).some((k) => k.caller.kbs !== "all" || k.caller.role !== "admin");
}

/**
 * Requires `Authorization: Bearer <key>` with one of the keys and records the caller (res.locals.caller); with no
 * keys every caller is a full one. Keys are compared as SHA-256 digests with timingSafeEqual, every key each time, so
 * neither their content nor their length nor their position leaks through timing.
 */
export function authenticate(entries: readonly ApiKeySetting[]): RequestHandler {
  const keys = knownKeys(entries);
  return (req, res, next) => {
    if (keys.length === 0) {
      res.locals.caller = { id: `ip:${req.ip ?? "unknown"}`, role: "admin", kbs: "all" } satisfies Caller;
      return next();
    }
    const header = req.get("authorization") ?? "";
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    const unauthorized = (message: string) => next(new HttpError(401, "unauthorized", message, { "WWW-Authenticate": 'Bearer realm="alpaca-rag"' }));
    if (!match) return unauthorized("missing API key: send Authorization: Bearer <key>");
    const given = digest(match[1]);
    let found: KnownKey | null = null;
    for (const key of keys) if (crypto.timingSafeEqual(given, key.digest)) found ??= key;
    if (!found) return unauthorized("invalid API key");
    res.locals.caller = found.caller satisfies Caller;
    next();
  };
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new Error("no caller: authenticate() must run before this route");
  return caller;
}

export function canSee(caller: Caller, kb: string): boolean {
  return caller.kbs === "all" || caller.kbs.has(kb);
}

/** 403 unless the caller's role is at least `role`; `what` says what was refused ("upload documents"). */
export function requireRole(caller: Caller, role: Role, what: string): void {
  if (roleRank[caller.role] < roleRank[role]) throw new HttpError(403, "forbidden", `this API key (role ${caller.role}) may not ${what}`);
}

/** 403 unless the caller sees every base (creating a base, server-wide metrics). */
export function requireAllKbs(caller: Caller, what: string): void {
  if (caller.kbs !== "all") throw new HttpError(403, "forbidden", `this API key is limited to some knowledge bases and may not ${what}`);
}

/** The bases, of those that exist, the caller may see. */
export function visibleKbs(caller: Caller, existing: readonly string[]): string[] {
  return existing.filter((kb) => canSee(caller, kb));
}

/**
 * The bases a request's `kb` field (a name, a comma-separated string or a list) names, each existing and visible to
 * the caller, else UnknownKbError (404) for the first that is not. Absent: the default base when the caller may see
 * it, else every base it sees. `single`: exactly one (uploads, deletes), 400 when several are named or implied.
 */
export function requestKbs(caller: Caller, field: unknown, existing: readonly string[], options: { single?: boolean } = {}): string[] {
  if (field !== undefined && typeof field !== "string" && !(Array.isArray(field) && field.every((v) => typeof v === "string")))
    throw new HttpError(400, "invalid_request", "kb: expected a knowledge base name or a list of names");
  const named = parseKbList(field as string | string[] | undefined);
  let kbs: string[];
  if (named.length > 0) {
    for (const kb of named) if (!existing.includes(kb) || !canSee(caller, kb)) throw new UnknownKbError(kb);
    kbs = named;
  } else if (existing.includes(defaultKb) && canSee(caller, defaultKb)) kbs = [defaultKb];
  else {
    kbs = visibleKbs(caller, existing);
    if (kbs.length === 0) throw new UnknownKbError(defaultKb);
  }
  if (options.single && kbs.length > 1)
    throw new HttpError(400, "invalid_request", named.length > 1 ? "kb: name exactly one knowledge base" : "kb: this API key uses several knowledge bases; name one");
  return kbs;
}
