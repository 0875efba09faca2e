// Walks the inbox: which files to ingest (by extension), which to report as skipped, and which could not be read.
// Follows symbolic links once (a link loop is reported, never followed forever); hidden entries and Office owner
// files are ignored.
import fs from "node:fs";
import path from "node:path";

export interface ScannedFile {
  /** Path relative to the inbox with '/' separators: the file's key in the store. */
  relativePath: string;
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

export interface ScanResult {
  files: ScannedFile[];
  skipped: string[];
  failed: Array<{ path: string; reason: string }>;
}

/**
 * Names the ingest never reads: hidden entries (dotfiles, and so editors' swap and lock files such as `.notes.txt.swp`
 * and LibreOffice's `.~lock.report.docx#`) and Microsoft Office's owner files (`~$report.docx`), which sit beside an
 * open document with its extension but hold only the name of the person editing it.
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith(".") || name.startsWith("~$");
}

/** `skipTopLevel`: names of folders at the root to leave out (other knowledge bases' folders, see kbFolders.ts). */
export function scanFolder(root: string, extensions: readonly string[], skipTopLevel: ReadonlySet<string> = new Set()): ScanResult {
  const result: ScanResult = { files: [], skipped: [], failed: [] };
  const wanted = new Set(extensions.map((e) => e.toLowerCase()));
  const rootReal = fs.realpathSync(root);
  const visited = new Set<string>([rootReal]);

  const walk = (dir: string, relative: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      result.failed.push({ path: relative || ".", reason: `cannot read folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isIgnoredName(entry.name)) continue;
      if (relative === "" && skipTopLevel.has(entry.name)) continue;
      const abs = path.join(dir, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        result.failed.push({ path: rel, reason: code === "ELOOP" ? "symbolic link loop" : code === "ENOENT" ? "broken symbolic link" : `cannot read (${code})` });
        continue;
      }
      if (stat.isDirectory()) {
        const real = fs.realpathSync(abs);
        if (visited.has(real)) {
          result.failed.push({ path: rel, reason: "symbolic link loop (folder already visited)" });
          continue;
        }
        visited.add(real);
        walk(abs, rel);
      } else if (stat.isFile()) {
        if (!wanted.has(path.extname(entry.name).toLowerCase())) result.skipped.push(rel);
        else result.files.push({ relativePath: rel, absolutePath: abs, size: stat.size, mtimeMs: stat.mtimeMs });
      } else {
        result.skipped.push(rel);
      }
    }
  };
  walk(root, "");
  return result;
}
