// GET /metrics: Prometheus text format (scrape it with the API key when keys are set).
import { Router } from "express";
import type { ServerMetrics } from "./metricsService.js";

export function metricsRouter(metrics: ServerMetrics): Router {
  const router = Router();
  /** Every metric of this server in the Prometheus text exposition format. */
  router.get("/metrics", async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.type(contentType).send(body);
  });
  return router;
}
