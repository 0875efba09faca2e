// Creating, renaming and deleting knowledge bases with their inbox folders, for the CLI (`alpaca-rag kb`) and the
// server (/v1/kbs): the store's change and the folder's go together, the store first, so a failure in between
// leaves a base whose folder a later call can still make, rename or remove.
import fs from "node:fs";
import path from "node:path";
import type { DocumentStore } from "../store/contract.js";
import { assertKbName, defaultKb } from "../store/kb.js";
import { assertKbFolderFree, kbFolder } from "./kbFolders.js";

/** Adds base `name` and its folder <inbox>/<name>; refused when the folder already holds the default base's files. */
export async function createKnowledgeBase(store: DocumentStore, inbox: string, name: string): Promise<void> {
  assertKbName(name);
  assertKbFolderFree(inbox, name, (await store.files(defaultKb)).keys());
  await store.createKb(name);
  fs.mkdirSync(kbFolder(inbox, name), { recursive: true });
}

/** Renames base `from` to `to` and its folder with it. */
export async function renameKnowledgeBase(store: DocumentStore, inbox: string, from: string, to: string): Promise<void> {
  assertKbName(to);
  assertKbFolderFree(inbox, to, (await store.files(defaultKb)).keys());
  await store.renameKb(from, to);
  const source = kbFolder(inbox, from);
  if (fs.existsSync(source)) fs.renameSync(source, kbFolder(inbox, to));
}

/**
 * Deletes base `name`, its files in the store (and the documents only they used) and its inbox folder: a folder left
 * behind would be read by the default base's next ingest, putting the deleted base's files in front of everyone.
 * Returns the chunks removed.
 */
export async function deleteKnowledgeBase(store: DocumentStore, inbox: string, name: string): Promise<{ chunksRemoved: number; folder: string }> {
  const chunksRemoved = await store.deleteKb(name);
  const folder = kbFolder(inbox, name);
  // The folder is the base's own (a checked name, one segment below the inbox); never anything else.
  if (name !== defaultKb && path.dirname(folder) === path.resolve(inbox)) fs.rmSync(folder, { recursive: true, force: true });
  return { chunksRemoved, folder };
}
