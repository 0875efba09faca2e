// The package's public surface: `import { openEngine, answerQuestion, … } from "alpaca-rag"`. Everything else under
// dist/ is internal and may change between versions; what is exported here is what programs may rely on.
// Typical use: loadSettings() → ingestFolder({ settings }) → openEngine(settings) → answerQuestion / searchChunks, or
// the LangChain pieces (retriever, answer chain, agent tool, chat model) over the same engine.

// Settings: one file + ALPACA_RAG_* environment + overrides, validated.
export { ConfigError, defaultConfigFileName, envNameFor, loadSettings, type LoadSettingsOptions } from "./config/load.js";
export type { Settings, SettingsInput } from "./config/schema.js";

// Ingest: make a store follow a folder.
export { IngestFatalError, ingestFolder, type IngestOptions, type IngestProgress, type IngestSummary } from "./ingest/pipeline.js";
export type { SourceLocation } from "./ingest/types.js";

// Questions: open the models and the store once, then ask or search as often as needed.
export { openEngine, type OpenEngineOptions, type QaEngine } from "./qa/engine.js";
export { QuestionError, type Answer, type AskOptions, type Citation } from "./qa/answer.js";
export { answerQuestion, searchChunks, type LibraryAskOptions } from "./qa/library.js";
export type { AnswerSpan } from "./qa/extractive.js";
export type { SearchHit, SearchResult } from "./qa/search.js";
export { EmbedderMismatchError } from "./store/embedding.js";
export { openStore } from "./store/open.js";
export type { DocumentStore, KnowledgeBase } from "./store/contract.js";
// Knowledge bases: the default one's name and the errors about names; create, rename and delete with their folders.
export { defaultKb, KbExistsError, KbNameError, UnknownKbError } from "./store/kb.js";
export { createKnowledgeBase, deleteKnowledgeBase, renameKnowledgeBase } from "./ingest/knowledgeBases.js";

// LangChain: the engine's retrieval as a retriever, the question path as an LCEL chain and as an agent tool, the
// generator as a chat model.
export {
  AlpacaRagRetriever,
  type AlpacaRagDocumentMetadata,
  type AlpacaRagEngineRetrieverInput,
  type AlpacaRagRetrievalOverrides,
  type AlpacaRagRetrieverInput,
  type AlpacaRagStoreRetrieverInput,
} from "./retrieval/langchainRetriever.js";
export { AlpacaRagChatModel, createAnswerChain, type AlpacaRagChatModelInput, type AnswerChainInput } from "./qa/langchain.js";
export { createAnswerTool, formatCitedAnswer, type AnswerToolOptions } from "./qa/langchainTool.js";
