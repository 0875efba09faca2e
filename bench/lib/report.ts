// Where every benchmark leaves its results: bench/results/<name>.json (figures and ratios) and <name>.md (the table),
// with a description of the machine, so numbers from different machines are never confused.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchDir } from "./paths.js";

/**
 * bench/results, or the folder in ALPACA_RAG_BENCH_RESULTS (run.ts --quick points it at a temporary folder, so a
 * smoke test never overwrites real results).
 */
export function resultsDir(): string {
  const override = process.env.ALPACA_RAG_BENCH_RESULTS;
  return override ? path.resolve(override) : path.join(benchDir, "results");
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model?.trim() ?? "unknown CPU",
    cores: os.availableParallelism(),
    ramGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function describeMachine(m: MachineInfo = machineInfo()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB, Node ${m.node}`;
}

/** Threads for llama.cpp: `--threads N`, else every core the process may use. */
export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism());
}

/**
 * Writes <name>.json (with name, date and machine added) and <name>.md, and prints the markdown.
 * `ratios` must say in `ratioNote` which way they point; the convention is > 1 means alpaca-rag is better.
 */
export function writeResults(name: string, data: { ratios: Record<string, number | null>; ratioNote: string } & Record<string, unknown>, markdown: string): void {
  const dir = resultsDir();
  fs.mkdirSync(dir, { recursive: true });
  const json = { name, date: new Date().toISOString(), machine: machineInfo(), ...data };
  const jsonPath = path.join(dir, `${name}.json`);
  const mdPath = path.join(dir, `${name}.md`);
  // Written beside and renamed, so an interrupted run never leaves half a file that chart.ts or run.ts would read.
  fs.writeFileSync(`${jsonPath}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
  fs.renameSync(`${jsonPath}.tmp`, jsonPath);
  fs.writeFileSync(`${mdPath}.tmp`, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  fs.renameSync(`${mdPath}.tmp`, mdPath);
  console.log(`\n${markdown}\nwrote ${path.relative(process.cwd(), jsonPath)} and ${path.basename(mdPath)}`);
}

/** Reads a result file written by `writeResults`, or undefined when that benchmark has not run. */
export function readResults<T = Record<string, unknown>>(name: string): T | undefined {
  const file = path.join(resultsDir(), `${name}.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as T) : undefined;
}
