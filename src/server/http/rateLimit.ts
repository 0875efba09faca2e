// Per-key request budgets (server.rateLimit, or a key's own rateLimit): counted by express-rate-limit (a well-kept
// middleware with a memory store; chosen over hand-written counters) keyed by the caller, so two keys never share a
// budget and, without keys, each client address has its own. Over budget: 429 with Retry-After, in our error shape.
import type { RequestHandler } from "express";
import { ipKeyGenerator, rateLimit, type RateLimitRequestHandler } from "express-rate-limit";
import type { ApiKeySetting, RateLimitSetting } from "../../config/schema.js";
import { callerOf } from "./access.js";
import { HttpError } from "./errors.js";

/** The budget a caller with its own `rateLimit` (or none) is held to: its own when it sets a max, else the server's. */
function budgetOf(own: RateLimitSetting | undefined, global: RateLimitSetting): RateLimitSetting | null {
  const budget = own?.max !== undefined ? own : global;
  return budget.max === undefined ? null : budget;
}

/** A limiter per window length in use (express-rate-limit fixes the window when it is made; the max may vary per key). */
export function rateLimits(global: RateLimitSetting, keys: readonly ApiKeySetting[]): RequestHandler {
  const windows = new Set<number>();
  if (global.max !== undefined) windows.add(global.windowSeconds);
  for (const k of keys) if (typeof k !== "string" && k.rateLimit?.max !== undefined) windows.add(k.rateLimit.windowSeconds);
  if (windows.size === 0) return (_req, _res, next) => next();

  const limiters = new Map<number, RateLimitRequestHandler>();
  for (const windowSeconds of windows)
    limiters.set(
      windowSeconds,
      rateLimit({
        windowMs: windowSeconds * 1000,
        limit: (_req, res) => budgetOf(callerOf(res).rateLimit, global)?.max ?? Number.MAX_SAFE_INTEGER,
        standardHeaders: "draft-7",
        legacyHeaders: false,
        keyGenerator: (req, res) => {
          const id = callerOf(res).id;
          return id.startsWith("ip:") ? `ip:${ipKeyGenerator(req.ip ?? "unknown")}` : id;
        },
        handler: (req, _res, next) => {
          const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
          const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + windowSeconds * 1000) - Date.now()) / 1000));
          next(new HttpError(429, "rate_limited", `too many requests for this API key; try again in ${seconds} s`, { "Retry-After": String(seconds) }));
        },
      }),
    );
  return (req, res, next) => {
    const budget = budgetOf(callerOf(res).rateLimit, global);
    if (!budget) return next();
    limiters.get(budget.windowSeconds)!(req, res, next);
  };
}
