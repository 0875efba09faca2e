// What one request may send and how long it may take: the JSON body cap, the multipart upload caps (size, count,
// type), and the deadline that aborts an answer when it runs too long or its client leaves.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import express, { type RequestHandler, type Response } from "express";
import multer from "multer";
import { HttpError } from "./errors.js";

/** Parses JSON bodies up to `maxBytes`; a larger one fails with 413 before it is read whole. */
export function jsonBody(maxBytes: number): RequestHandler {
  return express.json({ limit: maxBytes, strict: true });
}

export interface UploadLimits {
  /** Folder the parts are streamed to under random names (the service moves them into place). */
  stagingDir: string;
  /** Largest file in bytes. */
  maxFileBytes: number;
  /** Most files in one request. */
  maxFiles: number;
  /** Accepted extensions, lower case with the dot (".pdf"). */
  extensions: readonly string[];
  /** The multipart field holding the files. */
  field: string;
}

/**
 * Multipart parser for uploads: files stream to disk under random names (never the client's), so a name can
 * neither escape a folder nor replace a file here; a wrong type is refused with 415 before its bytes are stored.
 */
export function uploadParser(limits: UploadLimits): RequestHandler {
  const storage = multer.diskStorage({
    destination: (_req, _file, cb) => {
      fs.mkdir(limits.stagingDir, { recursive: true }, (error) => cb(error ?? null, limits.stagingDir));
    },
    filename: (_req, _file, cb) => cb(null, `${crypto.randomUUID()}.part`),
  });
  return multer({
    storage,
    limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 20, fieldSize: 64 * 1024, parts: limits.maxFiles + 20 },
    fileFilter: (_req, file, cb) => {
      // The extension as the client named it, after any folder parts in either separator style.
      const base = file.originalname.split(/[\\/]/).pop() ?? "";
      const ext = path.extname(base).toLowerCase();
      if (limits.extensions.includes(ext)) return cb(null, true);
      cb(new HttpError(415, "unsupported_file_type", `${JSON.stringify(base)}: only ${limits.extensions.join(", ")} files are accepted`));
    },
  }).array(limits.field, limits.maxFiles);
}

export type AbortCause = "timeout" | "client" | "shutdown";

export interface RequestDeadline {
  signal: AbortSignal;
  /** Why the signal aborted, or null while it has not. */
  readonly cause: AbortCause | null;
  /** Stops the timer and the listeners once the response is complete. */
  dispose(): void;
}

export interface RequestDeadlineOptions {
  timeoutMs: number;
  /** Aborts too when this does (server shutdown). */
  shutdown?: AbortSignal;
}

/**
 * An AbortSignal for one request's work that fires on its deadline, on server shutdown, and when the client goes
 * away before the response is complete (the response's "close" without "finish"; a request's own "close" only says
 * its body was read).
 */
export function requestDeadline(res: Response, options: RequestDeadlineOptions): RequestDeadline {
  const controller = new AbortController();
  let cause: AbortCause | null = null;
  const abort = (why: AbortCause) => {
    if (controller.signal.aborted) return;
    cause = why;
    controller.abort(new HttpError(why === "timeout" ? 504 : 503, why === "timeout" ? "timeout" : why === "client" ? "client_closed" : "shutting_down",
      why === "timeout" ? `no answer within ${options.timeoutMs} ms` : why === "client" ? "client closed the connection" : "the server is shutting down"));
  };
  const timer = setTimeout(() => abort("timeout"), options.timeoutMs);
  timer.unref();
  const onClose = () => {
    if (!res.writableFinished) abort("client");
  };
  const onShutdown = () => abort("shutdown");
  res.on("close", onClose);
  options.shutdown?.addEventListener("abort", onShutdown, { once: true });
  if (options.shutdown?.aborted) onShutdown();
  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    dispose() {
      clearTimeout(timer);
      res.off("close", onClose);
      options.shutdown?.removeEventListener("abort", onShutdown);
    },
  };
}
