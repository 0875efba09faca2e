// The chat conversation apart from the terminal: what a typed line means, and a ChatSession on real stores: turns
// remembered and forgotten, k, condensed retrieval queries, earlier turns in the prompt (sent to an OpenAI-compatible
// stand-in) dropped oldest-first when the window is full, and stopped answers left out of the history.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseChatInput, ChatSession } from "../../src/cli/chatSession.js";
import { loadSettings } from "../../src/config/load.js";
import { ingestFolder } from "../../src/ingest/pipeline.js";
import { openEngine, type QaEngine } from "../../src/qa/engine.js";
import { startFakeChatServer, type FakeChatServer } from "../fakeChatServer.js";
import { projectRoot, shippedSampleInbox, tempDir } from "../helpers.js";

const bridgeQuestion = "望月桥是哪一年建成的？";

describe("parseChatInput", () => {
  it("reads questions, commands and mistakes", () => {
    expect(parseChatInput("   ")).toEqual({ kind: "empty" });
    expect(parseChatInput(` ${bridgeQuestion} `)).toEqual({ kind: "question", text: bridgeQuestion });
    expect(parseChatInput("/exit")).toEqual({ kind: "exit" });
    expect(parseChatInput("/QUIT")).toEqual({ kind: "exit" });
    expect(parseChatInput("/clear")).toEqual({ kind: "clear" });
    expect(parseChatInput("/sources")).toEqual({ kind: "sources" });
    expect(parseChatInput("/help")).toEqual({ kind: "help" });
    expect(parseChatInput("/k 3")).toEqual({ kind: "k", k: 3 });
    expect(parseChatInput("/k")).toEqual({ kind: "k", k: null });
    for (const bad of ["/k 0", "/k two", "/k 1.5", "/k 3 4", "/k 201"]) expect(parseChatInput(bad).kind, bad).toBe("invalid");
    expect(parseChatInput("/frobnicate")).toEqual({ kind: "invalid", message: "unknown command /frobnicate; /help lists the commands" });
  });
});

const sampleInbox = shippedSampleInbox();

/** Settings for a lexical-only store of the shipped samples, with generator overrides. */
function settingsFor(store: string, overrides: Record<string, unknown>) {
  return loadSettings({
    cwd: projectRoot,
    env: {},
    configFile: undefined,
    overrides: { store, inbox: sampleInbox, threads: 1, gpu: false, "embedding.model": "none", ...overrides },
  });
}

let store: string;
beforeAll(async () => {
  store = path.join(tempDir(), "store");
  const summary = await ingestFolder({ settings: settingsFor(store, {}) });
  expect(summary.failed).toEqual([]);
});

describe("ChatSession with extractive answers", () => {
  let engine: QaEngine;
  beforeAll(async () => {
    engine = await openEngine(settingsFor(store, { "generator.model": "none" }));
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("answers from the documents, remembers each turn, and forgets them on clear", async () => {
    const session = new ChatSession(engine, { kbs: ["default"], k: 6 });
    const first = await session.ask(bridgeQuestion);
    expect(first.answer).toContain("1923");
    expect(first.citations.filter((c) => c.cited).map((c) => c.source)).toContain("lanxi-wangyue-bridge.md");
    expect(first).toMatchObject({ question: bridgeQuestion, retrievalQuery: bridgeQuestion, historyTurns: 0, mode: "extractive" });
    const second = await session.ask("How should rosemary be kept in winter?");
    expect(second.citations[0].source).toBe("balcony-herbs-winter.txt");
    expect(session.history.map((t) => t.user)).toEqual([bridgeQuestion, "How should rosemary be kept in winter?"]);
    expect(session.history[0].assistant).toBe(first.answer);
    expect(session.lastAnswer).toBe(second);
    session.clear();
    expect(session.history).toEqual([]);
    expect(session.lastAnswer).toBeNull();
  });

  it("retrieves k sources, and k can change between questions", async () => {
    const session = new ChatSession(engine, { kbs: ["default"], k: 3 });
    expect((await session.ask("winter herbs water pots")).citations.length).toBeGreaterThan(1);
    session.k = 1;
    expect((await session.ask("winter herbs water pots")).citations).toHaveLength(1);
  });

  it("with condense, searches for a follow-up together with the previous question; without, for the question alone", async () => {
    const condensing = new ChatSession(engine, { kbs: ["default"], k: 1, condense: true });
    await condensing.ask(bridgeQuestion);
    const followUp = await condensing.ask("它有多长？");
    expect(followUp.retrievalQuery).toBe(`${bridgeQuestion}\n它有多长？`);
    expect(followUp.question).toBe("它有多长？");
    expect(followUp.citations[0].source).toBe("lanxi-wangyue-bridge.md");
    expect((await condensing.ask("How should rosemary be kept in winter?")).retrievalQuery).toBe("How should rosemary be kept in winter?");
    condensing.clear();
    expect((await condensing.ask("它有多长？")).retrievalQuery).toBe("它有多长？");
    // A follow-up that names nothing has its sentences chosen by the condensed query, as /v1/ask does.
    condensing.clear();
    await condensing.ask(bridgeQuestion);
    const more = await condensing.ask("还有呢？");
    expect(more).toMatchObject({ question: "还有呢？", retrievalQuery: `${bridgeQuestion}\n还有呢？` });
    expect(more.citations.filter((c) => c.cited).map((c) => c.source)).toContain("lanxi-wangyue-bridge.md");

    const plain = new ChatSession(engine, { kbs: ["default"], k: 1 });
    await plain.ask(bridgeQuestion);
    expect((await plain.ask("它有多长？")).retrievalQuery).toBe("它有多长？");
  });
});

describe("ChatSession with a chat-format generator (an OpenAI-compatible stand-in)", () => {
  let server: FakeChatServer;
  const engines: QaEngine[] = [];
  const open = async (contextSize: number) => {
    const engine = await openEngine(settingsFor(store, { "generator.url": server.url, "generator.contextSize": contextSize, "generator.maxTokens": 48 }));
    engines.push(engine);
    return engine;
  };
  beforeAll(async () => {
    server = await startFakeChatServer();
  });
  afterAll(async () => {
    for (const e of engines) await e.close();
    await server?.close();
  });

  it("sends earlier turns before the new question, in the Alpaca-2 multi-turn order", async () => {
    const session = new ChatSession(await open(4096), { kbs: ["default"], k: 1 });
    const before = server.requests.length;
    const first = await session.ask(bridgeQuestion);
    const second = await session.ask("它有多长？");
    expect(first.historyTurns).toBe(0);
    expect(second.historyTurns).toBe(1);
    const sent = server.requests[before + 1];
    expect(sent.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    // Earlier turns go in as the user asked them, not with their sources; the new question carries its sources.
    expect(sent[1].content).toBe(bridgeQuestion);
    expect(sent[2].content).toBe(first.answer);
    expect(sent[3].content).toContain("它有多长？");
    expect(sent[3].content).toContain("lanxi-wangyue-bridge.md");
    session.clear();
    await session.ask("How should rosemary be kept in winter?");
    expect(server.requests.at(-1)!.map((m) => m.role)).toEqual(["system", "user"]);
  });

  it("drops the oldest turns when the window is full, keeping the newest", async () => {
    const session = new ChatSession(await open(1200), { kbs: ["default"], k: 1 });
    const long = (i: number) => `Question ${i}: ${"how do rosemary, basil and thyme survive a cold damp winter on a balcony ".repeat(5)}`;
    const kept: number[] = [];
    for (let i = 1; i <= 8; i++) kept.push((await session.ask(long(i))).historyTurns);
    const last = kept.at(-1)!;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(7);
    expect(kept.slice(0, 2)).toEqual([0, 1]);
    const sentUsers = server.requests.at(-1)!.filter((m) => m.role === "user").map((m) => m.content);
    expect(sentUsers.slice(0, -1)).toEqual(session.history.slice(-1 - last, -1).map((t) => t.user));
    expect(sentUsers.at(-1)).toContain("Question 8:");
  });

  it("returns a stopped answer but does not remember it as a turn", async () => {
    const session = new ChatSession(await open(4096), { kbs: ["default"], k: 1 });
    await session.ask(bridgeQuestion);
    const abort = new AbortController();
    const disconnected = server.disconnected;
    const stopped = await session.ask("Tell me slowly about the bridge", {
      signal: abort.signal,
      onText: (t) => {
        if (t.includes("word2")) abort.abort();
      },
    });
    expect(stopped.answer).toMatch(/^word0 word1 word2/);
    expect(session.lastAnswer).toBe(stopped);
    expect(session.history.map((t) => t.user)).toEqual([bridgeQuestion]);
    await expect.poll(() => server.disconnected).toBe(disconnected + 1);
  });
});
