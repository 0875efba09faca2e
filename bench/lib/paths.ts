// Paths the benchmark needs, resolved from the project root (not the cwd), so scripts run from anywhere.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root: two levels above bench/lib/. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** ../shared beside the project root (models and data every developer has). */
export const sharedDir = path.resolve(projectRoot, "..", "shared");

export const benchDir = path.join(projectRoot, "bench");

/** A path under ../shared. */
export function sharedPath(...parts: string[]): string {
  return path.join(sharedDir, ...parts);
}
