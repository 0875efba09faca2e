// Legacy .xls workbooks (BIFF, still common in Chinese offices): converted to .xlsx by LibreOffice's headless
// converter when it is installed, then read as any .xlsx (formulas keep their cached values: the converter does not
// recalculate on load by default). Without LibreOffice the file fails with a reason that says how to install it.
// Conversions run one at a time in one private LibreOffice profile, so a user's own LibreOffice is never touched.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { LoadedDocument } from "../types.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { loadXlsxDocument } from "./xlsx.js";

/** How long one conversion may take before it is abandoned (LibreOffice's first start builds its profile). */
const conversionTimeoutMs = 180_000;
const installHint = "legacy .xls files need LibreOffice to convert them: install it (Debian/Ubuntu: apt-get install libreoffice-calc-nogui) and ingest again";

/** The LibreOffice executable on PATH (`soffice`, or `libreoffice`), or null. */
export function findSoffice(): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    for (const name of ["soffice", "libreoffice"]) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

let queue: Promise<unknown> = Promise.resolve();
let profileDir: string | null = null;

/** Converts `input` to .xlsx in `outDir` with the private profile; resolves with the new file's path. */
function convert(soffice: string, input: string, outDir: string, signal?: AbortSignal): Promise<string> {
  profileDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-soffice-"));
  const args = ["--headless", "--norestore", "--nolockcheck", `-env:UserInstallation=${pathToFileURL(profileDir).href}`, "--convert-to", "xlsx", "--outdir", outDir, input];
  return new Promise((resolve, reject) => {
    execFile(soffice, args, { timeout: conversionTimeoutMs, signal, maxBuffer: 1 << 20 }, (error, _stdout, stderr) => {
      const output = path.join(outDir, `${path.basename(input, path.extname(input))}.xlsx`);
      if (fs.existsSync(output)) resolve(output);
      else if (signal?.aborted) reject(signal.reason);
      else
        reject(
          new DocumentLoadError("corrupt", {
            detail: `LibreOffice could not convert it (corrupt or password protected?)${error?.killed ? `: no result after ${conversionTimeoutMs / 1000} s` : stderr.trim() ? `: ${stderr.trim().split("\n").pop()}` : ""}`,
            cause: error ?? undefined,
          }),
        );
    });
  });
}

/** An .xls file's bytes as a LoadedDocument (kind "xls"), through LibreOffice; an .xlsx saved as .xls is read directly. */
export async function loadXlsDocument(bytes: Buffer, context: LoadContext): Promise<LoadedDocument> {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  if (bytes.subarray(0, 2).toString("latin1") === "PK") return loadXlsxDocument(bytes, context, "xls");
  const soffice = findSoffice();
  if (!soffice) throw new DocumentLoadError("unsupported-type", { detail: installHint });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-rag-xls-"));
  try {
    const input = path.join(work, "input.xls");
    fs.writeFileSync(input, bytes);
    const outDir = path.join(work, "out");
    fs.mkdirSync(outDir);
    // One LibreOffice at a time: two instances cannot share a profile, and each takes a core and hundreds of MB.
    const converted = queue.then(() => convert(soffice, input, outDir, context.signal));
    queue = converted.catch(() => undefined);
    return await loadXlsxDocument(fs.readFileSync(await converted), context, "xls");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
