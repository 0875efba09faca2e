// Identity of the synthetic "embedding model" of the search-scale stores: a fixed name and fingerprint per corpus seed
// and dimension, so a store built by one run is recognised (and a mismatched one refused) by the next.
import type { EmbedderIdentity } from "../../src/models/embedder.js";

export function syntheticIdentity(seed: number, dimension: number): EmbedderIdentity {
  return { name: `synthetic-clustered-${dimension}`, fingerprint: `bench-synthetic-seed${seed}-dim${dimension}`, dimension };
}
