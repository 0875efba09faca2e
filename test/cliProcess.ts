// Runs the real alpaca-rag CLI (through tsx, no build needed) as a child process, for tests of exit codes,
// output streams, locks and crashes.
import { spawn, type ChildProcess } from "node:child_process";
import { projectRoot } from "./helpers.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stderr or stdout has printed a line matching `pattern`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  done: Promise<CliResult>;
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ALPACA_RAG_HF_ENDPOINT: "https://offline.invalid/", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(out) || pattern.test(err)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${pattern}; stderr so far:\n${err}`));
      }, timeoutMs);
      listeners.add(check);
      void done.then(() => {
        if (!(pattern.test(out) || pattern.test(err))) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`process ended before ${pattern}; stderr:\n${err}`));
        }
      });
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, done };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/**
 * Runs `alpaca-rag ingest …` and SIGKILLs it `afterMs` after it starts embedding (at once if it never does), for the
 * crash tests. `running`: the process was still alive when killed; `killed`: the kill is what ended it.
 */
export async function killIngestWhileEmbedding(args: string[], afterMs: number, env: Record<string, string | undefined> = {}): Promise<{ running: boolean; killed: boolean }> {
  const run = startCli(args, env);
  const started = await run.waitFor(/embedding with/, 90_000).then(() => true, () => false);
  if (started) await new Promise((r) => setTimeout(r, afterMs));
  const running = run.child.exitCode === null && run.child.signalCode === null;
  run.child.kill("SIGKILL");
  const result = await run.done;
  return { running, killed: running && result.signal === "SIGKILL" };
}
