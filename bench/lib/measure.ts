// Measuring helpers for the benchmark: wall time, peak RSS (polled in-process, or exact per child process),
// running one pipeline per child process, and markdown tables.
import { fork, type Serializable } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { projectRoot } from "./paths.js";

/**
 * A process's parent and the CPU seconds (user + system) it has used so far, from /proc (Linux, 100 clock ticks a
 * second); null when it is gone or there is no /proc.
 */
export function procStat(pid: number): { ppid: number; cpuSeconds: number } | null {
  try {
    // Fields after the command name (which may hold spaces, hence the last ")"): ppid is the 2nd, utime and stime the 12th and 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return null;
  }
}

/** Runs `fn` and returns its value with the wall time in seconds. */
export async function timeIt<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/**
 * Runs `fn` in this process while polling RSS every `intervalMs`. Only an approximation (it misses short peaks and
 * counts whatever else the process holds); prefer `runInChild` when pipelines are compared.
 */
export async function withPeakRss<T>(
  fn: () => Promise<T>,
  intervalMs = 50,
): Promise<{ value: T; seconds: number; peakRssBytes: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  try {
    const { value, seconds } = await timeIt(fn);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, seconds, peakRssBytes: peak };
  } finally {
    clearInterval(timer);
  }
}

/** What a child started by `runInChild` sends back. */
export interface ChildRun<R> {
  result: R;
  /** The child's own peak resident set size (getrusage ru_maxrss), in bytes. */
  maxRssBytes: number;
  /** Wall time seen by the parent, including Node/tsx start-up and module loading. */
  wallSeconds: number;
}

type ChildMessage<R> = { ok: true; result: R; maxRssBytes: number } | { ok: false; error: string };

/**
 * Runs `scriptPath` (a TS module that calls `serveChild`) in a fresh Node process under tsx, sends it `args`
 * over IPC and resolves with its result and its own peak RSS. One process per pipeline keeps their memory apart.
 */
export function runInChild<R>(scriptPath: string, args: unknown, { timeoutMs = 30 * 60_000 } = {}): Promise<ChildRun<R>> {
  const start = process.hrtime.bigint();
  // cwd = project root so that `--import tsx` resolves from the project's node_modules.
  const child = fork(path.resolve(projectRoot, scriptPath), [], {
    cwd: projectRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
      }
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`${scriptPath}: no result after ${timeoutMs} ms`)));
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("message", (raw) => {
      const msg = raw as ChildMessage<R>;
      const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (msg.ok) settle(() => resolve({ result: msg.result, maxRssBytes: msg.maxRssBytes, wallSeconds }));
      else settle(() => reject(new Error(`${scriptPath} failed in its child process:\n${msg.error}`)));
    });
    child.on("error", (err) => settle(() => reject(err)));
    child.on("exit", (code, signal) =>
      settle(() => reject(new Error(`${scriptPath}: child exited (code ${code}, signal ${signal}) without a result`))),
    );
    child.send((args ?? null) as Serializable);
  });
}

/**
 * Makes a module usable by `runInChild`: when the module at `moduleUrl` is the process's entry point and has an IPC
 * channel, waits for the arguments, runs `fn`, sends back its result and the process's peak RSS, then exits.
 * Does nothing when the module is merely imported.
 */
export function serveChild<A, R>(moduleUrl: string, fn: (args: A) => Promise<R>): void {
  const entry = process.argv[1] ? path.resolve(process.argv[1]) : "";
  if (!process.send || entry !== fileURLToPath(moduleUrl)) return;
  process.once("message", (args) => {
    const reply = (msg: ChildMessage<R>) => process.send!(msg, undefined, {}, () => process.exit(msg.ok ? 0 : 1));
    fn(args as A).then(
      (result) => reply({ ok: true, result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
      (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

/** A markdown table; numbers are right-aligned. */
export function formatTable(columns: string[], rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map((c) => String(c)));
  const widths = columns.map((col, i) => Math.max(col.length, 3, ...cells.map((r) => (r[i] ?? "").length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  const line = (parts: string[]) =>
    `| ${parts.map((p, i) => (numeric[i] ? p.padStart(widths[i]) : p.padEnd(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(columns), rule, ...cells.map(line)].join("\n");
}

/** Bytes as MiB with one decimal, for tables. */
export function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
