// Keeps the README's Performance section equal to the latest bench/results/summary.md, so the front door never quotes
// figures that no run produced. The section sits between two HTML comments that Markdown does not show.
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "./paths.js";

export const readmeStart = "<!-- performance:start (written by npm run bench; edit bench/run.ts, not this) -->";
export const readmeEnd = "<!-- performance:end -->";

/** Replaces the marked section of README.md with `summary`; false (and nothing written) when the markers are missing. */
export function writeReadmePerformance(summary: string, readmePath = path.join(projectRoot, "README.md")): boolean {
  const readme = fs.readFileSync(readmePath, "utf8");
  const start = readme.indexOf(readmeStart);
  const end = readme.indexOf(readmeEnd);
  if (start < 0 || end < start) return false;
  const next = `${readme.slice(0, start + readmeStart.length)}\n${summary.trim()}\n${readme.slice(end)}`;
  const tmp = `${readmePath}.tmp`;
  fs.writeFileSync(tmp, next);
  fs.renameSync(tmp, readmePath);
  return true;
}
