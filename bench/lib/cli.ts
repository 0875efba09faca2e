// Command-line flags of the benchmark scripts: `--name value` pairs and bare `--switch`es, read from process.argv.

/** The value after `--name`, or undefined when the flag is absent. */
export function flag(name: string, argv: readonly string[] = process.argv): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

/** Whether the bare switch `--name` is present. */
export function hasFlag(name: string, argv: readonly string[] = process.argv): boolean {
  return argv.includes(name);
}

/** A positive number flag, or `fallback` when absent. */
export function numberFlag(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const raw = flag(name, argv);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${raw}"`);
  return n;
}

/** A comma-separated list flag (`--sizes 10000,100000`), or `fallback` when absent. */
export function listFlag(name: string, fallback: string[], argv: readonly string[] = process.argv): string[] {
  const raw = flag(name, argv);
  return raw === undefined ? fallback : raw.split(",").map((s) => s.trim()).filter(Boolean);
}
