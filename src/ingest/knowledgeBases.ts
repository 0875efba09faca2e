// Creating, renaming and deleting knowledge bases with their inbox folders, for the CLI (`alpaca-rag kb`) and the
// server (/v1/kbs): the store's change and the folder's go together, the store first, so a failure in between
// leaves a base whose folder a later call can still make, rename or remove.
import fs from "node:fs";
import path from "node:path";
import type { DocumentStore } from "../store/contract.js";
import { assertKbName, defaultKb, KbNameError, UnknownKbError } from "../store/kb.js";
import { assertKbFolderFree, kbFolder } from "./kbFolders.js";

/** Adds base `name` and its folder <inbox>/<name>; refused when the folder already holds the default base's files. */
export async function createKnowledgeBase(store: DocumentStore, inbox: string, name: string): Promise<void> {
  assertKbName(name);
  assertKbFolderFree(inbox, name, (await store.files(defaultKb)).keys());
  await store.createKb(name);
  fs.mkdirSync(kbFolder(inbox, name), { recursive: true });
}

/**
 * Renames base `from` to `to` and its folder with it. A folder already at the new name is refused before anything
 * changes; should moving the folder fail after all, the base gets its old name back (a folder left under a name that
 * is no longer a base would be read by the default base's ingest).
 */
export async function renameKnowledgeBase(store: DocumentStore, inbox: string, from: string, to: string): Promise<void> {
  assertKbName(to);
  assertKbFolderFree(inbox, to, (await store.files(defaultKb)).keys());
  const target = kbFolder(inbox, to);
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0)
    throw new KbNameError(`cannot rename knowledge base "${from}" to "${to}": the folder ${target} already exists and is not empty`);
  await store.renameKb(from, to);
  const source = kbFolder(inbox, from);
  if (!fs.existsSync(source)) return;
  try {
    fs.rmSync(target, { recursive: true, force: true }); // an empty folder in the way
    fs.renameSync(source, target);
  } catch (e) {
    await store.renameKb(to, from);
    throw e;
  }
}

/**
 * Deletes base `name`, its files in the store (and the documents only they used) and its inbox folder: a folder left
 * behind would be read by the default base's next ingest, putting the deleted base's files in front of everyone.
 * Returns the chunks removed.
 */
export async function deleteKnowledgeBase(store: DocumentStore, inbox: string, name: string): Promise<{ chunksRemoved: number; folder: string }> {
  if (!(await store.listKbs()).some((k) => k.name === name)) throw new UnknownKbError(name);
  const folder = kbFolder(inbox, name);
  // The folder is the base's own (a checked name, one segment below the inbox); never anything else. It is first
  // moved under a hidden name, which no ingest reads, so no failure below can hand its files to the default base.
  const owned = name !== defaultKb && path.dirname(folder) === path.resolve(inbox) && fs.existsSync(folder);
  const parked = path.join(path.resolve(inbox), `.deleting-${name}-${process.pid}-${Date.now()}`);
  if (owned) fs.renameSync(folder, parked);
  let chunksRemoved: number;
  try {
    chunksRemoved = await store.deleteKb(name);
  } catch (e) {
    if (owned) fs.renameSync(parked, folder);
    throw e;
  }
  if (owned) fs.rmSync(parked, { recursive: true, force: true });
  return { chunksRemoved, folder };
}
