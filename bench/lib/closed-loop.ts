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
  /**
   * The timed window: from the first request to the deadline. Answers still streaming at the deadline are waited for,
   * but only their tokens streamed inside the window count, so a row measures N clients at work, not the drain after,
   * when fewer and fewer are left. A request's tokens are taken as streamed evenly from its first token to its end.
   */
  seconds: number;
  /** Answers finished inside the window. */
  answers: number;
  failed: number;
  shed503: number;
  /** Completion tokens streamed inside the window. */
  completionTokens: number;
  tokensPerSecond: number;
  answersPerSecond: number;
  /** The older measure: every answer begun before the deadline, over the time until the last one ended (drain included). */
  withDrain: { seconds: number; completionTokens: number; tokensPerSecond: number; answersPerSecond: number };
  firstTokenMs: { p50: number; p95: number } | null;
  latencyMs: { p50: number; p95: number } | null;
  /** Share of prompt tokens taken from a cache (where the side reports it). */
  cachedPromptShare: number | null;
  errors: string[];
}

/** Runs `clients` loops of `send(i)` (i counts requests across clients) for `seconds`. */
export async function closedLoop(clients: number, seconds: number, send: (i: number) => Promise<RequestOutcome>): Promise<LoadRow> {
  const outcomes: Array<RequestOutcome & { sentAt: number }> = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const sentAt = performance.now();
        const outcome = await send(next++).catch((e: unknown): RequestOutcome => ({ ok: false, completionTokens: 0, firstTokenMs: null, totalMs: 0, error: e instanceof Error ? e.message : String(e) }));
        outcomes.push({ ...outcome, sentAt });
        // A shed request waits as a polite client would, instead of hammering the refusal path.
        if (outcome.shed) await new Promise((r) => setTimeout(r, 250));
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const window = (deadline - started) / 1000;
  const ok = outcomes.filter((o) => o.ok);
  const tokens = ok.reduce((n, o) => n + o.completionTokens, 0);
  const inWindow = ok.reduce((n, o) => n + tokensBefore(o, deadline), 0);
  const finishedInWindow = ok.filter((o) => o.sentAt + o.totalMs <= deadline).length;
  const firstTokens = ok.flatMap((o) => (o.firstTokenMs === null ? [] : [o.firstTokenMs]));
  const ttft = firstTokens.length > 0 ? summarize(firstTokens) : null;
  const latency = ok.length > 0 ? summarize(ok.map((o) => o.totalMs)) : null;
  const prompt = ok.reduce((n, o) => n + (o.promptTokens ?? 0), 0);
  const cached = ok.reduce((n, o) => n + (o.cachedPromptTokens ?? 0), 0);
  return {
    clients,
    seconds: round(window, 1),
    answers: finishedInWindow,
    failed: outcomes.filter((o) => !o.ok && !o.shed).length,
    shed503: outcomes.filter((o) => o.shed).length,
    completionTokens: Math.round(inWindow),
    tokensPerSecond: round(inWindow / window, 2),
    answersPerSecond: round(finishedInWindow / window, 3),
    withDrain: { seconds: round(elapsed, 1), completionTokens: tokens, tokensPerSecond: round(tokens / elapsed, 2), answersPerSecond: round(ok.length / elapsed, 3) },
    firstTokenMs: ttft ? { p50: round(ttft.p50Ms, 0), p95: round(ttft.p95Ms, 0) } : null,
    latencyMs: latency ? { p50: round(latency.p50Ms, 0), p95: round(latency.p95Ms, 0) } : null,
    cachedPromptShare: prompt > 0 && ok.some((o) => o.cachedPromptTokens !== undefined) ? round(cached / prompt, 3) : null,
    errors: [...new Set(outcomes.flatMap((o) => (o.error ? [o.error] : [])))].slice(0, 5),
  };
}

/** A request's completion tokens streamed before `at`, taking them as spread evenly from its first token to its end. */
function tokensBefore(o: { sentAt: number; firstTokenMs: number | null; totalMs: number; completionTokens: number }, at: number): number {
  const end = o.sentAt + o.totalMs;
  if (end <= at) return o.completionTokens;
  const first = o.sentAt + (o.firstTokenMs ?? o.totalMs);
  if (first >= at) return 0;
  return (o.completionTokens * (at - first)) / (end - first);
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
