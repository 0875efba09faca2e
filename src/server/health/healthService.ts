// Liveness and readiness: alive is answering at all; ready is the models loaded and the store answering a query.
// Both also say whether an ingest is running (no file names: probes need no key).
import type { BackendStatus } from "../../models/backendPool.js";
import type { QaEngine } from "../../qa/engine.js";
import type { IngestHealth } from "../documents/ingestStatus.js";

export interface Readiness {
  ready: boolean;
  /** `backends`: every pool of model servers has at least one up (true when there is none). */
  checks: { models: boolean; store: boolean; accepting: boolean; backends: boolean };
  /** The model servers behind generator.url and embedding.url, when set: each one's state. */
  backends?: { generator?: BackendStatus[]; embedding?: BackendStatus[] };
}

export class HealthService {
  constructor(
    private readonly engine: QaEngine,
    /** Aborts when the server starts shutting down: no longer ready. */
    private readonly shutdown: AbortSignal,
    /** What is being ingested; absent: the health JSON has no `ingest` field. */
    private readonly ingestHealth?: () => IngestHealth,
  ) {}

  /** {running, trigger, filesDone, filesTotal, watching, runs, lastFinishedAt}, or undefined. */
  ingest(): IngestHealth | undefined {
    return this.ingestHealth?.();
  }

  async readiness(): Promise<Readiness> {
    let store = false;
    try {
      await this.engine.store.count("documents");
      store = true;
    } catch {
      store = false;
    }
    // openEngine returns only once every configured model is loaded; a generator is optional (extractive mode).
    const models = this.engine.embedder !== undefined && this.engine.generator !== undefined;
    const accepting = !this.shutdown.aborted;
    const pools = backendStatuses(this.engine);
    const backends = Object.values(pools).every((list) => list.some((b) => b.up));
    return {
      ready: store && models && accepting && backends,
      checks: { models, store, accepting, backends },
      ...(Object.keys(pools).length ? { backends: pools } : {}),
    };
  }
}

/** The state of each pool of model servers the engine uses (none for local models). */
export function backendStatuses(engine: QaEngine): { generator?: BackendStatus[]; embedding?: BackendStatus[] } {
  const generator = engine.generator?.backends?.();
  const embedding = engine.embedder?.backends?.();
  return { ...(generator ? { generator } : {}), ...(embedding ? { embedding } : {}) };
}
