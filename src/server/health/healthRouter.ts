// GET /healthz (the process answers) and GET /readyz (models loaded, store open): for probes, so no key is needed.
import { Router } from "express";
import type { HealthService } from "./healthService.js";

export function healthRouter(health: HealthService): Router {
  const router = Router();
  /** 200 {status: "ok"} while the process serves requests. */
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  /** 200 {status: "ready", checks} when questions can be answered; 503 {status: "not_ready", checks} otherwise. */
  router.get("/readyz", (_req, res) => {
    const r = health.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? "ready" : "not_ready", checks: r.checks });
  });
  return router;
}
