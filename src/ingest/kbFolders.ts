// Where each knowledge base's files live in the inbox: the default base keeps today's layout (the inbox root), base
// NAME has <inbox>/NAME/. The default base's ingest therefore leaves out top-level folders named after other bases,
// and a new base is refused a name whose folder already holds the default base's files.
import fs from "node:fs";
import path from "node:path";
import { defaultKb, KbNameError } from "../store/kb.js";

/** The folder of base `kb` under `inbox`. */
export function kbFolder(inbox: string, kb: string): string {
  return kb === defaultKb ? path.resolve(inbox) : path.resolve(inbox, kb);
}

/** The top-level inbox folders the default base must not read: those of the other bases. */
export function otherKbFolders(kb: string, kbNames: readonly string[]): Set<string> {
  return kb === defaultKb ? new Set(kbNames.filter((n) => n !== defaultKb)) : new Set();
}

/**
 * Refuses a new base `name` whose folder already exists in the inbox with files the default base lists: making the
 * base would silently move them out of the default base (its ingest would then skip that folder and drop them).
 */
export function assertKbFolderFree(inbox: string, name: string, defaultPaths: Iterable<string>): void {
  const prefix = `${name}/`;
  for (const p of defaultPaths)
    if (p.startsWith(prefix))
      throw new KbNameError(
        `cannot create knowledge base "${name}": the folder ${path.join(path.resolve(inbox), name)} already holds files of the ` +
          `"${defaultKb}" base (e.g. ${p}); rename or move that folder first, or choose another name`,
      );
}

/** Makes base `kb`'s folder (the inbox root must exist for the default base; another base's folder is made). */
export function ensureKbFolder(inbox: string, kb: string): string {
  const folder = kbFolder(inbox, kb);
  if (kb !== defaultKb) fs.mkdirSync(folder, { recursive: true });
  return folder;
}
