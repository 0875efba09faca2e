// The generation benchmark for one model, run in its own process: `ask` (answerQuestion through openEngine over a
// small lexical-only store) against raw node-llama-cpp (LlamaCompletion on a fresh context sequence of its own context)
// generating from the very same packed prompt with the same threads, context size, batch size and greedy sampling.
// The two sides alternate, after one warm-up each; medians are reported.
import fs from "node:fs";
import path from "node:path";
import { getLlama, LlamaCompletion, LlamaLogLevel, type Token } from "node-llama-cpp";
import { loadSettings } from "../src/config/load.js";
import { ingestFolder } from "../src/ingest/pipeline.js";
import type { GenerateResult, Generator, PromptInput } from "../src/models/generator.js";
import { renderCompletion, renderLlama2Chat, tokenizePrompt } from "../src/models/promptFormat.js";
import { answerQuestion, prepareQuestion, retrieveForQuestion } from "../src/qa/answer.js";
import { openEngine, type QaEngine } from "../src/qa/engine.js";
import { preferActiveOpenMpWait } from "../src/models/llama.js";
import { serveChild } from "./lib/measure.js";
import { projectRoot } from "./lib/paths.js";
import { median } from "./lib/stats.js";

export interface GenerationRunOptions {
  modelPath: string;
  threads: number;
  /** Tokens to generate at most (generator.maxTokens on our side, maxTokens on the raw side). */
  maxTokens: number;
  /** Timed runs per side after the warm-up. */
  repeats: number;
  /** A scratch folder: the inbox and store are made in it. */
  workDir: string;
  documents: Record<string, string>;
  question: string;
}

/** One generation, timed from the call into the generator (ours) or LlamaCompletion (raw). */
export interface GenerationSample {
  completionTokens: number;
  firstTokenMs: number;
  totalMs: number;
  /** Tokens after the first over the time after the first. */
  decodeTokensPerSecond: number;
  /** All tokens over the whole call (prompt evaluation included). */
  tokensPerSecond: number;
  text: string;
}

export interface GenerationRunResult {
  contextSize: number;
  promptTokens: number;
  sources: number;
  ours: GenerationSample[];
  /** Ours seen from the caller of answerQuestion: retrieval and packing included. */
  oursAsk: Array<{ firstTextMs: number; totalMs: number }>;
  raw: GenerationSample[];
  /** Whether both sides wrote the same text in every run (same prompt and greedy sampling should make them equal). */
  sameText: boolean;
  medians: { ours: Omit<GenerationSample, "text">; raw: Omit<GenerationSample, "text">; askFirstTextMs: number };
}

function sample(completionTokens: number, firstTokenMs: number, totalMs: number, text: string): GenerationSample {
  const decodeMs = totalMs - firstTokenMs;
  return {
    completionTokens,
    firstTokenMs,
    totalMs,
    decodeTokensPerSecond: decodeMs > 0 ? (completionTokens - 1) / (decodeMs / 1000) : 0,
    tokensPerSecond: completionTokens / (totalMs / 1000),
    text,
  };
}

function medianSample(samples: GenerationSample[]): Omit<GenerationSample, "text"> {
  const m = (key: keyof Omit<GenerationSample, "text">) => median(samples.map((s) => s[key]));
  return {
    completionTokens: m("completionTokens"),
    firstTokenMs: m("firstTokenMs"),
    totalMs: m("totalMs"),
    decodeTokensPerSecond: m("decodeTokensPerSecond"),
    tokensPerSecond: m("tokensPerSecond"),
  };
}

/** The engine with its generator wrapped, so each run's GenerateResult (timings, token counts) can be read back. */
function recordingEngine(engine: QaEngine): { engine: QaEngine; last: () => GenerateResult } {
  const inner = engine.generator!;
  let last: GenerateResult | null = null;
  const generator: Generator = {
    name: inner.name,
    kind: inner.kind,
    promptFormat: inner.promptFormat,
    contextSize: inner.contextSize,
    tokenizer: inner.tokenizer,
    note: inner.note,
    countPromptTokens: (p) => inner.countPromptTokens(p),
    generate: async (request) => (last = await inner.generate(request)),
    dispose: () => inner.dispose(),
  };
  return {
    engine: { ...engine, generator },
    last: () => {
      if (!last) throw new Error("the generator did not run");
      return last;
    },
  };
}

export async function runGeneration(opts: GenerationRunOptions): Promise<GenerationRunResult> {
  fs.rmSync(opts.workDir, { recursive: true, force: true });
  const inbox = path.join(opts.workDir, "inbox");
  fs.mkdirSync(inbox, { recursive: true });
  for (const [name, text] of Object.entries(opts.documents)) fs.writeFileSync(path.join(inbox, name), text);
  const settings = loadSettings({
    cwd: projectRoot,
    env: {},
    overrides: {
      store: path.join(opts.workDir, "store"),
      inbox,
      threads: opts.threads,
      gpu: false,
      "embedding.model": "none", // generation is what is measured; lexical retrieval keeps the rest out of the way
      "generator.model": opts.modelPath,
      "generator.maxTokens": opts.maxTokens,
      "generator.temperature": 0,
    },
  });
  await ingestFolder({ settings });
  const opened = await openEngine(settings, { download: false });
  try {
    const { engine, last } = recordingEngine(opened);
    const generator = engine.generator!;
    const prepared = prepareQuestion(engine, await retrieveForQuestion(engine, { kbs: ["default"], question: opts.question }));
    const prompt: PromptInput = prepared.packed!.prompt;

    // The raw side: its own model and context, as a node-llama-cpp user would write it, sized like ours.
    // The OpenMP wait policy alpaca-rag's runtime sets (src/models/llama.ts), so the sides differ only in their own work.
    preferActiveOpenMpWait();
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
    const model = await llama.loadModel({ modelPath: opts.modelPath });
    const context = await model.createContext({
      contextSize: generator.contextSize,
      sequences: 1,
      threads: opts.threads,
      batchSize: Math.min(512, generator.contextSize),
    });
    const rendered = prompt.kind === "chat" ? renderLlama2Chat(prompt.chat) : renderCompletion(prompt.text);
    const all = tokenizePrompt(rendered, model.tokenizer);
    const tokens: Token[] = all[0] === model.tokens.bos ? all.slice(1) : all; // LlamaCompletion adds BOS itself
    const { topK, topP, repeatPenalty } = settings.generator;

    const runRaw = async (): Promise<GenerationSample> => {
      const sequence = context.getSequence();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let first: number | null = null;
      let count = 0;
      const start = performance.now();
      try {
        const { response } = await completion.generateCompletionWithMeta(tokens, {
          maxTokens: opts.maxTokens,
          temperature: 0,
          topK,
          topP,
          repeatPenalty: repeatPenalty === 1 ? false : { penalty: repeatPenalty },
          onToken: (t) => {
            count += t.length;
          },
          onTextChunk: () => {
            first ??= performance.now() - start;
          },
        });
        return sample(count, first ?? Number.NaN, performance.now() - start, response);
      } finally {
        completion.dispose({ disposeSequence: false });
        await sequence.dispose();
      }
    };
    const runOurs = async () => {
      let firstText: number | null = null;
      const start = performance.now();
      const answer = await answerQuestion(engine, { kbs: ["default"],
        question: opts.question,
        onText: () => {
          firstText ??= performance.now() - start;
        },
      });
      const totalMs = performance.now() - start;
      const g = last();
      return {
        generated: sample(g.completionTokens, g.firstTokenMs ?? Number.NaN, g.totalMs, g.text),
        ask: { firstTextMs: firstText ?? Number.NaN, totalMs },
        answer,
      };
    };

    try {
      await runOurs();
      await runRaw();
      const ours: GenerationSample[] = [];
      const oursAsk: GenerationRunResult["oursAsk"] = [];
      const raw: GenerationSample[] = [];
      // Which side goes first alternates, so a drift in the machine's speed favours neither.
      for (let i = 0; i < opts.repeats; i++) {
        if (i % 2 === 1) raw.push(await runRaw());
        const o = await runOurs();
        ours.push(o.generated);
        oursAsk.push(o.ask);
        if (i % 2 === 0) raw.push(await runRaw());
      }
      return {
        contextSize: generator.contextSize,
        promptTokens: prepared.packed!.promptTokens,
        sources: prepared.sources.length,
        ours,
        oursAsk,
        raw,
        sameText: ours.every((o, i) => o.text === raw[i].text),
        medians: { ours: medianSample(ours), raw: medianSample(raw), askFirstTextMs: median(oursAsk.map((a) => a.firstTextMs)) },
      };
    } finally {
      await context.dispose();
      await model.dispose();
    }
  } finally {
    await opened.close();
  }
}

serveChild(import.meta.url, runGeneration);
