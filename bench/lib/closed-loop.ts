// Closed-loop load for the concurrency benchmark: N clients, each sending its next request as soon as the last one is
// answered, for a fixed time; every request's time to first token, completion tokens and outcome are kept. Plus a
// minimal Server-Sent Events reader for the streamed answers of both servers.
import { round, summarize } from "./stats.js";

export interface RequestOutcome {
  ok: boolean;
  /** Refused by a full queue (HTTP 503): deliberate shedding, not a failure. */
  shed?: boolean;
  completionTokens: number;
  promptTokens?: number;
  /** Prompt tokens the server took from its cache instead of evaluating. */
  cachedPromptTokens?: number;
  firstTokenMs: number | null;
  totalMs: number;
  error?: string;
}

export interface LoadRow {
  clients: number;
  /** From the first request to the last answer (answers begun before the deadline are waited for). */
  seconds: number;
  answers: number;
  failed: number;
  shed503: number;
  completionTokens: number;
  tokensPerSecond: number;
  answersPerSecond: number;
  firstTokenMs: { p50: number; p95: number } | null;
  latencyMs: { p50: number; p95: number } | null;
  /** Share of prompt tokens taken from a cache (where the side reports it). */
  cachedPromptShare: number | null;
  errors: string[];
}

/** Runs `clients` loops of `send(i)` (i counts requests across clients) for `seconds`. */
export async function closedLoop(clients: number, seconds: number, send: (i: number) => Promise<RequestOutcome>): Promise<LoadRow> {
  const outcomes: RequestOutcome[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const outcome = await send(next++).catch((e: unknown): RequestOutcome => ({ ok: false, completionTokens: 0, firstTokenMs: null, totalMs: 0, error: e instanceof Error ? e.message : String(e) }));
        outcomes.push(outcome);
        // A shed request waits as a polite client would, instead of hammering the refusal path.
        if (outcome.shed) await new Promise((r) => setTimeout(r, 250));
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const ok = outcomes.filter((o) => o.ok);
  const tokens = ok.reduce((n, o) => n + o.completionTokens, 0);
  const firstTokens = ok.flatMap((o) => (o.firstTokenMs === null ? [] : [o.firstTokenMs]));
  const ttft = firstTokens.length > 0 ? summarize(firstTokens) : null;
  const latency = ok.length > 0 ? summarize(ok.map((o) => o.totalMs)) : null;
  const prompt = ok.reduce((n, o) => n + (o.promptTokens ?? 0), 0);
  const cached = ok.reduce((n, o) => n + (o.cachedPromptTokens ?? 0), 0);
  return {
    clients,
    seconds: round(elapsed, 1),
    answers: ok.length,
    failed: outcomes.filter((o) => !o.ok && !o.shed).length,
    shed503: outcomes.filter((o) => o.shed).length,
    completionTokens: tokens,
    tokensPerSecond: round(tokens / elapsed, 2),
    answersPerSecond: round(ok.length / elapsed, 3),
    firstTokenMs: ttft ? { p50: round(ttft.p50Ms, 0), p95: round(ttft.p95Ms, 0) } : null,
    latencyMs: latency ? { p50: round(latency.p50Ms, 0), p95: round(latency.p95Ms, 0) } : null,
    cachedPromptShare: prompt > 0 && ok.some((o) => o.cachedPromptTokens !== undefined) ? round(cached / prompt, 3) : null,
    errors: [...new Set(outcomes.flatMap((o) => (o.error ? [o.error] : [])))].slice(0, 5),
  };
}

export interface SseEvent {
  event: string | null;
  data: string;
}

/** The events of a text/event-stream response body, as they arrive. */
export async function* readSse(response: Response): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
  }
}
