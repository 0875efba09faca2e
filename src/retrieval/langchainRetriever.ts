// alpaca-rag's hybrid retrieval as a LangChain retriever, so a store can feed an LCEL chain:
// `new AlpacaRagRetriever({ engine }).pipe(formatDocs)` retrieves exactly as `alpaca-rag search`, the server and `ask`
// do (retrieval.k, candidates, dense weight, reranker from the engine's settings); any option given here overrides.
// `new AlpacaRagRetriever({ store, embedder, k: 4 })` works on a bare store with the library defaults.
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import type { Embedder } from "../models/embedder.js";
import type { Reranker } from "../models/reranker.js";
import type { DocumentStore } from "../store/contract.js";
import { defaultKb } from "../store/kb.js";
import type { FusionWeights } from "./fusion.js";
import { retrieve, type RetrieveOptions } from "./hybrid.js";
import { retrievalOptionsFor, type RetrievalEngine } from "./options.js";

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

/** Options that override the engine's settings (or the library defaults on a bare store). */
export interface AlpacaRagRetrievalOverrides {
  /** Knowledge bases searched. Default: the "default" base only. */
  kbs?: readonly string[];
  /** Documents returned. Default: the engine's `retrieval.k`; 4 on a bare store. */
  k?: number;
  /** Candidates per retriever before fusion. Default: the engine's (`retrieval.candidates`, raised to `rerank.candidates` when reranking); max(50, 5k) on a bare store. */
  candidates?: number;
  /** Fusion weights. Default: the engine's (`retrieval.denseWeight`/`lexicalWeight`, else "auto"); "auto" on a bare store. */
  weights?: FusionWeights | "auto";
  /** Default: the engine's reranker; none on a bare store. */
  reranker?: Reranker | null;
  /** Merge neighbouring chunks of one document into one Document. Default true: a chain should not read a passage twice. */
  mergeNeighbours?: boolean;
}

/** An opened engine (openEngine) whose settings the retriever follows. */
export interface AlpacaRagEngineRetrieverInput extends BaseRetrieverInput, AlpacaRagRetrievalOverrides {
  engine: RetrievalEngine;
}

/** A bare store, with the library defaults. */
export interface AlpacaRagStoreRetrieverInput extends BaseRetrieverInput, AlpacaRagRetrievalOverrides {
  store: DocumentStore;
  /** null: lexical-only. */
  embedder: Embedder | null;
}

export type AlpacaRagRetrieverInput = AlpacaRagEngineRetrieverInput | AlpacaRagStoreRetrieverInput;

/** The options retrieve() gets for one query: the engine's (or the defaults), then the overrides. */
export function retrieverOptions(input: AlpacaRagRetrieverInput, query: string): RetrieveOptions {
  const o = input;
  if ("engine" in o) {
    const base = retrievalOptionsFor(o.engine, query, o.kbs ?? [defaultKb], o.k);
    return {
      ...base,
      candidates: o.candidates ?? base.candidates,
      weights: o.weights ?? base.weights,
      reranker: o.reranker === undefined ? base.reranker : o.reranker,
      mergeNeighbours: o.mergeNeighbours ?? true,
    };
  }
  const k = o.k ?? 4;
  return {
    store: o.store,
    embedder: o.embedder,
    query,
    kbs: o.kbs ?? [defaultKb],
    k,
    candidates: o.candidates ?? Math.max(50, 5 * k),
    weights: o.weights,
    reranker: o.reranker,
    mergeNeighbours: o.mergeNeighbours ?? true,
  };
}

export class AlpacaRagRetriever extends BaseRetriever<AlpacaRagDocumentMetadata> {
  static override lc_name(): string {
    return "AlpacaRagRetriever";
  }

  lc_namespace = ["alpaca_rag", "retrievers"];

  private readonly options: AlpacaRagRetrieverInput;

  constructor(fields: AlpacaRagRetrieverInput) {
    const { callbacks, tags, metadata, verbose, ...options } = fields;
    super({ callbacks, tags, metadata, verbose });
    this.options = options as AlpacaRagRetrieverInput;
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document<AlpacaRagDocumentMetadata>[]> {
    const chunks = await retrieve(retrieverOptions(this.options, query));
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
