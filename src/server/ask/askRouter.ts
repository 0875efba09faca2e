// POST /v1/ask: one question, answered from the documents with numbered citations; JSON, or Server-Sent Events.
import { Router, type Response } from "express";
import { z } from "zod";
import type { Answer } from "../../qa/answer.js";
import { callerOf, kbField, requestKbs } from "../http/access.js";
import { errorBody, toHttpError } from "../http/errors.js";
import { requestDeadline } from "../http/limits.js";
import { openEventStream } from "../http/sse.js";
import type { AskService } from "./askService.js";

export interface AskRouterOptions {
  /** Longest question in characters. */
  maxQuestionChars: number;
  /** Deadline of one request, queue wait included. */
  timeoutMs: number;
  /** Aborts every request's work when the server shuts down. */
  shutdown: AbortSignal;
}

/** Most earlier turns a request may carry; older ones would not fit the window anyway. */
export const maxHistoryTurns = 50;

/** The body of POST /v1/ask. Example: {"question": "望月桥建于哪一年？", "k": 4, "stream": true}. */
export function askRequestSchema(maxQuestionChars: number) {
  const text = z.string().max(maxQuestionChars, `longer than ${maxQuestionChars} characters`);
  return z
    .object({
      /** The question, in Chinese or English. */
      question: text.refine((q) => q.trim().length > 0, "empty"),
      /** Sources to retrieve (1–50); default retrieval.k. */
      k: z.number().int().min(1).max(50).optional(),
      /** Stream Server-Sent Events (token…, citations, done) instead of one JSON answer. */
      stream: z.boolean().optional(),
      /** Earlier turns of the conversation, oldest first. */
      history: z.array(z.object({ user: text, assistant: text }).strict()).max(maxHistoryTurns).optional(),
      /** Ask for a detailed answer (the long system prompt). */
      longAnswer: z.boolean().optional(),
      /** Knowledge base(s) to answer from: a name, "a,b" or a list; default "default" (or the key's bases). */
      kb: kbField,
    })
    .strict();
}

/** The `done` event: the answer object without its citations (sent just before) — text, mode, model, timings, usage. */
export function doneEvent(answer: Answer): Omit<Answer, "citations"> {
  const { citations: _citations, ...rest } = answer;
  return rest;
}

export function askRouter(ask: AskService, options: AskRouterOptions): Router {
  const router = Router();
  const schema = askRequestSchema(options.maxQuestionChars);

  /**
   * Answers `question` from the indexed documents. JSON: the answer object (answer, mode, citations, timings, usage…).
   * With `stream: true`: `token` events ({text}) as the answer is written, one `citations` event ({citations}), then
   * `done` (the rest of the answer object); a failure after the stream began is an `error` event ({error}).
   * 503 with Retry-After when the queue is full; 504 when the answer takes longer than the server allows.
   */
  router.post("/v1/ask", async (req, res: Response) => {
    const body = schema.parse(req.body);
    const kbs = requestKbs(callerOf(res), body.kb, await ask.kbNames());
    const ticket = ask.reserve();
    const deadline = requestDeadline(res, { timeoutMs: options.timeoutMs, shutdown: options.shutdown });
    const request = { question: body.question, kbs, k: body.k, history: body.history, longAnswer: body.longAnswer };
    try {
      if (!body.stream) {
        const answer = await ask.answer(ticket, request, { signal: deadline.signal });
        if (deadline.cause) throw deadline.signal.reason;
        res.json(answer);
        return;
      }
      const stream = openEventStream(res);
      try {
        const answer = await ask.answer(ticket, request, { signal: deadline.signal, onText: (text) => stream.send("token", { text }) });
        if (deadline.cause) throw deadline.signal.reason;
        stream.send("citations", { citations: answer.citations });
        stream.send("done", doneEvent(answer));
      } catch (e) {
        const http = toHttpError(e);
        stream.send("error", errorBody(http.code, http.message));
        // On to the error handler, which logs an unexpected error and ends the response.
        throw e;
      } finally {
        stream.end();
      }
    } finally {
      ticket.release();
      deadline.dispose();
    }
  });
  return router;
}
