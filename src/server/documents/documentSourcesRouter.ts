// What citations point at, for the page's preview: GET /v1/documents/file (a stored file's bytes) and
// GET /v1/documents/context (a chunk's passage in its surrounding text). Behind the same API-key check as all of /v1,
// and limited to the bases the key may see: another base's file or chunk answers 404, exactly as a missing one.
import path from "node:path";
import { Router } from "express";
import { z } from "zod";
import { callerOf, requestKbs } from "../http/access.js";
import { HttpError } from "../http/errors.js";
import { UnsafePathError, type DocumentSources } from "./documentSources.js";

const contextQuery = z.object({
  chunk: z.coerce.number().int().positive(),
  around: z.coerce.number().int().min(0).max(5000).default(600),
  /** Where the passage ends when it is a merged citation's (its pageEnd and charEnd); default the chunk's end. */
  charEnd: z.coerce.number().int().min(0).optional(),
  pageEnd: z.coerce.number().int().positive().optional(),
});

export function documentSourcesRouter(sources: DocumentSources): Router {
  const router = Router();

  /**
   * The bytes of one file the store lists: ?path=<path relative to its base's folder, as GET /v1/documents gives
   * it>&kb=<its base; default as elsewhere: `default`, or the key's bases>. 400 for an absolute or `..` path, 404 for
   * a path none of those bases lists (or gone from the inbox), 404 kb_not_found for a base the key may not see. The response
   * is sandboxed and, except for PDFs, an attachment: a document's HTML must never run as this site's page.
   */
  router.get("/v1/documents/file", async (req, res) => {
    const relative = typeof req.query.path === "string" ? req.query.path : "";
    if (!relative) throw new HttpError(400, "invalid_request", "path: expected ?path=<a document's path from GET /v1/documents>");
    const kbs = requestKbs(callerOf(res), req.query.kb, await sources.kbNames());
    let file;
    try {
      file = await sources.file(relative, { kbs });
    } catch (e) {
      if (e instanceof UnsafePathError) throw new HttpError(400, "invalid_request", e.message);
      throw e;
    }
    if (!file) throw new HttpError(404, "not_found", `no stored file ${JSON.stringify(relative.slice(0, 200))}`);
    const pdf = path.extname(file.path).toLowerCase() === ".pdf";
    res.set({
      "Content-Security-Policy": "sandbox; default-src 'none'",
      "Cache-Control": "no-store",
    });
    if (!pdf) res.attachment(path.basename(file.path));
    await new Promise<void>((resolve, reject) =>
      res.sendFile(file.absolute, { dotfiles: "allow", headers: pdf ? { "Content-Type": "application/pdf" } : {} }, (e) => (e ? reject(e) : resolve())),
    );
  });

  /**
   * A chunk's passage with the document's text around it: ?chunk=<citation chunkId>&around=<characters, default 600>,
   * and for a citation that merged neighbouring chunks &charEnd=<its charEnd>[&pageEnd=<its pageEnd>], &kb=<the
   * base(s) asked, as on /v1/ask>. {chunkId, documentId, kb, path, paths, page, pageEnd, location, before, passage,
   * after, moreBefore, moreAfter}; 404 if the chunk is no longer stored or not in those bases.
   */
  router.get("/v1/documents/context", async (req, res) => {
    const { kb, ...rest } = req.query;
    const kbs = requestKbs(callerOf(res), kb, await sources.kbNames());
    const parsed = contextQuery.safeParse(rest);
    if (!parsed.success)
      throw new HttpError(400, "invalid_request", "chunk: expected a positive whole number (a citation's chunkId); around: 0–5000; charEnd, pageEnd: whole numbers");
    const { chunk, around, charEnd, pageEnd } = parsed.data;
    const context = await sources.context(chunk, around, { kbs }, charEnd === undefined ? undefined : { pageEnd: pageEnd ?? null, charEnd });
    if (!context) throw new HttpError(404, "not_found", `no chunk ${chunk}`);
    res.json(context);
  });
  return router;
}
