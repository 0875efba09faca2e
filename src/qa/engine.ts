// Opens what answering needs, once, from settings: the store, the embedder it was built with, the generator (local,
// remote, or none for extractive answers), the optional reranker and the prompt templates. CLI and server share it.
import type { Settings } from "../config/schema.js";
import { findGeneratorPreset, generatorModelUri, generatorPresets, parseQuantization, type GeneratorPreset } from "../models/catalog.js";
import { chooseEmbeddingModel, loadEmbedder, resolveEmbedderFile, type Embedder } from "../models/embedder.js";
import { loadLocalGenerator, type Generator } from "../models/generator.js";
import { RemoteGenerator } from "../models/remoteGenerator.js";
import { loadReranker, type Reranker } from "../models/reranker.js";
import { findLocalModel, resolveModel } from "../models/resolve.js";
import type { DocumentStore } from "../store/contract.js";
import { EmbedderMismatchError } from "../store/embedding.js";
import { openStore } from "../store/open.js";
import { loadPromptTemplates, type PromptTemplates } from "./prompts.js";

export interface QaEngine {
  readonly settings: Settings;
  readonly store: DocumentStore;
  /** The model the store's vectors were made with; null for a lexical-only store. */
  readonly embedder: Embedder | null;
  /** null: extractive answers. */
  readonly generator: Generator | null;
  /** Why there is no generator, or what was applied to it (RoPE, draft model). */
  readonly generatorNote: string;
  readonly reranker: Reranker | null;
  readonly templates: PromptTemplates;
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  /** Load the generator (ask, chat, serve); search does not need one. Default true. */
  generator?: boolean;
  /** Download missing models named by settings. Default true. */
  download?: boolean;
}

/** Order in which "auto" looks for a downloaded chat model. */
const autoGeneratorOrder = ["chinese-alpaca-2-7b", "chinese-alpaca-2-7b-rlhf", "chinese-alpaca-2-13b", "chinese-alpaca-2-7b-16k", "chinese-alpaca-2-1.3b", "chinese-alpaca-2-1.3b-rlhf"];

async function openEmbedder(settings: Settings, store: DocumentStore, download: boolean): Promise<Embedder | null> {
  const identity = await store.embedding();
  if (!identity) return null;
  const choice = await chooseEmbeddingModel(settings);
  if (choice.kind === "none")
    throw new EmbedderMismatchError(
      `${store.location} was built with embedding model ${identity.name}, which the settings do not name (${choice.reason}). ` +
        `Set embedding.model to that model, or re-ingest with --reembed.`,
    );
  const file = await resolveEmbedderFile(settings, choice, { download });
  if (file.fingerprint !== identity.fingerprint)
    throw new EmbedderMismatchError(
      `${store.location} was built with embedding model ${identity.name}, but the settings give ${file.name}. ` +
        `Set embedding.model back, or re-ingest with --reembed.`,
    );
  return loadEmbedder(settings, choice, file);
}

/** The one command that gets the default answer model (what a fresh machine without one is told). */
export const generatorPullCommand = `npx alpaca-rag models pull ${autoGeneratorOrder[0]}`;

interface GeneratorChoice {
  spec: string | null;
  preset: GeneratorPreset | null;
  note: string;
}

async function chooseGenerator(settings: Settings): Promise<GeneratorChoice> {
  const g = settings.generator;
  const quant = g.quant ? parseQuantization(g.quant) : undefined;
  if (g.quant && !quant) throw new Error(`generator.quant: unknown quantization "${g.quant}"`);
  if (g.model === "none") return { spec: null, preset: null, note: "generator.model is \"none\": extractive answers" };
  if (g.model === "auto") {
    for (const name of autoGeneratorOrder) {
      const preset = findGeneratorPreset(name)!;
      const uri = generatorModelUri(preset, quant);
      if (await findLocalModel(uri, settings.modelsDir)) return { spec: uri, preset, note: "" };
    }
    return {
      spec: null,
      preset: null,
      note: `no generator model downloaded: extractive answers (get one with: ${generatorPullCommand})`,
    };
  }
  const preset = findGeneratorPreset(g.model) ?? null;
  if (preset) return { spec: generatorModelUri(preset, quant), preset, note: "" };
  // A file of the catalog under its published name (hf:hfl/<name>-gguf/…) keeps its preset's context and RoPE.
  const byRepo = generatorPresets.find((p) => g.model.includes(`${p.repo}/`)) ?? null;
  return { spec: g.model, preset: byRepo, note: "" };
}

async function resolveDraft(settings: Settings, download: boolean): Promise<string | undefined> {
  const draft = settings.generator.draftModel;
  if (!draft) return undefined;
  const preset = findGeneratorPreset(draft);
  return resolveModel(preset ? generatorModelUri(preset) : draft, {
    modelsDir: settings.modelsDir,
    settingKey: "generator.draftModel",
    download,
    hfEndpoint: settings.hfEndpoint,
  });
}

export async function openEngine(settings: Settings, options: OpenEngineOptions = {}): Promise<QaEngine> {
  const download = options.download ?? true;
  const templates = loadPromptTemplates({
    dir: settings.prompts.dir,
    overrides: {
      system: settings.prompts.system,
      systemLong: settings.prompts.systemLong,
      ragZh: settings.prompts.ragZh,
      ragEn: settings.prompts.ragEn,
      completionZh: settings.prompts.completionZh,
      completionEn: settings.prompts.completionEn,
    },
  });
  const store = await openStore(settings);
  const opened: Array<{ dispose(): Promise<void> }> = [];
  try {
    if ((await store.embedding()) === undefined && (await store.count("documents")) === 0)
      throw new Error(`${store.location} holds no documents yet; run: npx alpaca-rag ingest`);
    const embedder = await openEmbedder(settings, store, download);
    if (embedder) opened.push(embedder);

    let generator: Generator | null = null;
    let generatorNote = "";
    if (options.generator !== false) {
      const g = settings.generator;
      if (g.url) {
        generator = new RemoteGenerator({ baseUrls: g.url, model: g.remoteModel, apiKey: g.apiKey, contextSize: g.contextSize });
        generatorNote = generator.note;
      } else {
        const choice = await chooseGenerator(settings);
        generatorNote = choice.note;
        if (choice.spec) {
          const modelPath = await resolveModel(choice.spec, {
            modelsDir: settings.modelsDir,
            settingKey: "generator.model",
            download,
            hfEndpoint: settings.hfEndpoint,
          });
          generator = await loadLocalGenerator({
            modelPath,
            preset: choice.preset,
            gpu: settings.gpu,
            threads: settings.threads,
            contextSize: g.contextSize,
            parallel: g.parallel,
            draftModelPath: await resolveDraft(settings, download),
          });
          generatorNote = generator.note;
        }
      }
      if (generator) opened.push(generator);
    }

    const reranker = settings.rerank.model
      ? await loadReranker({ model: settings.rerank.model, modelsDir: settings.modelsDir, gpu: settings.gpu, threads: settings.threads, download })
      : null;
    if (reranker) opened.push(reranker);

    return {
      settings,
      store,
      embedder,
      generator,
      generatorNote,
      reranker,
      templates,
      async close() {
        for (const o of opened.reverse()) await o.dispose();
        await store.close();
      },
    };
  } catch (e) {
    for (const o of opened.reverse()) await o.dispose().catch(() => {});
    await store.close();
    throw e;
  }
}
