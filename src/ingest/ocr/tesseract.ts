// Tesseract as an OcrEngine, through its command-line program (Debian's tesseract-ocr with the chi_sim, chi_tra and
// eng language data): the page goes in on stdin, the text comes back on stdout. A CLI rather than a binding: the
// Node bindings either wrap the same program or ship a WebAssembly build that downloads language data at run time.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { OcrEngine, OcrEngineOptions, OcrPageResult } from "./contract.js";
import { OcrUnavailableError, ocrInstallHints } from "./contract.js";

const execFileAsync = promisify(execFile);

/** Debian package names of Tesseract's language data, for the install hint. */
function languagePackage(code: string): string {
  return `tesseract-ocr-${code.replace(/_/g, "-").toLowerCase()}`;
}

// Tesseract puts spaces between Chinese characters (it segments words); a CJK character, a space, another one: drop it.
const cjk = "\\u3000-\\u303F\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\uFF00-\\uFFEF";
const spaceBetweenCjk = new RegExp(`(?<=[${cjk}]) +(?=[${cjk}])`, "g");
const spaceBesideCjkPunctuation = new RegExp(`(?<=[\\u3000-\\u303F\\uFF00-\\uFFEF]) +| +(?=[\\u3000-\\u303F\\uFF00-\\uFFEF])`, "g");

/** Tesseract's text as lines, with the spaces it puts inside Chinese text removed. */
export function tesseractLines(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.replace(spaceBetweenCjk, "").replace(spaceBesideCjkPunctuation, "").trim())
    .filter((l) => l !== "");
}

/** Checks that the program and every language's data are installed; throws OcrUnavailableError saying what to install. */
export async function createTesseractEngine(options: OcrEngineOptions & { command?: string }): Promise<OcrEngine> {
  const command = options.command || "tesseract";
  let version: string;
  let installed: string[];
  try {
    const { stdout } = await execFileAsync(command, ["--version"]);
    version = stdout.split("\n")[0].trim();
    const list = await execFileAsync(command, ["--list-langs"]);
    installed = list.stdout.split("\n").slice(1).map((l) => l.trim()).filter(Boolean);
  } catch (error) {
    throw new OcrUnavailableError("tesseract", `Tesseract is not installed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${ocrInstallHints.tesseract}`);
  }
  const missing = options.languages.filter((l) => !installed.includes(l));
  if (missing.length > 0) {
    throw new OcrUnavailableError(
      "tesseract",
      `Tesseract lacks the language data ${missing.join(", ")}; install it, e.g. \`sudo apt-get install ${missing.map(languagePackage).join(" ")}\``,
    );
  }
  const languages = options.languages.join("+");
  const threads = Math.max(1, options.threads ?? 1);
  return {
    name: "tesseract",
    variant: `${version} ${languages}`,
    recognise(png: Uint8Array): Promise<OcrPageResult> {
      return new Promise((resolve, reject) => {
        // OpenMP would otherwise start a thread per core in every process of the pool and have them spin.
        const child = spawn(command, ["stdin", "stdout", "-l", languages, "--psm", "3", "-c", "preserve_interword_spaces=1"], {
          env: { ...process.env, OMP_THREAD_LIMIT: String(threads) },
          stdio: ["pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", reject);
        child.on("close", (code) => {
          if (code !== 0) {
            reject(new Error(`tesseract exited with ${code}: ${Buffer.concat(err).toString("utf8").trim().slice(0, 300)}`));
            return;
          }
          resolve({ lines: tesseractLines(Buffer.concat(out).toString("utf8")).map((text) => ({ text })) });
        });
        child.stdin.on("error", () => {}); // a program that dies early closes stdin; its exit code says why
        child.stdin.end(png);
      });
    },
    async dispose() {},
  };
}
