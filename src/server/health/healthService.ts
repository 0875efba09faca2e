// Liveness and readiness: alive is answering at all; ready is the models loaded and the store answering a query.
import type { QaEngine } from "../../qa/engine.js";

export interface Readiness {
  ready: boolean;
  checks: { models: boolean; store: boolean; accepting: boolean };
}

export class HealthService {
  constructor(
    private readonly engine: QaEngine,
    /** Aborts when the server starts shutting down: no longer ready. */
    private readonly shutdown: AbortSignal,
  ) {}

  readiness(): Readiness {
    let store = false;
    try {
      this.engine.store.count("documents");
      store = true;
    } catch {
      store = false;
    }
    // openEngine returns only once every configured model is loaded; a generator is optional (extractive mode).
    const models = this.engine.embedder !== undefined && this.engine.generator !== undefined;
    const accepting = !this.shutdown.aborted;
    return { ready: store && models && accepting, checks: { models, store, accepting } };
  }
}
