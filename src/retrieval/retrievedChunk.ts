// The one shape a retrieval result has, shared by the retriever (hybrid.ts), the neighbour merging (merge.ts) and
// everything above them, in a file of its own so those two never import each other.
import type { SourceLocation } from "../store/location.js";

/** A chunk found for a question, with where it comes from and why it was chosen. */
export interface RetrievedChunk {
  /** The chunk's id (for merged results: the first chunk's). */
  chunkId: number;
  /** Every chunk this result covers, in text order (one id unless neighbours were merged). */
  chunkIds: number[];
  documentId: number;
  /** The path (relative to its base's inbox folder) to cite: the first of `paths`. */
  source: string;
  /** The knowledge base of `source`. */
  kb: string;
  /** Every file holding this document's bytes, in the bases searched. */
  paths: string[];
  /** 0-based position of the (first) chunk in its document, and of the last one when merged. */
  index: number;
  indexEnd: number;
  /** 1-based pages of the first and last character (PDF); null for text files. */
  page: number | null;
  pageEnd: number | null;
  /** Offsets within `page`'s text (`charStart`) and `pageEnd`'s text (`charEnd`), or the whole file's text. */
  charStart: number;
  charEnd: number;
  section: string | null;
  /** Where a citation points: page range, slides, sheet rows, chapter or section; null when nothing says. */
  location: SourceLocation | null;
  /** The chunk's text, in the script it was written in. */
  text: string;
  /** Fused RRF score (higher is better). */
  score: number;
  /** Relevance in [0, 1] from the reranker, when one ran; results are then ordered by it. */
  rerankScore?: number;
  /** 1-based rank among the dense / lexical candidates (absent: that retriever did not find it). */
  denseRank?: number;
  lexicalRank?: number;
  /** Tokens of the embedding model's tokenizer (estimated for merged results). */
  tokenCount: number;
}
