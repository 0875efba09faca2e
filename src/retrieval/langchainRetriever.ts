// alpaca-rag's hybrid retrieval as a LangChain retriever, so a store can feed an LCEL chain:
// `new AlpacaRagRetriever({ store, embedder, k: 4 }).pipe(formatDocs)`.
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import type { Embedder } from "../models/embedder.js";
import type { Reranker } from "../models/reranker.js";
import type { DocumentStore } from "../store/contract.js";
import type { FusionWeights } from "./fusion.js";
import { retrieve } from "./hybrid.js";

/** What each LangChain Document carries besides its text. */
export interface AlpacaRagDocumentMetadata {
  chunkId: number;
  /** Every chunk the document covers (several when neighbours were merged). */
  chunkIds: number[];
  documentId: number;
  /** Inbox path to cite. */
  source: string;
  page: number | null;
  pageEnd: number | null;
  charStart: number;
  charEnd: number;
  section: string | null;
  /** Fused RRF score, or the reranker's when one ran. */
  score: number;
}

export interface AlpacaRagRetrieverInput extends BaseRetrieverInput {
  store: DocumentStore;
  /** null: lexical-only. */
  embedder: Embedder | null;
  /** Documents returned. Default 4. */
  k?: number;
  /** Candidates per retriever before fusion. Default max(50, 5k). */
  candidates?: number;
  /** Fusion weights; default "auto" (see retrieve()). */
  weights?: FusionWeights | "auto";
  reranker?: Reranker | null;
  /** Merge neighbouring chunks of one document into one Document. Default true: a chain should not read a passage twice. */
  mergeNeighbours?: boolean;
}

export class AlpacaRagRetriever extends BaseRetriever<AlpacaRagDocumentMetadata> {
  static override lc_name(): string {
    return "AlpacaRagRetriever";
  }

  lc_namespace = ["alpaca_rag", "retrievers"];

  private readonly options: Omit<AlpacaRagRetrieverInput, keyof BaseRetrieverInput>;

  constructor(fields: AlpacaRagRetrieverInput) {
    const { callbacks, tags, metadata, verbose, ...options } = fields;
    super({ callbacks, tags, metadata, verbose });
    this.options = options;
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document<AlpacaRagDocumentMetadata>[]> {
    const k = this.options.k ?? 4;
    const chunks = await retrieve({
      store: this.options.store,
      embedder: this.options.embedder,
      query,
      k,
      candidates: this.options.candidates ?? Math.max(50, 5 * k),
      weights: this.options.weights,
      reranker: this.options.reranker,
      mergeNeighbours: this.options.mergeNeighbours ?? true,
    });
    return chunks.map(
      (c) =>
        new Document<AlpacaRagDocumentMetadata>({
          pageContent: c.text,
          id: String(c.chunkId),
          metadata: {
            chunkId: c.chunkId,
            chunkIds: c.chunkIds,
            documentId: c.documentId,
            source: c.source,
            page: c.page,
            pageEnd: c.pageEnd,
            charStart: c.charStart,
            charEnd: c.charEnd,
            section: c.section,
            score: c.rerankScore ?? c.score,
          },
        }),
    );
  }
}
