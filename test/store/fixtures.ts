// Stores' test documents: small chunked documents with unit vectors of dimension 4 (or none), built in place, shared
// by the contract tests and the embedded store's own tests.
import type { NewDocument } from "../../src/store/contract.js";
import { segmentForIndex } from "../../src/store/segment.js";
import { seededRandom } from "../reliability/fixtures.js";

export const identity = { name: "test.gguf", fingerprint: "f1", dimension: 4 };
export const file = (p: string, size = 10, mtimeMs = 1, kb = "default") => ({ kb, path: p, size, mtimeMs });
/** The default base as a read scope. */
export const inDefault = { kbs: ["default"] };

export function unit(values: number[]): Float32Array {
  const n = Math.hypot(...values);
  return Float32Array.from(values.map((v) => v / n));
}

/** `count` seeded random unit vectors of `dimension`. */
export function unitVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => unit(Array.from({ length: dimension }, () => random() - 0.5)));
}

/** A document of one chunk per text (offsets as if joined by blank lines), with these vectors or none. */
export function doc(sha: string, texts: string[], vectors: number[][] | null, options: { section?: string } = {}): NewDocument {
  let at = 0;
  return {
    sha256: sha,
    kind: "text",
    bytes: texts.join("").length,
    pages: null,
    encoding: "UTF-8",
    text: texts.join("\n\n"),
    pageStarts: [],
    chunks: texts.map((t, i) => {
      const charStart = at;
      at += t.length + 2;
      return {
        index: i,
        text: t,
        page: null,
        pageEnd: null,
        charStart,
        charEnd: charStart + t.length,
        section: options.section ?? null,
        location: options.section ? { kind: "section" as const, label: `§ ${options.section}`, section: options.section } : null,
        tokenCount: t.length,
        terms: segmentForIndex(t),
        vector: vectors ? unit(vectors[i]) : null,
      };
    }),
  };
}
