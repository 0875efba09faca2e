// Runs the real alpaca-rag CLI in a pseudo-terminal through tmux (a private tmux server per test run), so tests can
// type keys, press Ctrl-C/Ctrl-D and read the screen as a person would.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { projectRoot, tempDir } from "./helpers.js";

export interface Terminal {
  /** Types text; `enter` presses Enter after it. */
  type(text: string, enter?: boolean): void;
  /** Presses keys by tmux name: "C-c", "C-d", "BSpace". */
  press(...keys: string[]): void;
  /** Everything the pane has shown, wrapped lines joined. */
  screen(): string;
  /** Polls the screen until `test` passes; returns that screen. Fails with the screen at the deadline. */
  waitFor(test: RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Resolves to the exit status once the program has ended. */
  exitStatus(timeoutMs?: number): Promise<number>;
  close(): void;
}

let sessions = 0;

export function startInTerminal(args: string[], env: Record<string, string> = {}): Terminal {
  const socket = `alpaca-rag-test-${process.pid}`;
  const name = `chat${++sessions}`;
  const tmux = (...a: string[]) => execFileSync("tmux", ["-L", socket, "-f", "/dev/null", ...a], { cwd: projectRoot, encoding: "utf8" });
  // tmux 3.3 sometimes marks a pane dead without recording the status, so a small shell writes it to a file; it
  // traps Ctrl-C with a no-op so it outlives the SIGINTs meant for the program (which gets default handlers back).
  const statusFile = path.join(tempDir("alpaca-rag-tty-"), "status");
  const envArgs = Object.entries({ ALPACA_RAG_HF_ENDPOINT: "https://offline.invalid/", STATUS_FILE: statusFile, ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const program = [process.execPath, "--import", "tsx", "src/cli/main.ts", ...args];
  tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "50", "-c", projectRoot, ...envArgs, "--", "sh", "-c", 'trap : INT; "$@"; echo $? > "$STATUS_FILE"', "sh", ...program);
  // Keep the pane after the program ends so the screen can still be read.
  tmux("set-option", "-t", name, "remain-on-exit", "on");
  const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name);
  const poll = async <T>(read: () => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    type(text, enter = false) {
      tmux("send-keys", "-t", name, "-l", text);
      if (enter) tmux("send-keys", "-t", name, "Enter");
    },
    press(...keys) {
      tmux("send-keys", "-t", name, ...keys);
    },
    screen,
    waitFor(test, timeoutMs = 60_000) {
      const ok = typeof test === "function" ? test : (s: string) => test.test(s);
      return poll(() => {
        const s = screen();
        return ok(s) ? s : undefined;
      }, String(test), timeoutMs);
    },
    exitStatus(timeoutMs = 30_000) {
      return poll(() => {
        const text = fs.existsSync(statusFile) ? fs.readFileSync(statusFile, "utf8").trim() : "";
        return text === "" ? undefined : Number(text);
      }, "the program to exit", timeoutMs);
    },
    close() {
      try {
        tmux("kill-session", "-t", name);
      } catch {
        // already gone
      }
    },
  };
}
