// Every failure leaves the server as JSON {error: {code, message}} with a fitting status; stacks stay in the log.
import type { ErrorRequestHandler, RequestHandler } from "express";
import multer from "multer";
import { z } from "zod";
import { IngestFatalError } from "../../ingest/pipeline.js";
import { BackendError, NoBackendError } from "../../models/backendPool.js";
import { QuestionError } from "../../qa/answer.js";
import { PromptTooLongError } from "../../qa/pack.js";
import { KbExistsError, KbNameError, UnknownKbError } from "../../store/kb.js";
import { StoreLockedError } from "../../store/lock.js";
import { EmbedderMismatchError } from "../../store/embedding.js";
import { QueueFullError } from "./generationQueue.js";

/** An error meant for the client: its status, a stable machine code, a message for people, and extra headers. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** "messages.0.content: Required; k: Number must be less than or equal to 50". */
function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === "unrecognized_keys") return `unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}`;
      return `${i.path.join(".") || "body"}: ${i.message}`;
    })
    .join("; ");
}

const multerCodes: Record<string, { status: number; code: string }> = {
  LIMIT_FILE_SIZE: { status: 413, code: "file_too_large" },
  LIMIT_FILE_COUNT: { status: 413, code: "too_many_files" },
  LIMIT_PART_COUNT: { status: 413, code: "too_many_parts" },
  LIMIT_FIELD_COUNT: { status: 413, code: "too_many_fields" },
  LIMIT_FIELD_KEY: { status: 400, code: "invalid_upload" },
  LIMIT_FIELD_VALUE: { status: 413, code: "field_too_large" },
  LIMIT_UNEXPECTED_FILE: { status: 400, code: "unexpected_file_field" },
  MISSING_FIELD_NAME: { status: 400, code: "invalid_upload" },
};

/** Turns anything thrown into an HttpError; unknown errors become a bare 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof z.ZodError) return new HttpError(400, "invalid_request", describeZodError(error));
  if (error instanceof QueueFullError)
    return new HttpError(503, "overloaded", error.message, { "Retry-After": String(error.retryAfterSeconds) });
  // A question that fits the character limit may still not fit the model's window: the client's to shorten.
  if (error instanceof QuestionError || error instanceof PromptTooLongError) return new HttpError(400, "invalid_request", error.message);
  if (error instanceof multer.MulterError) {
    const mapped = multerCodes[error.code] ?? { status: 400, code: "invalid_upload" };
    const field = error.field ? ` (field "${error.field}")` : "";
    return new HttpError(mapped.status, mapped.code, `${error.message}${field}`);
  }
  // Every model server of a pool refused or is out: the client may come back once one is.
  if (error instanceof NoBackendError) return new HttpError(503, "backends_unavailable", error.message, { "Retry-After": "5" });
  // A model server refused this request itself (a 4xx: too long for its window, say) or broke off mid-answer.
  if (error instanceof BackendError) return new HttpError(502, "backend_error", error.message);
  // An unknown base and one the key may not see answer alike (see access.ts), so names never leak.
  if (error instanceof UnknownKbError) return new HttpError(404, "kb_not_found", error.message);
  if (error instanceof KbExistsError) return new HttpError(409, "kb_exists", error.message);
  if (error instanceof KbNameError) return new HttpError(400, "invalid_request", error.message);
  if (error instanceof StoreLockedError) return new HttpError(409, "store_locked", error.message);
  if (error instanceof EmbedderMismatchError || error instanceof IngestFatalError) return new HttpError(409, "ingest_refused", error.message);
  // body-parser (express.json) marks its errors with a status and a type.
  const e = error as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof e?.status === "number" && typeof e.type === "string") {
    if (e.type === "entity.too.large") return new HttpError(413, "body_too_large", "request body is larger than the server accepts");
    if (e.type === "entity.parse.failed") return new HttpError(400, "invalid_json", "request body is not valid JSON");
    if (e.type === "encoding.unsupported" || e.type === "charset.unsupported") return new HttpError(415, "unsupported_encoding", String(e.message));
    if (e.status >= 400 && e.status < 500) return new HttpError(e.status, "bad_request", String(e.message));
  }
  return new HttpError(500, "internal_error", "internal server error");
}

/** The last route: nothing matched. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, "not_found", `no route for ${req.method} ${req.path}`));
};

export interface ErrorHandlerOptions {
  /** Where unexpected errors (500s) are reported with their stack. */
  logError: (error: unknown) => void;
  /** Milliseconds to hold a 503 "overloaded" reply (server.shedDelayMs); 0 or absent: at once. */
  shedDelayMs?: number;
  /** Rewrites messages before they leave (file-system paths out); default: unchanged. */
  redact?: (message: string) => string;
}

/** The error middleware: JSON for the client, the stack for the log. */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const http = toHttpError(error);
    // Only the unknown get a stack in the log; a shed request (503 overloaded) is expected, and logging each one would
    // flood the log exactly when the server is busiest.
    if (http.code === "internal_error" && !(error instanceof HttpError)) options.logError(error);
    if (res.headersSent) {
      // A stream already started: its own error event was sent (see sse.ts); just end it.
      res.end();
      return;
    }
    const reply = () => {
      const message = options.redact ? options.redact(http.message) : http.message;
      if (!res.headersSent && !res.writableEnded) res.status(http.status).set(http.headers).json(errorBody(http.code, message));
    };
    const delay = http.code === "overloaded" ? (options.shedDelayMs ?? 0) : 0;
    if (delay > 0) setTimeout(reply, delay);
    else reply();
  };
}
