// One answer for an OpenAI-compatible endpoint (chat or text completions): the generation queue's place and the
// request's deadline are held for exactly the answer's life, and the answer goes back either as one JSON body or as a
// stream of chunks ended by [DONE]. The endpoints differ only in the shape of their bodies and chunks.
import type { Response } from "express";
import type { AskAnswer, AskRequest, AskService } from "../ask/askService.js";
import { toHttpError } from "../http/errors.js";
import type { RequestDeadline } from "../http/limits.js";
import { openEventStream } from "../http/sse.js";

/** How one endpoint shapes its answer: the JSON body, or the streamed chunks (first, each piece of text, last). */
export interface AnswerShape {
  json(answer: AskAnswer): unknown;
  /** Chunks sent before the first text (chat's role chunk); optional. */
  start?(send: (payload: unknown) => void): void;
  text(send: (payload: unknown) => void, text: string): void;
  /** The closing chunks (finish reason, citations, usage). */
  end(send: (payload: unknown) => void, answer: AskAnswer): void;
}

/**
 * Answers `request` with the caller's `ticket` and `deadline` (both released at the end, whatever happens). A failure
 * before a stream began goes to the error handler as usual; after, it is sent as an `error` chunk (the openai client
 * raises an APIError for it) and then goes on to the error handler, which logs it and ends the response.
 */
export async function respondWithAnswer(
  res: Response,
  ask: AskService,
  place: { ticket: ReturnType<AskService["reserve"]>; deadline: RequestDeadline },
  request: AskRequest,
  stream: boolean,
  shape: AnswerShape,
): Promise<void> {
  const { ticket, deadline } = place;
  try {
    if (!stream) {
      const answer = await ask.answer(ticket, request, { signal: deadline.signal });
      if (deadline.cause) throw deadline.signal.reason;
      res.json(shape.json(answer));
      return;
    }
    const events = openEventStream(res);
    const send = (payload: unknown) => events.send(null, payload);
    try {
      shape.start?.(send);
      const answer = await ask.answer(ticket, request, { signal: deadline.signal, onText: (text) => shape.text(send, text) });
      if (deadline.cause) throw deadline.signal.reason;
      shape.end(send, answer);
      events.send(null, "[DONE]");
    } catch (e) {
      const http = toHttpError(e);
      send({ error: { code: http.code, message: http.message, type: http.code } });
      throw e;
    } finally {
      events.end();
    }
  } finally {
    ticket.release();
    deadline.dispose();
  }
}
