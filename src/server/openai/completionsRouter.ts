// POST /v1/completions: OpenAI's (legacy) text completions, for clients that send a bare prompt: the prompt is the
// question, the model (`alpaca-rag/<base>`) names the knowledge base as in chat completions, and the answer comes back
// as `choices[0].text` with a `citations` array beside the standard fields; JSON or streamed chunks and [DONE].
import crypto from "node:crypto";
import { Router } from "express";
import { z } from "zod";
import type { AskService } from "../ask/askService.js";
import { callerOf } from "../http/access.js";
import { HttpError } from "../http/errors.js";
import { requestDeadline } from "../http/limits.js";
import { respondWithAnswer } from "./answerResponse.js";
import { finishReason, resolveModel, usageOf, type OpenAiRouterOptions } from "./openaiRouter.js";
import type { OpenAiService } from "./openaiService.js";

/** The body of POST /v1/completions; sampling fields are accepted and ignored, as in chat completions. */
export const completionRequestSchema = z
  .object({
    model: z.string().optional(),
    prompt: z.union([z.string(), z.array(z.string()).length(1)]),
    stream: z.boolean().nullable().optional(),
    n: z.number().int().min(1).max(1).nullable().optional(),
    k: z.number().int().min(1).max(50).optional(),
  })
  .passthrough();

export function completionsRouter(ask: AskService, openai: OpenAiService, options: OpenAiRouterOptions): Router {
  const router = Router();
  router.post("/v1/completions", async (req, res) => {
    const body = completionRequestSchema.parse(req.body);
    const question = (Array.isArray(body.prompt) ? body.prompt[0] : body.prompt).trim();
    if (!question) throw new HttpError(400, "invalid_request", "prompt: empty");
    if (question.length > options.maxQuestionChars) throw new HttpError(400, "invalid_request", `prompt: longer than ${options.maxQuestionChars} characters`);
    const resolved = await resolveModel(res, ask, openai, body.model);
    if (!resolved) return;
    const { kbs, model } = resolved;
    const ticket = ask.reserve(callerOf(res).id);
    const deadline = requestDeadline(res, { timeoutMs: options.timeoutMs, shutdown: options.shutdown });
    const id = `cmpl-${crypto.randomUUID().replace(/-/g, "")}`;
    const created = Math.floor(Date.now() / 1000);
    const choice = (text: string, finish: string | null) => ({ text, index: 0, logprobs: null, finish_reason: finish });
    const chunk = (text: string, finish: string | null, extra: Record<string, unknown> = {}) => ({ id, object: "text_completion", created, model, choices: [choice(text, finish)], ...extra });
    await respondWithAnswer(res, ask, { ticket, deadline }, { question, kbs, k: body.k }, body.stream === true, {
      json: (answer) => ({ ...chunk(answer.answer, finishReason(answer, ask.maxTokens)), usage: usageOf(answer), citations: answer.citations }),
      text: (send, text) => send(chunk(text, null)),
      end: (send, answer) => send(chunk("", finishReason(answer, ask.maxTokens), { citations: answer.citations })),
    });
  });
  return router;
}
