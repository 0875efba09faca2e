// OpenAI-compatible endpoints: POST /v1/chat/completions (RAG over the last user message, JSON or streamed chunks,
// with a `citations` array beside the standard fields) and GET /v1/models; the official `openai` client works as is.
import crypto from "node:crypto";
import { Router, type Response } from "express";
import { z } from "zod";
import type { Answer } from "../../qa/answer.js";
import { maxHistoryTurns } from "../ask/askRouter.js";
import type { AskService } from "../ask/askService.js";
import { UnknownKbError } from "../../store/kb.js";
import { callerOf, requestKbs, visibleKbs } from "../http/access.js";
import { HttpError } from "../http/errors.js";
import { requestDeadline } from "../http/limits.js";
import { respondWithAnswer } from "./answerResponse.js";
import { ChatConversionError, chatToAskRequest, kbModelId, kbOfModel, type OpenAiService } from "./openaiService.js";

export interface OpenAiRouterOptions {
  /** Longest question (the last user message) in characters. */
  maxQuestionChars: number;
  timeoutMs: number;
  shutdown: AbortSignal;
}

const contentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();

/**
 * The body of POST /v1/chat/completions. Standard fields the server cannot honour (temperature, max_tokens, tools…)
 * are accepted and ignored: the settings decide sampling. Extension: `k`, the sources to retrieve.
 * Example: {"model": "any", "messages": [{"role": "user", "content": "望月桥建于哪一年？"}], "stream": true}.
 */
export const chatCompletionRequestSchema = z
  .object({
    model: z.string().optional(),
    messages: z
      .array(
        z
          .object({
            role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
            content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
          })
          .passthrough(),
      )
      .min(1)
      .max(2 * maxHistoryTurns + 2),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullable().optional(),
    n: z.number().int().min(1).max(1).nullable().optional(),
    k: z.number().int().min(1).max(50).optional(),
  })
  .passthrough();

export type FinishReason = "stop" | "length";

export function finishReason(answer: Answer, maxTokens: number): FinishReason {
  return answer.mode === "generated" && answer.usage.completionTokens >= maxTokens ? "length" : "stop";
}

export function usageOf(answer: Answer) {
  const { promptTokens, completionTokens } = answer.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** 404 in OpenAI's error shape, which its clients turn into NotFoundError. */
export function modelNotFound(res: Response, id: string): void {
  res.status(404).json({
    error: { message: `The model ${JSON.stringify(id)} does not exist or this API key may not use it; GET /v1/models lists yours`, type: "invalid_request_error", param: "model", code: "model_not_found" },
  });
}

/**
 * The bases a request's `model` names (`alpaca-rag/<base>`; any other name: the default base) and the model id its
 * answer carries; null after answering 404 model_not_found, which a base the key may not see gets exactly as an
 * unknown model.
 */
export async function resolveModel(res: Response, ask: AskService, openai: OpenAiService, model: string | undefined): Promise<{ kbs: string[]; model: string } | null> {
  let kbs: string[];
  try {
    kbs = requestKbs(callerOf(res), kbOfModel(model), await ask.kbNames());
  } catch (e) {
    if (e instanceof UnknownKbError) {
      modelNotFound(res, model ?? "");
      return null;
    }
    throw e;
  }
  return { kbs, model: kbOfModel(model) === undefined ? openai.modelId : kbModelId(kbs[0]) };
}

export function openaiRouter(ask: AskService, openai: OpenAiService, options: OpenAiRouterOptions): Router {
  const router = Router();

  const visibleModels = async (res: Response) => openai.models(visibleKbs(callerOf(res), await ask.kbNames()));

  /** {object: "list", data: [{id: "alpaca-rag/<base>", object: "model", created, owned_by}]}: a model per base the key sees. */
  router.get("/v1/models", async (_req, res) => {
    res.json({ object: "list", data: await visibleModels(res) });
  });

  /** The card of one model (ids hold a '/'); 404 in OpenAI's error shape for any other. */
  router.get("/v1/models/*id", async (req, res) => {
    const raw = (req.params as { id?: string | string[] }).id;
    const id = Array.isArray(raw) ? raw.join("/") : (raw ?? "");
    const card = (await visibleModels(res)).find((m) => m.id === id);
    if (!card) return modelNotFound(res, id);
    res.json(card);
  });

  /**
   * A chat completion grounded in the documents. JSON: {id, object: "chat.completion", created, model, choices:
   * [{index, message: {role, content}, finish_reason}], usage, citations}. Streamed: chat.completion.chunk events
   * (role, then content deltas, then an empty delta with finish_reason and `citations`, then usage if
   * stream_options.include_usage), then `data: [DONE]`.
   */
  router.post("/v1/chat/completions", async (req, res) => {
    const body = chatCompletionRequestSchema.parse(req.body);
    const resolved = await resolveModel(res, ask, openai, body.model);
    if (!resolved) return;
    const { kbs, model } = resolved;
    let request;
    try {
      request = chatToAskRequest(body.messages, { k: body.k, kbs });
    } catch (e) {
      if (e instanceof ChatConversionError) throw new HttpError(400, "invalid_request", e.message);
      throw e;
    }
    if (request.question.length > options.maxQuestionChars)
      throw new HttpError(400, "invalid_request", `messages: the question is longer than ${options.maxQuestionChars} characters`);
    const ticket = ask.reserve(callerOf(res).id);
    const deadline = requestDeadline(res, { timeoutMs: options.timeoutMs, shutdown: options.shutdown });
    const id = `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      ({ id, object: "chat.completion.chunk", created, model, system_fingerprint: null, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
    await respondWithAnswer(res, ask, { ticket, deadline }, request, body.stream === true, {
      json: (answer) => ({
        id,
        object: "chat.completion",
        created,
        model,
        system_fingerprint: null,
        choices: [{ index: 0, message: { role: "assistant", content: answer.answer, refusal: null }, logprobs: null, finish_reason: finishReason(answer, ask.maxTokens) }],
        usage: usageOf(answer),
        citations: answer.citations,
      }),
      start: (send) => send(chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }])),
      text: (send, text) => send(chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }])),
      end: (send, answer) => {
        send(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(answer, ask.maxTokens) }], { citations: answer.citations }));
        if (includeUsage) send(chunk([], { usage: usageOf(answer) }));
      },
    });
  });
  return router;
}
