// POST /v1/search: the chunks that best match a query, ranked, with file, page and text; no generation.
import { Router } from "express";
import { z } from "zod";
import { callerOf, kbField, requestKbs } from "../http/access.js";
import type { SearchService } from "./searchService.js";

/** The body of POST /v1/search. Example: {"query": "seed library opening hours", "k": 5}. */
export function searchRequestSchema(maxQueryChars: number) {
  return z
    .object({
      /** What to look for. */
      query: z.string().max(maxQueryChars, `longer than ${maxQueryChars} characters`).refine((q) => q.trim().length > 0, "empty"),
      /** Results to return (1–50); default retrieval.k. */
      k: z.number().int().min(1).max(50).optional(),
      /** Knowledge base(s) to search: a name, "a,b" or a list; default "default" (or the key's bases). */
      kb: kbField,
    })
    .strict();
}

export function searchRouter(search: SearchService, options: { maxQueryChars: number }): Router {
  const router = Router();
  const schema = searchRequestSchema(options.maxQueryChars);
  /** Ranked chunks: {query, mode, results: [{rank, source, page, score, text, …}], timings}. */
  router.post("/v1/search", async (req, res) => {
    const body = schema.parse(req.body);
    const kbs = requestKbs(callerOf(res), body.kb, await search.kbNames());
    res.json(await search.search(body.query, kbs, body.k));
  });
  return router;
}
