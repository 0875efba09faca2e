// Real llama.cpp servers for the pool tests and benchmarks: the llama-server binary that scripts/llama-server.sh builds
// from the llama.cpp source node-llama-cpp ships (cached; CI builds it before the tests), run on loopback.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { projectRoot } from "./paths.js";

let binary: string | null = null;

/** The binary's path, building it first when the cache has none (about 10 minutes on 2 cores). */
export function llamaServerBinary(): string {
  binary ??= execFileSync("bash", [path.join(projectRoot, "scripts", "llama-server.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 40 * 60_000 }).trim();
  return binary;
}

/**
 * A port nothing listens on right now, below Linux's ephemeral range (32768 and up), so a server started later on
 * port 0 (the test server itself) can never be given it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface LlamaServerOptions {
  model: string;
  port?: number;
  /** Serve /v1/embeddings (with this pooling) instead of completions. */
  embeddings?: { pooling: "last" | "mean" | "cls" };
  /** Slots (requests at once). Default 1. */
  parallel?: number;
  /** Context per slot. Default 512. */
  contextPerSlot?: number;
  /** Threads for generation and for prompt batches. Default 1. */
  threads?: number;
}

export interface LlamaServer {
  /** e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  process: ChildProcess;
  /** Kills it with `signal` (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts one llama-server and waits until /health says it is ready. */
export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const port = options.port ?? (await freePort());
  const parallel = options.parallel ?? 1;
  const args = [
    "-m", options.model, "--host", "127.0.0.1", "--port", String(port), "-t", String(options.threads ?? 1), "-tb", String(options.threads ?? 1),
    "-np", String(parallel), "-c", String(parallel * (options.contextPerSlot ?? 512)), "--no-webui", "--no-warmup",
    ...(options.embeddings ? ["--embeddings", "--pooling", options.embeddings.pooling] : []),
  ];
  const child = spawn(llamaServerBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}: ${log}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`llama-server on ${port} not ready within 60 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `${url}/v1`,
    port,
    process: child,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
