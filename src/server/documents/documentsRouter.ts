// The documents API: list (GET /v1/documents), upload and ingest (POST /v1/documents, multipart field "files"),
// delete (DELETE /v1/documents/:id) and re-scan the inbox (POST /v1/ingest).
import { Router } from "express";
import { z } from "zod";
import { HttpError } from "../http/errors.js";
import { uploadParser } from "../http/limits.js";
import type { DocumentsService } from "./documentsService.js";

export interface DocumentsRouterOptions {
  /** Largest uploaded file in bytes. */
  maxUploadBytes: number;
  /** Most files in one upload. */
  maxUploadFiles: number;
}

/** The multipart field that carries the files. */
export const uploadField = "files";

const idSchema = z.coerce.number().int().positive();

export function documentsRouter(documents: DocumentsService, options: DocumentsRouterOptions): Router {
  const router = Router();
  const upload = uploadParser({
    stagingDir: documents.stagingDir,
    maxFileBytes: options.maxUploadBytes,
    maxFiles: options.maxUploadFiles,
    extensions: documents.extensions,
    field: uploadField,
  });

  /** Every file of the store: {documents: [{id, path, kind, pages, chunks, bytes, ingestedAt}]}. */
  router.get("/v1/documents", (_req, res) => {
    res.json({ documents: documents.list() });
  });

  /**
   * Multipart upload of one or more documents of any format ingest reads (field "files"). Each lands in the inbox under a safe name
   * that replaces nothing, then the inbox is ingested. Answers {files: [{name, savedAs, status, reason?}], ingest}.
   * 413 for a file or count over the limits, 415 for another type.
   */
  router.post("/v1/documents", upload, async (req, res) => {
    const files = (req.files ?? []) as Express.Multer.File[];
    if (!req.is("multipart/form-data")) throw new HttpError(415, "unsupported_media_type", `send multipart/form-data with the files in the field "${uploadField}"`);
    if (files.length === 0) throw new HttpError(400, "no_files", `no files in the field "${uploadField}"`);
    const result = await documents.upload(files.map((f) => ({ originalName: f.originalname, stagedPath: f.path, size: f.size })));
    res.status(201).json(result);
  });

  /** Deletes a document by id: its files leave the inbox and the store. {deleted: {id, paths, chunksRemoved}}; 404 if unknown. */
  router.delete("/v1/documents/:id", async (req, res) => {
    const parsed = idSchema.safeParse(req.params.id);
    if (!parsed.success) throw new HttpError(400, "invalid_request", "id: expected a positive whole number");
    const deleted = await documents.remove(parsed.data);
    if (!deleted) throw new HttpError(404, "not_found", `no document ${parsed.data}`);
    res.json({ deleted });
  });

  /** Re-scans the inbox (files added, changed or removed by hand) and answers with the ingest summary. */
  router.post("/v1/ingest", async (_req, res) => {
    res.json({ ingest: await documents.ingest() });
  });
  return router;
}
