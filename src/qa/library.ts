// The question functions as the library exports them: the internal ones (answer.ts, search.ts) require the knowledge
// bases so no server or CLI path can forget them; a library caller names them or gets the default base, so code
// written before bases existed keeps working unchanged.
import { defaultKb } from "../store/kb.js";
import { answerQuestion as answerInBases, type Answer, type AskOptions } from "./answer.js";
import type { QaEngine } from "./engine.js";
import { searchChunks as searchInBases, type SearchResult } from "./search.js";

/** AskOptions with `kbs` optional (default: the "default" base). */
export type LibraryAskOptions = Omit<AskOptions, "kbs"> & { kbs?: readonly string[] };

/** An answer from the bases `options.kbs` (default: the "default" base), with numbered citations. */
export function answerQuestion(engine: QaEngine, options: LibraryAskOptions): Promise<Answer> {
  return answerInBases(engine, { ...options, kbs: options.kbs ?? [defaultKb] });
}

/** The best chunks for `query`: `options` is k, or {k, kbs} (default: retrieval.k, the "default" base). */
export function searchChunks(engine: QaEngine, query: string, options?: number | { k?: number; kbs?: readonly string[] }): Promise<SearchResult> {
  const { k, kbs } = typeof options === "number" || options === undefined ? { k: options, kbs: undefined } : options;
  return searchInBases(engine, query, kbs ?? [defaultKb], k);
}
