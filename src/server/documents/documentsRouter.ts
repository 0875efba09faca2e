// The documents API: list (GET /v1/documents), upload and ingest (POST /v1/documents, multipart field "files"),
// delete (DELETE /v1/documents/:id), re-scan the inbox (POST /v1/ingest) and what is being ingested
// (GET /v1/ingest/status).
import fs from "node:fs";
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import { callerOf, canSee, kbField, requestKbs, requireRole, visibleKbs } from "../http/access.js";
import { HttpError } from "../http/errors.js";
import { uploadParser } from "../http/limits.js";
import { redactJson, type PathRedactor } from "../http/redact.js";
import type { DocumentsService } from "./documentsService.js";

export interface DocumentsRouterOptions {
  /** Largest uploaded file in bytes. */
  maxUploadBytes: number;
  /** Most files in one upload. */
  maxUploadFiles: number;
  /** Takes the server's file-system paths out of ingest summaries (store, inbox, failure reasons). */
  redact: PathRedactor;
}

/** The multipart field that carries the files. */
export const uploadField = "files";

const idSchema = z.coerce.number().int().positive();

/** The body of POST /v1/ingest: {kb?: "name" | ["a", "b"]}. */
const ingestRequestSchema = z.object({ kb: kbField }).strict();

export function documentsRouter(documents: DocumentsService, options: DocumentsRouterOptions): Router {
  const router = Router();
  const upload = uploadParser({
    stagingDir: documents.stagingDir,
    maxFileBytes: options.maxUploadBytes,
    maxFiles: options.maxUploadFiles,
    extensions: documents.extensions,
    field: uploadField,
  });

  /**
   * Every file of the store, and the extensions an upload accepts (the page's file chooser offers those):
   * {documents: [{id, path, kind, pages, chunks, bytes, ingestedAt}], extensions: [".pdf", …]}.
   */
  router.get("/v1/documents", async (req, res) => {
    const kbs = requestKbs(callerOf(res), req.query.kb, await documents.kbNames());
    res.json({ documents: await documents.list(kbs), extensions: documents.extensions });
  });

  /**
   * Multipart upload of one or more files of any format the ingest reads (field "files"). Each lands in the inbox under a safe name
   * that replaces nothing, then the inbox is ingested. Answers {files: [{name, savedAs, status, reason?}], ingest}.
   * 413 for a file or count over the limits, 415 for another type.
   */
  // The role is checked before a byte is received; the base once the form's fields are read (query `kb` or field `kb`).
  const mayWrite: RequestHandler = (_req, res, next) => {
    requireRole(callerOf(res), "write", "upload documents");
    next();
  };
  router.post("/v1/documents", mayWrite, upload, async (req, res) => {
    const files = (req.files ?? []) as Express.Multer.File[];
    try {
      if (!req.is("multipart/form-data")) throw new HttpError(415, "unsupported_media_type", `send multipart/form-data with the files in the field "${uploadField}"`);
      const kb = requestKbs(callerOf(res), req.query.kb ?? (req.body as Record<string, unknown> | undefined)?.kb, await documents.kbNames(), { single: true })[0];
      if (files.length === 0) throw new HttpError(400, "no_files", `no files in the field "${uploadField}"`);
      const result = await documents.upload(kb, files.map((f) => ({ originalName: f.originalname, stagedPath: f.path, size: f.size })));
      res.status(201).json(redactJson(result, options.redact));
    } catch (e) {
      // A refused upload leaves nothing staged behind.
      for (const f of files) fs.rmSync(f.path, { force: true });
      throw e;
    }
  });

  /** Deletes a document by id: its files leave the inbox and the store. {deleted: {id, paths, chunksRemoved}}; 404 if unknown. */
  router.delete("/v1/documents/:id", async (req, res) => {
    const caller = callerOf(res);
    requireRole(caller, "write", "delete documents");
    const parsed = idSchema.safeParse(req.params.id);
    if (!parsed.success) throw new HttpError(400, "invalid_request", "id: expected a positive whole number");
    const kb = requestKbs(caller, req.query.kb, await documents.kbNames(), { single: true })[0];
    const deleted = await documents.remove(kb, parsed.data);
    if (!deleted) throw new HttpError(404, "not_found", `no document ${parsed.data}`);
    res.json({ deleted });
  });

  /**
   * What is being ingested: {running, trigger ("watch"|"upload"|"request"|"startup"), filesDone, filesTotal,
   * currentFile, startedAt, watching, runs, lastFinishedAt, last: {trigger, finishedAt, seconds, added, updated,
   * unchanged, removed, skipped, chunks, failed: [{path, reason}], interrupted, error}}. Cheap: pages poll it.
   */
  router.get("/v1/ingest/status", (_req, res) => {
    const caller = callerOf(res);
    res.json(redactJson(documents.status((kb) => canSee(caller, kb)), options.redact));
  });

  /**
   * Re-scans the inbox (files added, changed or removed by hand) and answers with the ingest summary; `store` and
   * `inbox` in it are the folders' names, never their paths on the server.
   */
  router.post("/v1/ingest", async (req, res) => {
    const caller = callerOf(res);
    requireRole(caller, "write", "start an ingest");
    const body = ingestRequestSchema.parse(req.body ?? {});
    const existing = await documents.kbNames();
    // No `kb`: every base the key sees (a re-scan of the whole inbox for a full key).
    const kbs = body.kb === undefined ? visibleKbs(caller, existing) : requestKbs(caller, body.kb, existing);
    const ingests = redactJson(await documents.ingest(kbs), options.redact);
    res.json({ ingest: ingests[0] ?? null, ingests });
  });
  return router;
}
