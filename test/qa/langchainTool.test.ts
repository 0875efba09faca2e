// The engine as a LangChain tool inside a real `langchain` agent (createAgent), driven by LangChain's own fake
// tool-calling chat model: the agent calls our tool, the tool answers from a real store (extractive, stories260K
// embedder), and the agent's final answer carries the citation the tool returned.
import { fakeModel } from "@langchain/core/testing";
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { createAgent } from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import type { Answer } from "../../src/qa/answer.js";
import { openEngine, type QaEngine } from "../../src/qa/engine.js";
import { createAnswerTool, formatCitedAnswer } from "../../src/qa/langchainTool.js";
import { tempDir, testSettings, writeFiles } from "../helpers.js";

const files = {
  "town.txt": "青石镇的钟楼建于1887年，高二十三米，是镇上最老的建筑。",
  "notes/river.md": "# 白沙河\n\n镇东的白沙河每年五月涨水，渡口在涨水时停航三天。\n",
};

let engine: QaEngine;

beforeAll(async () => {
  const inbox = tempDir();
  writeFiles(inbox, files);
  const settings = testSettings({ store: tempDir(), inbox });
  const summary = await ingestFolder({ settings });
  expect(summary.failed).toEqual([]);
  engine = await openEngine({ ...settings, generator: { ...settings.generator, model: "none" } });
});

afterAll(async () => {
  await engine?.close();
});

describe("createAnswerTool", () => {
  it("answers a question with the cited text, the numbered sources and the Answer as artifact", async () => {
    const tool = createAnswerTool(engine);
    expect(tool.name).toBe("search_documents");
    const message = (await tool.invoke({ type: "tool_call", id: "call-1", name: tool.name, args: { question: "钟楼是哪一年建成的？" } })) as ToolMessage;
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message.tool_call_id).toBe("call-1");
    const artifact = message.artifact as Answer;
    expect(artifact.mode).toBe("extractive");
    expect(artifact.citations[0]).toMatchObject({ n: 1, source: "town.txt", cited: true });
    expect(message.content).toBe(formatCitedAnswer(artifact));
    expect(message.content).toContain("1887");
    expect(message.content).toMatch(/\[1\][^\n]*\n\nSources:\n\[1\] town\.txt$/m);
  });

  it("refuses an empty question before it reaches the engine", async () => {
    await expect(createAnswerTool(engine).invoke({ question: "" })).rejects.toThrow(/did not match expected schema/);
  });

  it("is called by a langchain agent, whose final answer carries the tool's citation", async () => {
    const tool = createAnswerTool(engine, { k: 2 });
    // The fake model first asks for the tool, then answers by quoting what the tool returned, as a model would.
    const model = fakeModel()
      .respondWithTools([{ name: "search_documents", args: { question: "白沙河涨水时渡口停航几天？" }, id: "call-river" }])
      .respond((messages: BaseMessage[]) => {
        const result = messages.findLast((m) => ToolMessage.isInstance(m));
        return new AIMessage(`根据资料：${String(result?.content ?? "(no tool result)")}`);
      });
    const agent = createAgent({ model, tools: [tool] });
    const state = await agent.invoke({ messages: [{ role: "user", content: "白沙河涨水时渡口停航几天？" }] });

    const toolMessages = state.messages.filter((m) => ToolMessage.isInstance(m)) as ToolMessage[];
    expect(toolMessages).toHaveLength(1);
    expect(toolMessages[0]).toMatchObject({ name: "search_documents", tool_call_id: "call-river" });
    expect(toolMessages[0].content).toContain("三天");
    expect((toolMessages[0].artifact as Answer).citations.length).toBeLessThanOrEqual(2);
    expect(model.callCount).toBe(2);
    // The second model call saw the tool's answer.
    expect(model.calls[1].messages.some((m) => ToolMessage.isInstance(m) && String(m.content).includes("notes/river.md"))).toBe(true);

    const final = state.messages.at(-1)!;
    expect(AIMessage.isInstance(final)).toBe(true);
    expect(final.content).toMatch(/^根据资料：.*三天.*\[1\]/s);
    expect(final.content).toMatch(/Sources:\n\[1\] notes\/river\.md § 白沙河/);
  });
});
