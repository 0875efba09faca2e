// `alpaca-rag chat` as people and scripts use it: questions piped in (JSON lines or human output, exit 0 at EOF), and
// the interactive prompt in a real pseudo-terminal (tmux): streamed answers with sources, /k, /sources, /clear,
// follow-ups carrying history, Ctrl-C stopping an answer or clearing the line, Ctrl-D and double Ctrl-C quitting.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatAnswer } from "../../src/cli/chatSession.js";
import { runCli } from "../cliProcess.js";
import { startFakeChatServer, type FakeChatServer } from "../fakeChatServer.js";
import { projectRoot, storiesModel, tempDir, writeFiles } from "../helpers.js";
import { startInTerminal, type Terminal } from "../terminal.js";

const bridgeQuestion = "望月桥是哪一年建成的？";
const prompt = "请输入问题 / Enter a query: ";
const fast = ["--threads", "1", "--gpu", "false"];

/** Runs chat with `input` on stdin (a pipe). */
function chatThroughPipe(args: string[], input: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "chat", ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ALPACA_RAG_HF_ENDPOINT: "https://offline.invalid/", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

let lexicalStore: string;
let storiesStore: string;

beforeAll(async () => {
  lexicalStore = tempDir();
  const storiesInbox = tempDir();
  writeFiles(storiesInbox, {
    "herbs.txt": "Rosemary and bay survive light frost, but their pots should be wrapped in winter. Basil will not last the winter outdoors.",
    "library.txt": "The seed library opens on Saturday mornings. Members borrow seeds in spring and return seeds from their own harvest in autumn.",
  });
  storiesStore = tempDir();
  const [lexical, stories] = await Promise.all([
    runCli(["ingest", "--store", lexicalStore, "--embedding-model", "none", "--json"]),
    runCli(["ingest", storiesInbox, "--store", storiesStore, "--embedding-model", storiesModel, "--chunk-size", "120", "--chunk-overlap", "16", "--json", ...fast]),
  ]);
  expect(lexical.code, lexical.stderr).toBe(0);
  expect(stories.code, stories.stderr).toBe(0);
});

describe("alpaca-rag chat through a pipe", () => {
  it("prints one JSON answer per line and nothing else, skips blank lines, and exits 0 at EOF", async () => {
    const input = `${bridgeQuestion}\n\n   \nHow should rosemary be kept in winter?\n/k 1\nHow many varieties does the Northvale seed library hold?\n`;
    const result = await chatThroughPipe(["--store", lexicalStore, "--model", "none", "--json"], input);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const answers = lines.map((l) => JSON.parse(l) as ChatAnswer);
    expect(answers.map((a) => a.question)).toEqual([bridgeQuestion, "How should rosemary be kept in winter?", "How many varieties does the Northvale seed library hold?"]);
    expect(answers[0].answer).toContain("1923");
    expect(answers[0].citations.filter((c) => c.cited).map((c) => c.source)).toContain("lanxi-wangyue-bridge.md");
    expect(answers[1].citations.find((c) => c.cited)?.source).toBe("balcony-herbs-winter.txt");
    expect(answers[2].citations).toHaveLength(1); // after /k 1
    expect(answers[2].citations[0].source).toBe("northvale-seed-library.pdf");
    for (const a of answers) expect(a).toMatchObject({ mode: "extractive", model: null, historyTurns: 0 });
    expect(result.stderr).toContain("k = 1"); // command output stays off stdout
  });

  it("searches for a referring follow-up together with the previous question, unless --no-condense", async () => {
    const result = await chatThroughPipe(["--store", lexicalStore, "--model", "none", "--json", "-k", "1"], `${bridgeQuestion}\n它有多长？\n`);
    expect(result.code, result.stderr).toBe(0);
    const [, followUp] = result.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as ChatAnswer);
    expect(followUp).toMatchObject({ question: "它有多长？", retrievalQuery: `${bridgeQuestion}\n它有多长？` });
    expect(followUp.citations[0].source).toBe("lanxi-wangyue-bridge.md");
    const alone = await chatThroughPipe(["--store", lexicalStore, "--model", "none", "--json", "--no-condense", "-k", "1"], `${bridgeQuestion}\n它有多长？\n`);
    expect(alone.code, alone.stderr).toBe(0);
    const [, asked] = alone.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as ChatAnswer);
    expect(asked).toMatchObject({ question: "它有多长？", retrievalQuery: "它有多长？" });
  });

  it("prints each question's answer, sources and time taken for people", async () => {
    const result = await chatThroughPipe(["--store", lexicalStore, "--model", "none"], `${bridgeQuestion}\nHow should rosemary be kept in winter?\n`);
    expect(result.code, result.stderr).toBe(0);
    const blocks = result.stdout.split(/^> /m).filter(Boolean);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(/^望月桥是哪一年建成的？\n\n.*1923.*\[1\]/s);
    expect(blocks[0]).toMatch(/Sources \(\* cited\):\n {2}\[\d\]\* lanxi-wangyue-bridge\.md/);
    expect(blocks[1]).toMatch(/Sources \(\* cited\):\n {2}\[1\]\* balcony-herbs-winter\.txt/);
    for (const b of blocks) expect(b).toMatch(/^Took \d+\.\d\d s \(extractive\)$/m);
    expect(result.stderr).toContain('generator.model is "none": extractive answers');
  });

  it("generates answers with a local model (stories260K), one JSON line per question", async () => {
    const env = { ALPACA_RAG_GENERATOR_MAX_TOKENS: "48", ALPACA_RAG_RETRIEVAL_K: "2" };
    const args = ["--store", storiesStore, "--embedding-model", storiesModel, "--model", storiesModel, "--json", ...fast];
    const result = await chatThroughPipe(args, "When is the seed library open?\nWhat happens to basil in winter?\n", env);
    expect(result.code, result.stderr).toBe(0);
    const answers = result.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as ChatAnswer);
    expect(answers).toHaveLength(2);
    for (const a of answers) {
      expect(a).toMatchObject({ mode: "generated", model: "stories260K.gguf" });
      expect(a.answer.length).toBeGreaterThan(0);
      expect(a.usage.completionTokens).toBeGreaterThan(0);
      expect(a.usage.completionTokens).toBeLessThanOrEqual(48);
      expect(a.citations.length).toBeGreaterThan(0);
      expect(a.citations.length).toBeLessThanOrEqual(2);
      // stories260K has no chat format, so earlier turns cannot go into its prompt.
      expect(a.historyTurns).toBe(0);
    }
  });
});

describe("alpaca-rag chat on a terminal", () => {
  const terminals: Terminal[] = [];
  let server: FakeChatServer;
  beforeAll(async () => {
    server = await startFakeChatServer();
  });
  afterAll(async () => {
    for (const t of terminals) t.close();
    await server?.close();
  });
  const open = (args: string[], env: Record<string, string> = {}) => {
    const t = startInTerminal(["chat", ...args], env);
    terminals.push(t);
    return t;
  };
  /** Prompts shown so far. */
  const prompts = (screen: string) => screen.split(prompt).length - 1;
  /** The text after the last prompt. */
  const afterLastPrompt = (screen: string) => screen.slice(screen.lastIndexOf(prompt) + prompt.length);

  it("answers with sources, obeys /k, /sources and /clear, clears a typed line on Ctrl-C, and exits 0 on Ctrl-D", async () => {
    const t = open(["--store", lexicalStore, "--model", "none"]);
    await t.waitFor((s) => prompts(s) === 1);
    t.type(bridgeQuestion, true);
    let screen = await t.waitFor((s) => prompts(s) === 2);
    expect(screen).toMatch(/望月桥建成于1923年/);
    expect(screen).toMatch(/Sources \(\* cited\):\n {2}\[\d\]\* lanxi-wangyue-bridge\.md/);
    expect(screen).toMatch(/Took \d+\.\d\d s \(extractive\)/);

    t.type("/k 1", true);
    await t.waitFor((s) => prompts(s) === 3 && s.includes("k = 1"));
    t.type("How should rosemary be kept in winter?", true);
    screen = await t.waitFor((s) => prompts(s) === 4);
    const lastAnswer = screen.slice(screen.lastIndexOf("How should rosemary"));
    expect(lastAnswer.match(/^ {2}\[\d+\]/gm)).toHaveLength(1);

    // The snippet stops at 120 characters; /sources shows the source in full.
    t.type("/sources", true);
    screen = await t.waitFor((s) => prompts(s) === 5);
    const full = screen.slice(screen.lastIndexOf("/sources"));
    expect(full).toMatch(/^\[1\]\* balcony-herbs-winter\.txt {2}\(score \d\.\d{3}\)$/m);
    expect(full).toContain("Saucers that collect water should be emptied or removed for the season.");

    // Ctrl-C with text typed clears the line and keeps the program.
    t.type("half a question");
    await t.waitFor((s) => afterLastPrompt(s).includes("half a question"));
    t.press("C-c");
    await t.waitFor((s) => afterLastPrompt(s).trim() === "");
    t.type("/clear", true);
    screen = await t.waitFor((s) => prompts(s) === 6 && s.includes("Conversation cleared."));
    expect(screen).not.toMatch(/half a question\/clear/);

    t.press("C-d");
    expect(await t.exitStatus()).toBe(0);
  });

  it("keeps follow-ups in the conversation, stops a long answer on Ctrl-C, and quits on a second Ctrl-C at an empty prompt", async () => {
    const t = open(["--store", lexicalStore, "-k", "1"], { ALPACA_RAG_GENERATOR_URL: server.url, ALPACA_RAG_GENERATOR_MAX_TOKENS: "48" });
    await t.waitFor((s) => prompts(s) === 1);
    const start = server.requests.length;
    t.type(bridgeQuestion, true);
    await t.waitFor((s) => prompts(s) === 2 && /Answer \d+ from the sources \[1\]\./.test(s));
    t.type("它有多长？", true);
    await t.waitFor((s) => prompts(s) === 3);
    const followUp = server.requests[start + 1];
    expect(followUp.filter((m) => m.role !== "system").map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(followUp[1].content).toBe(bridgeQuestion);

    t.type("/clear", true);
    await t.waitFor((s) => prompts(s) === 4);
    // A long answer streams until Ctrl-C, then the prompt returns and the program goes on.
    t.type("Tell me slowly about the bridge", true);
    await t.waitFor((s) => /word5 /.test(s));
    t.press("C-c");
    let screen = await t.waitFor((s) => prompts(s) === 5);
    expect(screen).toMatch(/Stopped after \d+\.\d\d s/);
    await expect.poll(() => server.disconnected).toBeGreaterThan(0);
    const words = (screen.match(/word\d+/g) ?? []).length;
    await new Promise((r) => setTimeout(r, 300));
    expect((t.screen().match(/word\d+/g) ?? []).length).toBe(words); // nothing more arrives

    // Neither the cleared turns nor the stopped one are history now.
    t.type("How should rosemary be kept in winter?", true);
    await t.waitFor((s) => prompts(s) === 6);
    expect(server.requests.at(-1)!.filter((m) => m.role !== "system").map((m) => m.role)).toEqual(["user"]);

    t.press("C-c");
    screen = await t.waitFor((s) => prompts(s) === 7);
    expect(screen).toContain("To quit, press Ctrl-C again");
    t.press("C-c");
    expect(await t.exitStatus()).toBe(0);
  });
});

