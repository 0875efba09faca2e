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
  /**
   * 200 {status: "ready", checks, ingest, backends?} when questions can be answered; 503 {status: "not_ready", …}
   * otherwise. `backends` (with generator.url or embedding.url): each server's {backend, up, inFlight, served,
   * failures, downSince}, numbered in the order configured; URLs and errors stay on /metrics, which needs a key.
   */
  router.get("/readyz", async (_req, res) => {
    const r = await health.readiness();
    const backends = r.backends
      ? Object.fromEntries(
          Object.entries(r.backends).map(([pool, list]) => [
            pool,
            list.map((b, i) => ({ backend: i + 1, up: b.up, inFlight: b.inFlight, served: b.served, failures: b.failures, downSince: b.downSince })),
          ]),
        )
      : undefined;
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? "ready" : "not_ready", checks: r.checks, ingest: health.ingest(), ...(backends ? { backends } : {}) });
  });
  return router;
}
