// `alpaca-rag kb list|create|rename|delete`: the store's knowledge bases, each with its own inbox folder
// (<inbox>/NAME/; the default base keeps the inbox root).
import type { Command } from "commander";
import { createKnowledgeBase, deleteKnowledgeBase, renameKnowledgeBase } from "../../ingest/knowledgeBases.js";
import { kbFolder } from "../../ingest/kbFolders.js";
import type { DocumentStore } from "../../store/contract.js";
import { openStore } from "../../store/open.js";
import { settingsFromFlags, withSettingsFlags, type CommonFlags } from "../settings.js";

interface KbFlags extends CommonFlags {
  json?: boolean;
}

async function withStore<T>(flags: KbFlags, write: boolean, work: (store: DocumentStore, inbox: string) => Promise<T>): Promise<T> {
  const settings = settingsFromFlags(flags);
  const store = await openStore(settings, { write, purpose: "kb", vectors: write });
  try {
    return await work(store, settings.inbox);
  } finally {
    await store.close();
  }
}

export function registerKbCommand(program: Command): void {
  const kb = program.command("kb").description("knowledge bases: list, create, rename or delete them");
  withSettingsFlags(kb.command("list").description("every knowledge base with its files, documents and chunks"))
    .option("--json", "print JSON")
    .action(async (flags: KbFlags) => {
      await withStore(flags, false, async (store, inbox) => {
        const kbs = await store.listKbs();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ kbs: kbs.map((k) => ({ ...k, folder: kbFolder(inbox, k.name) })) })}\n`);
          return;
        }
        for (const k of kbs)
          process.stdout.write(`${k.name}  ${k.files} files, ${k.documents} documents, ${k.chunks} chunks  (${kbFolder(inbox, k.name)})\n`);
      });
    });
  withSettingsFlags(kb.command("create").argument("<name>", "letters, digits, - and _ (up to 64)").description("add an empty knowledge base and its inbox folder"))
    .action(async (name: string, flags: KbFlags) => {
      await withStore(flags, true, async (store, inbox) => {
        await createKnowledgeBase(store, inbox, name);
        process.stdout.write(`created knowledge base ${name}: put its documents in ${kbFolder(inbox, name)} and run \`alpaca-rag ingest --kb ${name}\`\n`);
      });
    });
  withSettingsFlags(kb.command("rename").argument("<from>").argument("<to>").description("rename a knowledge base and its inbox folder"))
    .action(async (from: string, to: string, flags: KbFlags) => {
      await withStore(flags, true, async (store, inbox) => {
        await renameKnowledgeBase(store, inbox, from, to);
        process.stdout.write(`renamed knowledge base ${from} to ${to}\n`);
      });
    });
  withSettingsFlags(
    kb.command("delete").argument("<name>").description("delete a knowledge base: its files in the store, the documents only they used, and its inbox folder"),
  ).action(async (name: string, flags: KbFlags) => {
    await withStore(flags, true, async (store, inbox) => {
      const { chunksRemoved, folder } = await deleteKnowledgeBase(store, inbox, name);
      process.stdout.write(`deleted knowledge base ${name} (${chunksRemoved} chunks removed; folder ${folder} removed)\n`);
    });
  });
}
