// The bounded line in front of the generator: `running` requests generate at once (one per context sequence), up to
// `waiting` more wait their turn, and a request that finds the line full is refused at once with a hint of when to
// retry, so load can never pile up without bound. Waiting requests are served round-robin across clients (API keys):
// one key sending many requests cannot make another key's single request wait behind all of them. With `waiting:
// "auto"` the line holds what the measured throughput (running places / smoothed seconds per answer) answers within
// the target wait, and never fewer than one more round of `running`.
export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(
    /** Seconds after which a retry may find room. */
    readonly retryAfterSeconds: number,
  ) {
    super("the server is busy answering other questions; retry later");
  }
}

export interface GenerationQueueOptions {
  /** Requests that run at once; the generator's context sequences (generator.parallel). */
  running: number;
  /** Requests that may wait for a running place (server.queueSize), or "auto": sized from measured throughput. */
  waiting: number | "auto";
  /** With waiting "auto": the longest a request should wait for its turn, in seconds. Default 10. */
  targetWaitSeconds?: number;
  /** Called whenever the counts change (for the queue-depth gauges). */
  onChange?: (state: { running: number; waiting: number }) => void;
}

/** One request's place in line, from `enter()` until `release()`. */
export interface QueueTicket {
  /** Resolves when the request may run; rejects with the signal's reason if it aborts first. */
  turn(signal?: AbortSignal): Promise<void>;
  /** Gives the place (waiting or running) back; safe to call more than once. */
  release(): void;
}

export class GenerationQueue {
  private runningCount = 0;
  private waitingCount = 0;
  /** Waiting requests per client, each in arrival order. */
  private readonly lines = new Map<string, Array<() => void>>();
  /** Clients with waiting requests, in the order they are served next (round-robin). */
  private readonly rotation: string[] = [];
  private readonly idleWaiters: Array<() => void> = [];
  /** Smoothed seconds a run takes, for Retry-After. */
  private averageRunSeconds = 5;

  constructor(private readonly options: GenerationQueueOptions) {
    if (options.running < 1) throw new Error("GenerationQueue: running must be at least 1");
  }

  get running(): number {
    return this.runningCount;
  }

  get waiting(): number {
    return this.waitingCount;
  }

  private changed(): void {
    this.options.onChange?.({ running: this.runningCount, waiting: this.waitingCount });
    if (this.runningCount === 0 && this.waitingCount === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Requests that may wait now: the configured number, or what the measured throughput answers within the target wait. */
  get waitingCapacity(): number {
    const { waiting, running, targetWaitSeconds = 10 } = this.options;
    if (waiting !== "auto") return waiting;
    const answersPerSecond = running / this.averageRunSeconds;
    return Math.min(10_000, Math.max(running, Math.ceil(answersPerSecond * targetWaitSeconds)));
  }

  /** Seconds until a place may free up: the runs ahead of a newcomer, spread over the running places. */
  retryAfterSeconds(): number {
    const ahead = this.waitingCount + 1;
    return Math.min(600, Math.max(1, Math.ceil((this.averageRunSeconds * ahead) / this.options.running)));
  }

  /**
   * Takes a place in line for `client` (an API key's label; "" when keys are off), or throws QueueFullError at once
   * when every running and waiting place is taken.
   */
  enter(client = ""): QueueTicket {
    if (this.runningCount + this.waitingCount >= this.options.running + this.waitingCapacity) throw new QueueFullError(this.retryAfterSeconds());
    this.waitingCount += 1;
    this.changed();
    let state: "waiting" | "running" | "released" = "waiting";
    let startedAt = 0;
    let grant: (() => void) | null = null;

    const start = () => {
      state = "running";
      this.waitingCount -= 1;
      this.runningCount += 1;
      startedAt = performance.now();
      this.changed();
    };

    return {
      turn: (signal?: AbortSignal) => {
        if (state === "running") return Promise.resolve();
        if (state === "released") return Promise.reject(new Error("queue ticket already released"));
        if (signal?.aborted) return Promise.reject(signal.reason);
        if (this.runningCount < this.options.running && this.rotation.length === 0) {
          start();
          return Promise.resolve();
        }
        return new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            this.removeFromLine(client, grant);
            grant = null;
            reject(signal!.reason);
          };
          grant = () => {
            signal?.removeEventListener("abort", onAbort);
            grant = null;
            start();
            resolve();
          };
          signal?.addEventListener("abort", onAbort, { once: true });
          this.addToLine(client, grant);
        });
      },
      release: () => {
        if (state === "released") return;
        if (state === "running") {
          this.runningCount -= 1;
          const seconds = (performance.now() - startedAt) / 1000;
          this.averageRunSeconds = 0.8 * this.averageRunSeconds + 0.2 * seconds;
        } else {
          this.waitingCount -= 1;
          this.removeFromLine(client, grant);
        }
        state = "released";
        this.next();
        this.changed();
      },
    };
  }

  private addToLine(client: string, grant: () => void): void {
    const line = this.lines.get(client);
    if (line) line.push(grant);
    else {
      this.lines.set(client, [grant]);
      this.rotation.push(client);
    }
  }

  private removeFromLine(client: string, grant: (() => void) | null): void {
    if (!grant) return;
    const line = this.lines.get(client);
    const i = line?.indexOf(grant) ?? -1;
    if (!line || i < 0) return;
    line.splice(i, 1);
    if (line.length === 0) {
      this.lines.delete(client);
      this.rotation.splice(this.rotation.indexOf(client), 1);
    }
  }

  /** Grants free running places: the first waiting request of the next client in the rotation, which then goes last. */
  private next(): void {
    while (this.runningCount < this.options.running && this.rotation.length > 0) {
      const client = this.rotation.shift()!;
      const line = this.lines.get(client)!;
      const grant = line.shift()!;
      if (line.length > 0) this.rotation.push(client);
      else this.lines.delete(client);
      grant();
    }
  }

  /** Resolves when nothing runs or waits (for a clean shutdown). */
  idle(): Promise<void> {
    if (this.runningCount === 0 && this.waitingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
