// `alpaca-rag store copy`: moves a store into another (a folder into PostgreSQL, or back) without re-embedding: every
// knowledge base comes over (empty ones too), and every document with its files (each in its base), chunks, lexical
// terms and vectors as the source holds them, through the store contract only (exportDocuments on the source, commitFile on the target), so any two implementations can trade.
import type { DocumentStore } from "./contract.js";
import { openStore } from "./open.js";

export class StoreCopyError extends Error {
  override name = "StoreCopyError";
}

export interface CopySummary {
  from: string;
  to: string;
  /** Bases in the target after the copy (`default` included). */
  kbs: number;
  documents: number;
  files: number;
  chunks: number;
  vectors: number;
  /** The embedding model both stores are now tied to ("none" for lexical-only, null when the source had none). */
  embedding: string | null;
}

/**
 * Copies the store at `from` into the empty store at `to` (created as needed). The target is taken with the write
 * lock for the whole copy; a target already holding documents is refused, since merging two stores is not a copy.
 */
export async function copyStore(from: string, to: string, onProgress?: (documents: number) => void): Promise<CopySummary> {
  const source = await openStore(from, { vectors: false });
  let target: DocumentStore | null = null;
  try {
    target = await openStore(to, { write: true, purpose: "store copy" });
    if (source.location === target.location) throw new StoreCopyError(`store copy: ${from} and ${to} are the same store`);
    const present = await target.count("documents");
    if (present > 0) throw new StoreCopyError(`store copy: ${target.location} already holds ${present} documents; copy into an empty store`);
    const identity = await source.embedding();
    if (identity !== undefined) await target.bindEmbedding(identity);
    // Bases first, so every file has its base to go to; a base the target already has (its `default`) is kept.
    const have = new Set(await target.kbNames());
    for (const { name } of await source.listKbs()) if (!have.has(name)) await target.createKb(name);
    const summary: CopySummary = {
      from: source.location,
      to: target.location,
      kbs: (await target.listKbs()).length,
      documents: 0,
      files: 0,
      chunks: 0,
      vectors: 0,
      embedding: identity === undefined ? null : identity === null ? "none" : identity.name,
    };
    for await (const { document, files } of source.exportDocuments()) {
      const [first, ...others] = files;
      const { documentId } = await target.commitFile(first, { document });
      for (const f of others) await target.commitFile(f, { documentId });
      summary.documents += 1;
      summary.files += files.length;
      summary.chunks += document.chunks.length;
      summary.vectors += document.chunks.filter((c) => c.vector).length;
      onProgress?.(summary.documents);
    }
    await target.refreshLexicalIndex();
    await target.saveVectors();
    return summary;
  } finally {
    await target?.close();
    await source.close();
  }
}
