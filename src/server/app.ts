// The one place the HTTP app is wired: middleware in order (access log, security headers, the Host check, CORS, health,
// the page, the cross-site check, auth, JSON-only bodies, body limits), each feature's router over its service, then
// 404 and the JSON error handler. No listening here.
import express, { type Express } from "express";
import type { QaEngine } from "../qa/engine.js";
import { askRouter } from "./ask/askRouter.js";
import { AskService } from "./ask/askService.js";
import { documentsRouter } from "./documents/documentsRouter.js";
import { DocumentsService } from "./documents/documentsService.js";
import { healthRouter } from "./health/healthRouter.js";
import { backendStatuses, HealthService } from "./health/healthService.js";
import { accessLog } from "./http/accessLog.js";
import { authenticate, callerOf, keysAreScoped, requireAllKbs } from "./http/access.js";
import { rateLimits } from "./http/rateLimit.js";
import { kbsRouter } from "./kbs/kbsRouter.js";
import { corsForAllowedOrigins, refuseCrossSite, requireAllowedHost, requireJsonBodies } from "./http/browserGuard.js";
import { errorHandler, notFound } from "./http/errors.js";
import { GenerationQueue } from "./http/generationQueue.js";
import { jsonBody } from "./http/limits.js";
import { createPathRedactor } from "./http/redact.js";
import { infoRouter } from "./info/infoRouter.js";
import { metricsRouter } from "./metrics/metricsRouter.js";
import { ServerMetrics } from "./metrics/metricsService.js";
import { completionsRouter } from "./openai/completionsRouter.js";
import { openaiRouter } from "./openai/openaiRouter.js";
import { OpenAiService } from "./openai/openaiService.js";
import { searchRouter } from "./search/searchRouter.js";
import { SearchService } from "./search/searchService.js";
import { webRouter } from "./web/webRouter.js";

export interface AppDeps {
  /** The loaded models and open store, shared by every request. */
  engine: QaEngine;
  /** Aborts running answers and ingests when the server shuts down. */
  shutdown: AbortSignal;
  /** Receives one access-log line per request. */
  log: (line: string) => void;
  /** Receives unexpected errors (with stacks) and notices. */
  logError: (error: unknown) => void;
  /** Ingest notices; default: none. */
  onNotice?: (message: string) => void;
  /** Collect process metrics (CPU, memory, event loop) too. Default true. */
  processMetrics?: boolean;
}

export interface App {
  app: Express;
  queue: GenerationQueue;
  metrics: ServerMetrics;
  documents: DocumentsService;
}

export function createApp(deps: AppDeps): App {
  const { engine, shutdown } = deps;
  const limits = engine.settings.server;
  const metrics = new ServerMetrics({ processMetrics: deps.processMetrics, backends: () => backendStatuses(engine) });
  const queue = new GenerationQueue({
    running: engine.settings.generator.parallel,
    waiting: limits.queueSize,
    onChange: (state) => metrics.queueChanged(state),
  });
  const ask = new AskService(engine, queue, metrics);
  const documents = new DocumentsService({ engine, shutdown, onNotice: deps.onNotice });
  const timing = { timeoutMs: limits.requestTimeoutMs, shutdown, maxQuestionChars: limits.maxQuestionChars };
  const { settings } = engine;
  const redact = createPathRedactor([settings.store, settings.inbox, settings.modelsDir]);
  const keysRequired = limits.apiKeys.length > 0;
  const api = ["/v1", "/metrics"];

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(accessLog({ write: deps.log, observers: [(r) => metrics.observeRequest(r)] }));
  app.use((_req, res, next) => {
    res.set({ "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" });
    next();
  });
  // Before anything is served: a Host this server does not answer to is a DNS-rebinding page (or a misdirected request).
  app.use(requireAllowedHost({ keysRequired, allowedHosts: limits.allowedHosts }));
  app.use(api, corsForAllowedOrigins(limits.allowedOrigins));
  // Probes and the page itself need no key; the page asks for one when the API answers 401.
  // With keys limited to some bases, the probes (no key) and the metrics (every base's traffic) must not tell counts.
  const scoped = keysAreScoped(limits.apiKeys);
  app.use(healthRouter(new HealthService(engine, shutdown, () => documents.ingestStatus.health(scoped))));
  app.use(webRouter());
  app.use(api, refuseCrossSite({ keysRequired, allowedOrigins: limits.allowedOrigins }));
  app.use(api, authenticate(limits.apiKeys));
  app.use(api, rateLimits(limits.rateLimit, limits.apiKeys));
  if (scoped)
    app.use("/metrics", (_req, res, next) => {
      requireAllKbs(callerOf(res), "read the server's metrics");
      next();
    });
  app.use(requireJsonBodies(["/v1/documents"]));
  app.use(jsonBody(limits.maxBodyBytes));
  app.use(askRouter(ask, timing));
  app.use(searchRouter(new SearchService(engine), { maxQueryChars: limits.maxQuestionChars }));
  const openai = new OpenAiService(engine.generator?.name ?? null);
  app.use(openaiRouter(ask, openai, timing));
  app.use(completionsRouter(ask, openai, timing));
  app.use(kbsRouter(documents, engine.store, settings.inbox));
  app.use(documentsRouter(documents, { maxUploadBytes: limits.maxUploadBytes, maxUploadFiles: limits.maxUploadFiles, redact }));
  app.use(infoRouter(engine, redact));
  app.use(metricsRouter(metrics));
  app.use(notFound);
  app.use(errorHandler({ logError: deps.logError, shedDelayMs: limits.shedDelayMs, redact }));
  return { app, queue, metrics, documents };
}
