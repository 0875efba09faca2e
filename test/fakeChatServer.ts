// A stand-in for an OpenAI-compatible chat server (what generator.url points at), for tests that must see the messages
// a conversation sends or stop an answer mid-stream: it records every request and streams Server-Sent Events.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface FakeChatServer {
  /** e.g. http://127.0.0.1:PORT/v1, for generator.url. */
  url: string;
  /** Messages of each request, in arrival order. */
  requests: ChatMessage[][];
  /** Requests whose client went away before the answer ended. */
  disconnected: number;
  close(): Promise<void>;
}

/**
 * Answers request N with "Answer N from the sources [1]." in a few pieces. A question containing "slowly" gets an
 * endless answer, one word every 50 ms, until the client hangs up.
 */
export async function startFakeChatServer(): Promise<FakeChatServer> {
  const state = { requests: [] as ChatMessage[][], disconnected: 0 };
  const server = http.createServer((req, res) => {
    // What a generator asks first when generator.remoteModel is not set: the server's model name.
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "fake-chat", object: "model" }] }));
      return;
    }
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const messages = (JSON.parse(body) as { messages: ChatMessage[] }).messages;
      state.requests.push(messages);
      const n = state.requests.length;
      const question = messages.at(-1)!.content;
      res.writeHead(200, { "content-type": "text/event-stream" });
      const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      const piece = (content: string) => send({ choices: [{ delta: { content }, finish_reason: null }] });
      if (question.includes("slowly")) {
        let i = 0;
        const timer = setInterval(() => piece(`word${i++} `), 50);
        res.on("close", () => {
          clearInterval(timer);
          if (!res.writableFinished) state.disconnected += 1;
        });
        return;
      }
      for (const p of [`Answer ${n} `, "from the ", "sources [1]."]) piece(p);
      send({ choices: [{ delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 100, completion_tokens: 6 } });
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get disconnected() {
      return state.disconnected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
