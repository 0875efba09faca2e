// The `--kb NAME` flag of ingest, search, ask, chat and eval: repeatable and comma-separated (`--kb a --kb b`,
// `--kb a,b`), checked against the store's bases so an unknown name fails at once, naming it, before any model loads.
import type { Command } from "commander";
import { defaultKb, parseKbList, UnknownKbError } from "../store/kb.js";
import { readKbNames } from "../store/open.js";

/** Adds `--kb`; `several`: the command accepts more than one base. */
export function withKbFlag(command: Command, several: boolean): Command {
  return command.option(
    "--kb <name>",
    several
      ? `knowledge base to use (default "${defaultKb}"); repeat it or separate names with commas for several`
      : `knowledge base to use (default "${defaultKb}")`,
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/**
 * The bases a `--kb` flag names (default: the default base), each checked against the store at `target`: called
 * before a command loads its models, so a misspelt name fails at once.
 */
export async function kbsFromFlag(target: string | { store: string }, flag: string[] | undefined, several: boolean): Promise<string[]> {
  const names = parseKbList(flag);
  if (names.length === 0) return [defaultKb];
  if (!several && names.length > 1) throw new Error(`--kb: this command takes one knowledge base, got ${names.join(", ")}`);
  const known = new Set(await readKbNames(target));
  for (const name of names)
    if (!known.has(name))
      throw new Error(`${new UnknownKbError(name).message} (known: ${[...known].join(", ")}; create it with \`alpaca-rag kb create ${name}\`)`);
  return names;
}
