// `alpaca-rag ask` and `search` as a user runs them on the shipped sample folder: one JSON object with --json, the
// answer and its numbered sources otherwise, extractive answers when no generator is present.
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cliProcess.js";
import { shippedSampleInbox, shippedSampleNames, tempDir } from "../helpers.js";

const samples = [...shippedSampleNames];
const question = "望月桥是哪一年建成的？";
let store: string;
let common: string[];

beforeAll(async () => {
  store = tempDir();
  // Lexical-only: the answer path needs no embedding model, and no generator is downloaded in a test.
  common = ["--store", store, "--threads", "1", "--gpu", "false", "--models-dir", tempDir()];
  const ingest = await runCli(["ingest", shippedSampleInbox(), "--embedding-model", "none", "--json", ...common]);
  expect(ingest.code, ingest.stderr).toBe(0);
  expect(JSON.parse(ingest.stdout)).toMatchObject({ added: samples.length, failed: [] });
});

describe("alpaca-rag ask", () => {
  it("--json prints one JSON object: an extractive answer citing the right document", { timeout: 60_000 }, async () => {
    const result = await runCli(["ask", question, "--json", "--model", "none", ...common]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const answer = JSON.parse(lines[0]);
    expect(answer).toMatchObject({ question, mode: "extractive", model: null, dropped: [], usage: { promptTokens: 0, completionTokens: 0 } });
    expect(answer.answer).toContain("1923");
    const cited = answer.citations.filter((c: { cited: boolean }) => c.cited);
    expect(cited.map((c: { source: string }) => c.source)).toContain("lanxi-wangyue-bridge.md");
    for (const c of answer.citations) {
      expect(samples).toContain(c.source);
      expect(c).toMatchObject({ n: expect.any(Number), documentId: expect.any(Number), chunkId: expect.any(Number), score: expect.any(Number), snippet: expect.any(String) });
    }
    for (const m of answer.answer.matchAll(/\[(\d+)\]/g)) expect(Number(m[1])).toBeLessThanOrEqual(answer.citations.length);
    expect(Object.keys(answer.timings)).toEqual(expect.arrayContaining(["retrieveMs", "packMs", "firstTokenMs", "totalMs"]));
  });

  it("prints the answer, then the sources with cited ones starred, and says why it is extractive", { timeout: 60_000 }, async () => {
    // generator.model "auto" with an empty models folder: no generator to load.
    const result = await runCli(["ask", question, ...common]);
    expect(result.code, result.stderr).toBe(0);
    const [answer, sources] = result.stdout.split("\n\nSources (* cited):\n");
    expect(sources, result.stdout).toBeDefined();
    expect(answer).toContain("望月桥建成于1923年。[1]");
    expect(answer).not.toMatch(/^\s/);
    const lines = sources.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    // The Markdown source shows the section it cites ("§ heading"), then its snippet.
    expect(lines[0]).toMatch(/^ {2}\[1\]\* lanxi-wangyue-bridge\.md § \S[^\n]* {2}\S/);
    for (const [i, line] of lines.entries()) expect(line).toMatch(new RegExp(`^ {2}\\[${i + 1}\\][* ] \\S+`));
    expect(result.stderr).toMatch(/no generator model downloaded: extractive answers/);
    expect(result.stderr).toMatch(/^extractive by extraction in [\d.]+ s$/m);
  });
});

describe("alpaca-rag search", () => {
  it("--json -k 3 returns at most three ranked chunks with source, page, score and text", { timeout: 60_000 }, async () => {
    const result = await runCli(["search", "seed library borrowing", "--json", "-k", "3", ...common]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const body = JSON.parse(lines[0]);
    expect(body).toMatchObject({ query: "seed library borrowing", mode: "lexical" });
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.length).toBeLessThanOrEqual(3);
    body.results.forEach((r: { rank: number; source: string; page: number | null; score: number; text: string }, i: number) => {
      expect(r.rank).toBe(i + 1);
      expect(samples).toContain(r.source);
      expect(typeof r.score).toBe("number");
      expect(r.text.length).toBeGreaterThan(0);
      if (r.source.endsWith(".pdf")) expect(r.page).toBeGreaterThanOrEqual(1);
      else expect(r.page).toBeNull();
    });
    expect(body.results[0].source).toBe("northvale-seed-library.pdf");
    expect(body.results[0].text).toMatch(/borrow/i);
    const scores = body.results.map((r: { score: number }) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const bridge = JSON.parse((await runCli(["search", "望月桥", "--json", "-k", "3", ...common])).stdout);
    expect(bridge.results[0].source).toBe("lanxi-wangyue-bridge.md");
    expect(bridge.results[0].text).toContain("望月桥");
  });
});
