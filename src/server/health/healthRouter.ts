// GET /healthz (the process answers) and GET /readyz (models loaded, store open): for probes, so no key is needed.
// Each also carries `ingest`: whether an ingest runs, what started it, how far it is, and whether the inbox is watched.
import { Router } from "express";
import type { HealthService } from "./healthService.js";

export function healthRouter(health: HealthService): Router {
  const router = Router();
  /** 200 {status: "ok", ingest} while the process serves requests. */
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok", ingest: health.ingest() });
  });
  /** 200 {status: "ready", checks, ingest} when questions can be answered; 503 {status: "not_ready", checks, ingest} otherwise. */
  router.get("/readyz", (_req, res) => {
    const r = health.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? "ready" : "not_ready", checks: r.checks, ingest: health.ingest() });
  });
  return router;
}
