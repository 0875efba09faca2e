// Names for uploaded files: whatever a client calls a file, it lands directly in the inbox under a plain name of its
// own (no folders, no hidden or reserved names), and never on top of a file already there.
import fs from "node:fs";
import path from "node:path";

/** Longest name we keep, in UTF-8 bytes (file systems allow 255). */
const maxNameBytes = 180;

/** Windows device names, refused there in any case and with any extension. */
const reservedNames = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function truncateBytes(text: string, maxBytes: number): string {
  let out = "";
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * A safe file name from a client's: the last segment after any `/` or `\`, without control characters, characters
 * Windows forbids, leading dots and `~$` (hidden and Office owner files are not ingested) or trailing dots and spaces; "upload" if nothing is
 * left. The extension is kept (lower case) so the loader still knows the format.
 */
export function safeFileName(original: string): string {
  const last = original.normalize("NFC").split(/[\\/]/).pop() ?? "";
  const cleaned = last
    .replace(/[\p{Cc}\p{Cf}]/gu, "")
    .replace(/[<>:"|?*]/g, "_")
    .replace(/\s+/g, " ");
  const ext = path.extname(cleaned).toLowerCase().replace(/[^.a-z0-9]/g, "");
  let stem = cleaned.slice(0, cleaned.length - path.extname(cleaned).length);
  stem = stem.replace(/^(?:[\s.]|~\$)+/, "").replace(/[\s.]+$/, "");
  if (!stem || reservedNames.test(stem)) stem = stem ? `_${stem}` : "upload";
  return truncateBytes(stem, maxNameBytes - Buffer.byteLength(ext)) + ext;
}

/** "notes.txt", "notes-2.txt", "notes-3.txt", … */
export function numberedName(name: string, n: number): string {
  if (n <= 1) return name;
  const ext = path.extname(name);
  return `${name.slice(0, name.length - ext.length)}-${n}${ext}`;
}

/**
 * Moves a staged file into `dir` under `name`, or the first numbered variant that is free. A hard link fails when
 * the name exists, so two uploads of one name at once can never overwrite each other; the staged file is removed.
 * Returns the name used.
 */
export function placeFile(stagedPath: string, dir: string, name: string): string {
  for (let n = 1; n < 10_000; n++) {
    const candidate = numberedName(name, n);
    const target = path.resolve(dir, candidate);
    // Belt and braces: the name has no separators, but never write outside `dir` whatever it holds.
    if (path.dirname(target) !== path.resolve(dir)) throw new Error(`unsafe upload name ${JSON.stringify(candidate)}`);
    try {
      fs.linkSync(stagedPath, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "EXDEV" && code !== "ENOTSUP") throw e;
      // File systems without hard links: an exclusive copy refuses an existing name too.
      try {
        fs.copyFileSync(stagedPath, target, fs.constants.COPYFILE_EXCL);
      } catch (copyError) {
        if ((copyError as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw copyError;
      }
    }
    fs.rmSync(stagedPath, { force: true });
    return candidate;
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}
