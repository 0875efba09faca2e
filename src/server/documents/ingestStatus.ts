// What the server is ingesting, for GET /v1/ingest/status, the health JSON and the page: whether an ingest runs,
// what started it, its progress (from the ingest's own progress callback), and how the last one ended.
import type { IngestProgress, IngestSummary } from "../../ingest/pipeline.js";

/** What started an ingest: the inbox watcher, an upload, POST /v1/ingest, or the server's start. */
export type IngestTrigger = "watch" | "upload" | "request" | "startup";

/** How an ingest ended, without absolute paths (the page and remote clients see it). */
export interface IngestOutcome {
  trigger: IngestTrigger;
  /** The knowledge base ingested. */
  kb: string;
  /** ISO 8601. */
  finishedAt: string;
  seconds: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: number;
  chunks: number;
  /** Files that could not be ingested, relative to the inbox, each with its reason. */
  failed: Array<{ path: string; reason: string }>;
  /** Stopped early (server shutdown); the store is consistent and the next ingest finishes the work. */
  interrupted: boolean;
  /** Why the whole ingest did not run (the store locked by another process, say); null when it ran. */
  error: string | null;
}

/** Example: {running: true, trigger: "watch", filesDone: 3, filesTotal: 10, currentFile: "notes/a.pdf", watching: true, …}. */
export interface IngestStatus {
  running: boolean;
  /** What started the running ingest; null when none runs. */
  trigger: IngestTrigger | null;
  /** The knowledge base being ingested; null when none runs. */
  kb: string | null;
  /** Files looked at so far (unchanged ones included) and in all, in the running ingest; 0 when none runs. */
  filesDone: number;
  filesTotal: number;
  /** The file last finished, relative to the inbox; null before the first or when none runs. */
  currentFile: string | null;
  /** When the running ingest started (ISO 8601); null when none runs. */
  startedAt: string | null;
  /** Whether the inbox watcher is on (`server.watch`, `serve --no-watch`). */
  watching: boolean;
  /** Ingests finished since the server started, the start-up one included: a client that sees it grow reloads its lists. */
  runs: number;
  /** When the last ingest finished (ISO 8601); null before the first. */
  lastFinishedAt: string | null;
  last: IngestOutcome | null;
}

/** The few fields of the status that are safe to show without a key (no file names). */
export type IngestHealth = Pick<IngestStatus, "running" | "trigger" | "filesDone" | "filesTotal" | "watching" | "runs" | "lastFinishedAt">;

/** Which bases a reader of the status may see (a key sees only its own bases' ingests); undefined: every one. */
export type KbVisibility = ((kb: string) => boolean) | undefined;

export class IngestStatusTracker {
  private current: { trigger: IngestTrigger; kb: string; startedAt: string; progress: IngestProgress | null } | null = null;
  /** The last outcome of each base, and the runs of each. */
  private readonly lastByKb = new Map<string, IngestOutcome>();
  private readonly runsByKb = new Map<string, number>();
  /** Set by the server when it starts or stops its inbox watcher. */
  watching = false;

  /** An ingest starts; the caller runs one at a time. */
  begin(trigger: IngestTrigger, kb: string): void {
    this.current = { trigger, kb, startedAt: new Date().toISOString(), progress: null };
  }

  /** The ingest's onProgress callback. */
  readonly progress = (progress: IngestProgress): void => {
    if (this.current) this.current.progress = progress;
  };

  /** The ingest ended with its summary (or failed as a whole with `error`). */
  end(result: { summary: IngestSummary } | { error: unknown }, trigger: IngestTrigger = this.current?.trigger ?? "request"): void {
    const finishedAt = new Date().toISOString();
    const started = this.current ? Date.parse(this.current.startedAt) : Date.now();
    const kb = "summary" in result ? result.summary.kb : (this.current?.kb ?? "default");
    this.current = null;
    this.runsByKb.set(kb, (this.runsByKb.get(kb) ?? 0) + 1);
    if ("summary" in result) {
      const s = result.summary;
      this.lastByKb.set(kb, {
        trigger,
        kb,
        finishedAt,
        seconds: s.seconds,
        added: s.added,
        updated: s.updated,
        unchanged: s.unchanged,
        removed: s.removed,
        skipped: s.skipped,
        chunks: s.chunks,
        failed: s.failed.map((f) => ({ path: f.path, reason: f.reason })),
        interrupted: s.interrupted,
        error: null,
      });
    } else {
      const message = result.error instanceof Error ? result.error.message : String(result.error);
      this.lastByKb.set(kb, {
        trigger,
        kb,
        finishedAt,
        seconds: (Date.now() - started) / 1000,
        added: 0,
        updated: 0,
        unchanged: 0,
        removed: 0,
        skipped: 0,
        chunks: 0,
        failed: [],
        interrupted: false,
        error: message,
      });
    }
  }

  /** Records an ingest that ran elsewhere (the start-up one, before the server listened). */
  record(trigger: IngestTrigger, summary: IngestSummary): void {
    this.end({ summary }, trigger);
  }

  /** The status as a reader who sees the bases `visible` finds it: other bases' ingests do not show at all. */
  snapshot(visible?: KbVisibility): IngestStatus {
    const sees = visible ?? (() => true);
    const c = this.current && sees(this.current.kb) ? this.current : null;
    let last: IngestOutcome | null = null;
    let runs = 0;
    for (const [kb, outcome] of this.lastByKb) {
      if (!sees(kb)) continue;
      runs += this.runsByKb.get(kb) ?? 0;
      if (!last || outcome.finishedAt >= last.finishedAt) last = outcome;
    }
    return {
      running: c !== null,
      trigger: c?.trigger ?? null,
      kb: c?.kb ?? null,
      filesDone: c?.progress?.filesDone ?? 0,
      filesTotal: c?.progress?.filesTotal ?? 0,
      currentFile: c?.progress?.currentFile ?? null,
      startedAt: c?.startedAt ?? null,
      watching: this.watching,
      runs,
      lastFinishedAt: last?.finishedAt ?? null,
      last,
    };
  }

  /**
   * For probes (no key). `scoped`: keys are limited to bases, so a probe must not learn any base's file counts:
   * only whether an ingest runs and whether the inbox is watched.
   */
  health(scoped = false): IngestHealth {
    const { running, trigger, filesDone, filesTotal, watching, runs, lastFinishedAt } = this.snapshot();
    if (scoped) return { running, trigger: null, filesDone: 0, filesTotal: 0, watching, runs: 0, lastFinishedAt: null };
    return { running, trigger, filesDone, filesTotal, watching, runs, lastFinishedAt };
  }
}
