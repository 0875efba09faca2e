// The embedding identity rule every store keeps: a store is made with one embedding model (by fingerprint) or with
// none, and refuses another until it is emptied (ingest --reembed).
import type { EmbedderIdentity } from "../models/embedder.js";
import type { StoreEmbedding } from "./contract.js";

export class EmbedderMismatchError extends Error {
  override name = "EmbedderMismatchError";
}

/** The store's `embedding` meta value read back: undefined when unset (a new store), null for "none" (lexical-only). */
export function parseEmbedding(raw: string | undefined | null): StoreEmbedding {
  if (raw === undefined || raw === null) return undefined;
  return raw === "none" ? null : (JSON.parse(raw) as EmbedderIdentity);
}

/** True when `identity` (null: lexical-only) is the model the store is already tied to. */
export function sameEmbedding(current: StoreEmbedding, identity: { fingerprint: string } | null): boolean {
  return current === null ? identity === null : current !== undefined && identity !== null && current.fingerprint === identity.fingerprint;
}

/**
 * The refusal for a store at `location` tied to `current` and holding `documents` documents when the settings give
 * `expected`, or null when there is nothing to refuse (empty, undecided or the same model).
 */
export function embeddingMismatch(
  location: string,
  current: StoreEmbedding,
  documents: number,
  expected: { name: string; fingerprint: string } | null,
): EmbedderMismatchError | null {
  if (current === undefined || documents === 0 || sameEmbedding(current, expected)) return null;
  const was = current === null ? "no embedding model (lexical-only)" : `embedding model ${current.name} (dimension ${current.dimension})`;
  const now = expected === null ? "no embedding model" : expected.name;
  return new EmbedderMismatchError(
    `${location} was built with ${was}, but the settings now give ${now}. ` +
      `Re-run ingest with --reembed to rebuild the index with the new model, or set embedding.model back.`,
  );
}

