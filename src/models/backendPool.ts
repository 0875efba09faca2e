// A pool of OpenAI-compatible servers (llama.cpp's llama-server, vLLM, another alpaca-rag) that answer the same
// requests: each request goes to the least busy backend that is up; a backend that fails before it has produced
// anything (refused connection, 5xx) is marked and the request tried on another; one that fails repeatedly is taken
// out and probed (GET {url}/models) until it answers again. Knows nothing of what the requests are.

/** What a backend is doing, as /readyz and /metrics show it. */
export interface BackendStatus {
  url: string;
  up: boolean;
  /** Requests running on it now. */
  inFlight: number;
  /** Requests it completed. */
  served: number;
  /** Failures counted against it (refused, 5xx, broken streams before the first token). */
  failures: number;
  /** The model name it reports on /models, once asked. */
  model: string | null;
  lastError: string | null;
  /** When it was taken out (ISO 8601), while it is out. */
  downSince: string | null;
}

/** A failure of one backend. `retryable`: nothing reached the caller yet, so another backend may take the request. */
export class BackendError extends Error {
  override name = "BackendError";
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The backend is not there at all (connection refused, no such host): out at once, not after maxFailures. */
    readonly unreachable = false,
    /**
     * The connection closed before any answer. Most often a kept-alive connection the backend had just closed as idle,
     * so the same backend is worth one more try on a fresh connection.
     */
    readonly connectionClosed = false,
  ) {
    super(message);
  }
}

/** Every backend of the pool failed or is out: the request cannot be served now (HTTP 503). */
export class NoBackendError extends Error {
  override name = "NoBackendError";
}

export interface BackendPoolOptions {
  /** Base URLs, each ending in /v1 (or whatever path its /models and /chat/completions live under). */
  urls: readonly string[];
  /** The setting the URLs came from, for messages ("generator.url"). */
  setting: string;
  apiKey?: string;
  /** Consecutive failures that take a backend out. Default 2. */
  maxFailures?: number;
  /** How often a backend that is out is probed. Default 2000 ms. */
  probeIntervalMs?: number;
  /** Longest a probe or a /models request may take. Default 3000 ms. */
  probeTimeoutMs?: number;
}

export class Backend {
  up = true;
  inFlight = 0;
  served = 0;
  failures = 0;
  consecutiveFailures = 0;
  lastError: string | null = null;
  downSince: Date | null = null;
  model: string | null = null;
  /** Order of last use, so equally busy backends take turns. */
  lastPicked = 0;

  constructor(readonly url: string) {}

  status(): BackendStatus {
    return {
      url: this.url,
      up: this.up,
      inFlight: this.inFlight,
      served: this.served,
      failures: this.failures,
      model: this.model,
      lastError: this.lastError,
      downSince: this.downSince?.toISOString() ?? null,
    };
  }
}

/** "http://a:8080/v1/" → "http://a:8080/v1"; refuses anything that is not an http(s) URL, naming the setting. */
export function normaliseBaseUrl(url: string, setting: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${setting}: ${JSON.stringify(url)} is not a URL (expected e.g. http://127.0.0.1:8080/v1)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`${setting}: ${url} is not an http(s) URL`);
  return url.replace(/\/+$/, "");
}

export class BackendPool {
  readonly backends: Backend[];
  private picks = 0;
  private readonly probeTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: BackendPoolOptions) {
    if (options.urls.length === 0) throw new Error(`${options.setting}: no URL given`);
    this.backends = [...new Set(options.urls.map((u) => normaliseBaseUrl(u, options.setting)))].map((u) => new Backend(u));
    this.probeTimer = setInterval(() => void this.probeDown(), options.probeIntervalMs ?? 2000);
    this.probeTimer.unref();
  }

  /** Headers every request to a backend carries. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}), ...extra };
  }

  statuses(): BackendStatus[] {
    return this.backends.map((b) => b.status());
  }

  /** The least busy backend that is up and not in `tried`; when none is up, one that is out and not tried (it may be back). */
  private choose(tried: ReadonlySet<Backend>): Backend | null {
    const byLoad = (candidates: Backend[]) =>
      candidates.sort((a, b) => a.inFlight - b.inFlight || a.lastPicked - b.lastPicked)[0] ?? null;
    return byLoad(this.backends.filter((b) => b.up && !tried.has(b))) ?? byLoad(this.backends.filter((b) => !tried.has(b)));
  }

  private succeeded(backend: Backend): void {
    backend.served += 1;
    backend.consecutiveFailures = 0;
    if (!backend.up) this.bringBack(backend);
  }

  private failed(backend: Backend, error: BackendError): void {
    backend.failures += 1;
    backend.consecutiveFailures += 1;
    backend.lastError = error.message;
    if (backend.up && (error.unreachable || backend.consecutiveFailures >= (this.options.maxFailures ?? 2))) {
      backend.up = false;
      backend.downSince = new Date();
    }
  }

  private bringBack(backend: Backend): void {
    backend.up = true;
    backend.downSince = null;
    backend.consecutiveFailures = 0;
  }

  /**
   * Runs `work` on a backend. A retryable BackendError (nothing reached the caller) marks that backend and tries the
   * next (the same one once more first is allowed when it closed the connection before answering); any other error,
   * or a caller's abort, ends the request. Throws NoBackendError when every backend failed.
   */
  async run<T>(work: (backend: Backend) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const tried = new Set<Backend>();
    const triedAgain = new Set<Backend>();
    const reasons: string[] = [];
    for (;;) {
      const backend = this.choose(tried);
      if (!backend) {
        throw new NoBackendError(`${this.options.setting}: no backend could take the request (${reasons.join("; ")})`);
      }
      tried.add(backend);
      backend.lastPicked = ++this.picks;
      backend.inFlight += 1;
      try {
        const result = await work(backend);
        this.succeeded(backend);
        return result;
      } catch (error) {
        if (signal?.aborted) throw error;
        if (error instanceof BackendError) {
          this.failed(backend, error);
          if (error.retryable) {
            reasons.push(error.message);
            if (error.connectionClosed && !triedAgain.has(backend)) {
              triedAgain.add(backend);
              tried.delete(backend);
            }
            continue;
          }
        }
        throw error;
      } finally {
        backend.inFlight -= 1;
      }
    }
  }

  /** The backend's own model name from GET {url}/models (the first one it lists), asked once and remembered. */
  async modelOf(backend: Backend): Promise<string | null> {
    if (backend.model) return backend.model;
    try {
      const res = await fetch(`${backend.url}/models`, { headers: this.headers(), signal: AbortSignal.timeout(this.options.probeTimeoutMs ?? 3000) });
      if (!res.ok) return null;
      const body = (await res.json()) as { data?: Array<{ id?: unknown }> };
      const id = body.data?.[0]?.id;
      backend.model = typeof id === "string" ? id : null;
    } catch {
      return null;
    }
    return backend.model;
  }

  /** Probes every backend that is out; one that answers /models with 200 comes back. */
  async probeDown(): Promise<void> {
    await Promise.all(
      this.backends
        .filter((b) => !b.up && !this.closed)
        .map(async (b) => {
          try {
            const res = await fetch(`${b.url}/models`, { headers: this.headers(), signal: AbortSignal.timeout(this.options.probeTimeoutMs ?? 3000) });
            await res.arrayBuffer().catch(() => {});
            if (res.ok) this.bringBack(b);
          } catch {
            // Still out; the next probe asks again.
          }
        }),
    );
  }

  close(): void {
    this.closed = true;
    clearInterval(this.probeTimer);
  }
}

/** Turns a fetch failure or a bad status before anything was read into a retryable BackendError; 4xx are the request's fault. */
export async function backendResponse(response: Response, what: string): Promise<Response> {
  if (response.ok && response.body) return response;
  const body = await response.text().catch(() => "");
  const message = `${what} answered ${response.status}: ${body.slice(0, 300)}`;
  throw new BackendError(message, response.status >= 500 || response.status === 429 || response.status === 408);
}

/** A connection error (refused, reset, DNS) from fetch, as a retryable BackendError; refused or unknown hosts are out at once. */
export function connectionError(error: unknown, what: string): BackendError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const unreachable = ["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"].includes(cause?.code ?? "");
  const closed = ["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"].includes(cause?.code ?? "");
  return new BackendError(`${what}: ${cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error)}`, true, unreachable, closed);
}
