// The two ways `chat` reads questions: a prompt on a terminal (line editing, Ctrl-C stops an answer, Ctrl-D quits) and
// one question per line from a pipe or file. Both hand each line to a ChatSession and print what it returns.
import readline from "node:readline";
import type { ReadStream } from "node:tty";
import { formatAnswerFooter, formatFullSources } from "./chatFormat.js";
import { chatCommandsHelp, parseChatInput, type ChatInput, type ChatSession } from "./chatSession.js";

export const chatPrompt = "请输入问题 / Enter a query: ";

export interface ChatLoopOptions {
  /** One JSON answer per line on stdout; everything else goes to stderr. */
  json: boolean;
}

/** Runs a /command; false when the conversation should end. */
function runCommand(session: ChatSession, input: Exclude<ChatInput, { kind: "question" } | { kind: "empty" }>, say: (text: string) => void): boolean {
  switch (input.kind) {
    case "exit":
      return false;
    case "clear":
      session.clear();
      say("Conversation cleared.\n");
      break;
    case "sources":
      say(formatFullSources(session.lastAnswer));
      break;
    case "help":
      say(`${chatCommandsHelp}\n`);
      break;
    case "k":
      if (input.k !== null) session.k = input.k;
      say(`k = ${session.k}\n`);
      break;
    case "invalid":
      say(`${input.message}\n`);
      break;
  }
  return true;
}

/** Answers one question and prints it; false if it failed (the message is on stderr, and in JSON mode on stdout too). */
async function answerAndPrint(session: ChatSession, question: string, json: boolean, signal: AbortSignal): Promise<boolean> {
  try {
    const answer = await session.ask(question, { signal, onText: json ? undefined : (t) => process.stdout.write(t) });
    process.stdout.write(json ? `${JSON.stringify(answer)}\n` : `${formatAnswerFooter(answer, signal.aborted)}\n`);
    return true;
  } catch (e) {
    const message = (e as Error).message;
    // A line per question keeps a script's input and output aligned even when one fails.
    if (json) process.stdout.write(`${JSON.stringify({ question, error: message })}\n`);
    process.stderr.write(`${json ? "" : "\n"}alpaca-rag: ${message}\n`);
    return false;
  }
}

/** Questions from a pipe or file, one per line, blank lines skipped. Resolves to the exit status. */
export async function runPipedChat(session: ChatSession, options: ChatLoopOptions): Promise<number> {
  const rl = readline.createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  const abort = new AbortController();
  const onSigint = () => {
    abort.abort();
    rl.close();
  };
  process.on("SIGINT", onSigint);
  const say = (text: string) => (options.json ? process.stderr : process.stdout).write(text);
  let failed = false;
  try {
    for await (const line of rl) {
      const input = parseChatInput(line);
      if (input.kind === "empty") continue;
      if (input.kind !== "question") {
        if (!runCommand(session, input, say)) break;
        continue;
      }
      if (!options.json) process.stdout.write(`> ${input.text}\n\n`);
      if (!(await answerAndPrint(session, input.text, options.json, abort.signal))) failed = true;
      if (abort.signal.aborted) break;
    }
  } finally {
    process.off("SIGINT", onSigint);
    rl.close();
    process.stdin.destroy();
  }
  return abort.signal.aborted ? 130 : failed ? 1 : 0;
}

/** The interactive prompt on a terminal. Resolves to the exit status (0 after Ctrl-D, /exit or a second Ctrl-C). */
export async function runInteractiveChat(session: ChatSession, options: ChatLoopOptions): Promise<number> {
  const stdin = process.stdin as ReadStream;
  // With --json the answers own stdout; the prompt and messages go to the terminal through stderr.
  const out = options.json ? process.stderr : process.stdout;
  const rl = readline.createInterface({ input: stdin, output: out, terminal: true, prompt: chatPrompt, historySize: 200 });
  const say = (text: string) => out.write(text);

  const queued: string[] = [];
  let waiting: ((line: string | null) => void) | null = null;
  let closed = false;
  let answering: AbortController | null = null;
  let quitArmed = false;

  rl.on("line", (line) => {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve(line);
    } else queued.push(line); // pasted lines arrive together; they are answered in turn
  });
  rl.on("close", () => {
    closed = true;
    waiting?.(null);
    waiting = null;
  });
  // At the prompt the terminal is raw, so Ctrl-C reaches readline, not the process.
  rl.on("SIGINT", () => {
    if (rl.line) {
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      quitArmed = false;
      return;
    }
    if (quitArmed) return rl.close();
    quitArmed = true;
    say("\n(To quit, press Ctrl-C again, press Ctrl-D or type /exit.)\n");
    rl.prompt();
  });
  stdin.on("keypress", (_text: string, key: { ctrl?: boolean; name?: string } | undefined) => {
    if (!(key?.ctrl && key.name === "c")) quitArmed = false;
  });
  // While an answer is written the terminal is cooked again, so Ctrl-C arrives as SIGINT and stops that answer.
  let interrupted = false;
  const onSigint = () => {
    if (answering) answering.abort();
    else {
      interrupted = true;
      rl.close();
    }
  };
  process.on("SIGINT", onSigint);

  const nextLine = () =>
    new Promise<string | null>((resolve) => {
      if (queued.length) return resolve(queued.shift()!);
      if (closed) return resolve(null);
      waiting = resolve;
      rl.prompt();
    });

  try {
    for (let line = await nextLine(); line !== null; line = await nextLine()) {
      const input = parseChatInput(line);
      if (input.kind === "empty") continue;
      if (input.kind !== "question") {
        if (!runCommand(session, input, say)) break;
        continue;
      }
      rl.pause();
      stdin.setRawMode(false);
      answering = new AbortController();
      try {
        if (!options.json) out.write("\n");
        await answerAndPrint(session, input.text, options.json, answering.signal);
        if (answering.signal.aborted && options.json) say("(stopped)\n");
      } finally {
        answering = null;
        if (!closed) {
          stdin.setRawMode(true);
          rl.resume();
        }
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    if (!closed) rl.close();
    out.write("\n");
    stdin.destroy();
  }
  return interrupted ? 130 : 0;
}
