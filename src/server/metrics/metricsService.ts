// The server's Prometheus metrics, kept by prom-client in a registry of their own (two servers in one process, as in
// the tests, never share counters): requests, latency, the generation queue's depth, tokens generated, refusals, and
// the store's search time (the first thing to grow with the corpus).
import client from "prom-client";
import type { BackendStatus } from "../../models/backendPool.js";
import type { RequestRecord } from "../http/accessLog.js";

export class ServerMetrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Counter({
    name: "alpaca_rag_http_requests_total",
    help: "HTTP requests handled, by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new client.Histogram({
    name: "alpaca_rag_http_request_duration_seconds",
    help: "HTTP request latency in seconds, by method and route (streams: until the last event)",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly queueWaiting = new client.Gauge({
    name: "alpaca_rag_generation_queue_waiting",
    help: "Answer requests waiting for a free context sequence",
    registers: [this.registry],
  });
  private readonly queueRunning = new client.Gauge({
    name: "alpaca_rag_generation_running",
    help: "Answer requests generating now",
    registers: [this.registry],
  });
  private readonly rejected = new client.Counter({
    name: "alpaca_rag_generation_rejected_total",
    help: "Answer requests refused with 503 because the queue was full",
    registers: [this.registry],
  });
  private readonly tokens = new client.Counter({
    name: "alpaca_rag_generated_tokens_total",
    help: "Answer tokens generated (aborted answers count what was generated before the abort)",
    registers: [this.registry],
  });
  private readonly prompts = new client.Counter({
    name: "alpaca_rag_prompt_tokens_total",
    help: "Prompt tokens evaluated for answers",
    registers: [this.registry],
  });

  private readonly storeQueries = new client.Histogram({
    name: "alpaca_rag_store_query_duration_seconds",
    help: "Store search time per search request in seconds, by kind (lexical: BM25; dense: the vector index); PostgreSQL's includes the round trip",
    labelNames: ["kind"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean; backends?: () => Record<string, BackendStatus[] | undefined> } = {}) {
    // Process CPU, memory and event-loop lag, under the usual names.
    if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
    const backends = options.backends;
    if (backends) {
      // Read from the pools at each scrape: a backend's state, load and failures, labelled by pool and URL.
      const perBackend = (name: string, help: string, value: (b: BackendStatus) => number) =>
        new client.Gauge({
          name,
          help,
          labelNames: ["pool", "url"],
          registers: [this.registry],
          collect() {
            this.reset();
            for (const [pool, list] of Object.entries(backends())) for (const b of list ?? []) this.set({ pool, url: b.url }, value(b));
          },
        });
      perBackend("alpaca_rag_backend_up", "1 when a model server of a pool takes requests, 0 while it is out", (b) => (b.up ? 1 : 0));
      perBackend("alpaca_rag_backend_in_flight", "Requests running on a model server", (b) => b.inFlight);
      perBackend("alpaca_rag_backend_served", "Requests a model server completed", (b) => b.served);
      perBackend("alpaca_rag_backend_failures", "Failures counted against a model server (refused, 5xx, broken streams)", (b) => b.failures);
    }
  }

  observeRequest(record: RequestRecord): void {
    this.requests.inc({ method: record.method, route: record.route, status: String(record.status) });
    this.latency.observe({ method: record.method, route: record.route }, record.ms / 1000);
  }

  /** One search's store time (milliseconds), from the retrieval's own timings; a kind that did not run is left out. */
  storeQueried(timings: { lexicalMs: number; denseMs: number }, ran: { lexical: boolean; dense: boolean }): void {
    if (ran.lexical) this.storeQueries.observe({ kind: "lexical" }, timings.lexicalMs / 1000);
    if (ran.dense) this.storeQueries.observe({ kind: "dense" }, timings.denseMs / 1000);
  }

  queueChanged(state: { running: number; waiting: number }): void {
    this.queueRunning.set(state.running);
    this.queueWaiting.set(state.waiting);
  }

  queueRejected(): void {
    this.rejected.inc();
  }

  generated(usage: { promptTokens: number; completionTokens: number }): void {
    this.prompts.inc(usage.promptTokens);
    this.tokens.inc(usage.completionTokens);
  }

  /** The text exposition format and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
