// LibreOffice's headless converter, for formats no npm library reads well (legacy .doc/.ppt/.xls, .rtf): the bytes go
// into a private temporary folder, `soffice --headless --convert-to` runs there with a private user profile (so
// concurrent conversions and a desktop LibreOffice never share one) under a time limit, and the converted bytes come
// back; the folder is removed whatever happens.
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";

/** How to get LibreOffice on Debian or Ubuntu (the -nogui packages: no desktop libraries needed). */
export const libreOfficeInstallHint =
  "install LibreOffice to read .doc, .ppt, .xls and .rtf files: apt-get install libreoffice-writer-nogui libreoffice-impress-nogui libreoffice-calc-nogui";

/** The default time one conversion may take. */
export const defaultConversionTimeoutMs = 120_000;

const availability = new Map<string, boolean>();

/** Whether `command` (default "soffice", looked up on PATH) runs; answered once per command and process. */
export function libreOfficeAvailable(command = "soffice"): boolean {
  let known = availability.get(command);
  if (known === undefined) {
    const probe = spawnSync(command, ["--version"], { stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 });
    known = probe.status === 0 && /LibreOffice/i.test(probe.stdout?.toString() ?? "");
    availability.set(command, known);
  }
  return known;
}

/** Runs soffice until it exits; kills its whole process group on timeout or abort. Resolves with its stderr. */
function runSoffice(command: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    let timedOut = false;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    signal?.addEventListener("abort", kill, { once: true });
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", kill);
      resolve({ code, stderr, timedOut });
    });
  });
}

/**
 * Converts `bytes` (a file with extension `fromExt`, e.g. "doc") to `toExt` (e.g. "docx") with LibreOffice. Throws
 * DocumentLoadError: "converter-missing" (with how to install it) when soffice is not there, "conversion-failed" when
 * it fails or passes `context.conversionTimeoutMs`.
 */
export async function convertWithLibreOffice(bytes: Buffer, fromExt: string, toExt: string, context: LoadContext): Promise<Buffer> {
  const command = context.soffice ?? "soffice";
  if (!libreOfficeAvailable(command)) throw new DocumentLoadError("converter-missing", { detail: libreOfficeInstallHint });
  if (context.signal?.aborted) throw context.signal.reason;
  const folder = await mkdtemp(path.join(os.tmpdir(), "alpaca-rag-convert-"));
  try {
    const input = path.join(folder, `input.${fromExt}`);
    const outDir = path.join(folder, "out");
    await writeFile(input, bytes);
    const timeoutMs = context.conversionTimeoutMs ?? defaultConversionTimeoutMs;
    const args = [
      "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nofirststartwizard",
      `-env:UserInstallation=${pathToFileURL(path.join(folder, "profile")).href}`,
      "--convert-to", toExt, "--outdir", outDir, input,
    ];
    const run = await runSoffice(command, args, timeoutMs, context.signal);
    if (context.signal?.aborted) throw context.signal.reason;
    if (run.timedOut) throw new DocumentLoadError("conversion-failed", { detail: `no result within ${Math.round(timeoutMs / 1000)} s` });
    try {
      return await readFile(path.join(outDir, `input.${toExt}`));
    } catch {
      const said = run.stderr.trim().split("\n").filter(Boolean).at(-1);
      throw new DocumentLoadError("conversion-failed", {
        detail: `.${fromExt} to .${toExt}${said ? ` (${said})` : run.code ? ` (exit ${run.code})` : ""}; is the file damaged or password protected?`,
      });
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
