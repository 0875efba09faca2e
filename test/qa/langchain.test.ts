// alpaca-rag inside a LangChain program, the way a user composes it: our chat model in an LCEL pipe, our retriever
// feeding a prompt, and the whole question path as a Runnable chain.
import fs from "node:fs";
import path from "node:path";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnableSequence } from "@langchain/core/runnables";
import type { Document } from "@langchain/core/documents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { loadLocalGenerator, type Generator } from "../../src/models/generator.js";
import { openEngine, type QaEngine } from "../../src/qa/engine.js";
import { AlpacaRagChatModel, createAnswerChain, messagesToChatPrompt } from "../../src/qa/langchain.js";
import { AlpacaRagRetriever } from "../../src/retrieval/langchainRetriever.js";
import { HumanMessage, AIMessage, SystemMessage } from "@langchain/core/messages";
import { shippedSampleNames, shippedSamplePath, storiesModel, tempDir, testSettings } from "../helpers.js";

describe("LangChain interop", () => {
  let generator: Generator;
  let engine: QaEngine;

  beforeAll(async () => {
    generator = await loadLocalGenerator({ modelPath: storiesModel, preset: null, gpu: false, threads: 1 });
    const store = tempDir();
    const inbox = tempDir();
    for (const f of shippedSampleNames) fs.copyFileSync(shippedSamplePath(f), path.join(inbox, f));
    const settings = testSettings({ store, inbox, model: "none" });
    await ingestFolder({ settings });
    engine = await openEngine({ ...settings, generator: { ...settings.generator, model: "none" } });
  });

  afterAll(async () => {
    await engine?.close();
    await generator?.dispose();
  });

  it("maps LangChain messages onto the chat prompt", () => {
    const prompt = messagesToChatPrompt([new SystemMessage("be brief"), new HumanMessage("q1"), new AIMessage("a1"), new HumanMessage("q2")]);
    expect(prompt).toEqual({ system: "be brief", history: [{ user: "q1", assistant: "a1" }], user: "q2" });
    expect(() => messagesToChatPrompt([new HumanMessage("q"), new AIMessage("a")])).toThrow(/last message must come from the user/);
  });

  it("works as a chat model in an LCEL pipe, invoked and streamed, with the same greedy text", async () => {
    const chat = new AlpacaRagChatModel({ generator, maxTokens: 24, sampling: { temperature: 0 } });
    const chain = ChatPromptTemplate.fromMessages([["human", "{opening}"]]).pipe(chat).pipe(new StringOutputParser());
    const invoked = await chain.invoke({ opening: "Once upon a time" });
    // The model is a story model: it continues with its well-known little girl.
    expect(invoked).toMatch(/Lily/);
    let streamed = "";
    let pieces = 0;
    for await (const piece of await chain.stream({ opening: "Once upon a time" })) {
      streamed += piece;
      pieces += 1;
    }
    expect(streamed).toBe(invoked);
    expect(pieces).toBeGreaterThan(3);
    const direct = await generator.generate({ prompt: { kind: "chat", chat: { system: "", history: [], user: "Once upon a time" } }, maxTokens: 24, sampling: { temperature: 0 } });
    expect(invoked).toBe(direct.text);
  });

  it("composes retriever → formatter → chat model the way a user would", async () => {
    const retriever = new AlpacaRagRetriever({ store: engine.store, embedder: null, k: 2 });
    const format = RunnableLambda.from((docs: Document[]) => docs.map((d) => `${d.metadata.source}: ${d.pageContent}`).join("\n"));
    const context = await RunnableSequence.from([retriever, format]).invoke("When was the seed library founded?");
    expect(context).toMatch(/northvale-seed-library\.pdf: .*2011/s);
    const chat = new AlpacaRagChatModel({ generator, maxTokens: 8, sampling: { temperature: 0 } });
    const answer = await RunnableSequence.from([
      { context: RunnableSequence.from([retriever, format]), question: (q: string) => q },
      ChatPromptTemplate.fromMessages([["human", "{context}\n{question}"]]),
      chat,
      new StringOutputParser(),
    ]).invoke("seed library founded");
    expect(typeof answer).toBe("string");
    expect(answer.length).toBeGreaterThan(0);
  });

  it("runs the whole question path as a Runnable chain giving the ask answer object", async () => {
    const chain = createAnswerChain(engine);
    const answer = await chain.invoke("望月桥是哪一年建成的？");
    expect(answer.mode).toBe("extractive");
    expect(answer.answer).toContain("1923");
    expect(answer.citations.find((c) => c.cited)?.source).toBe("lanxi-wangyue-bridge.md");
    const [a, b] = await chain.batch(["望月桥是哪一年建成的？", { question: "When was the seed library founded?", k: 3 }]);
    expect(a.answer).toBe(answer.answer);
    expect(b.answer).toContain("2011");
    expect(b.citations.every((c) => c.n >= 1 && c.n <= 3)).toBe(true);
  });
});
