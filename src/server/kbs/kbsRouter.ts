// The knowledge-bases API: list the bases a key may see (GET /v1/kbs, what the page's base picker shows), create
// (POST /v1/kbs), rename (PATCH /v1/kbs/:name) and delete (DELETE /v1/kbs/:name) them. Managing needs an admin key;
// creating and renaming need one that sees every base (a limited key cannot widen its own reach).
import { Router } from "express";
import { z } from "zod";
import { createKnowledgeBase, deleteKnowledgeBase, renameKnowledgeBase } from "../../ingest/knowledgeBases.js";
import type { KnowledgeBase } from "../../store/contract.js";
import { UnknownKbError } from "../../store/kb.js";
import type { DocumentsService } from "../documents/documentsService.js";
import { callerOf, canSee, requireAllKbs, requireRole } from "../http/access.js";
import { kbModelId } from "../openai/openaiService.js";

const nameBody = z.object({ name: z.string().min(1).max(200) }).strict();

/** A base as the API shows it: its counts and the model id OpenAI clients pick it by. */
export interface KbEntry extends KnowledgeBase {
  model: string;
}

export function kbsRouter(documents: DocumentsService, store: { listKbs(): Promise<KnowledgeBase[]> }, inbox: string): Router {
  const router = Router();

  /** {kbs: [{name, createdAt, files, documents, chunks, model}]}: only the bases this key may see. */
  router.get("/v1/kbs", async (_req, res) => {
    const caller = callerOf(res);
    const kbs: KbEntry[] = (await store.listKbs()).filter((k) => canSee(caller, k.name)).map((k) => ({ ...k, model: kbModelId(k.name) }));
    res.json({ kbs });
  });

  /** Body {name}: a new, empty base and its inbox folder. 201 {kb: {name}}; 409 when the name is taken. */
  router.post("/v1/kbs", async (req, res) => {
    const caller = callerOf(res);
    requireRole(caller, "admin", "manage knowledge bases");
    requireAllKbs(caller, "create knowledge bases");
    const { name } = nameBody.parse(req.body);
    await documents.manageKbs((writer) => createKnowledgeBase(writer, inbox, name));
    res.status(201).json({ kb: { name, model: kbModelId(name) } });
  });

  /** Body {name}: the base's new name (its folder moves too). {kb: {name}}. */
  router.patch("/v1/kbs/:name", async (req, res) => {
    const caller = callerOf(res);
    requireRole(caller, "admin", "manage knowledge bases");
    requireAllKbs(caller, "rename knowledge bases");
    const { name } = nameBody.parse(req.body);
    await documents.manageKbs((writer) => renameKnowledgeBase(writer, inbox, req.params.name, name));
    res.json({ kb: { name, model: kbModelId(name) } });
  });

  /** Deletes a base, its files, the documents only they used and its inbox folder. {deleted: {name, chunksRemoved}}. */
  router.delete("/v1/kbs/:name", async (req, res) => {
    const caller = callerOf(res);
    requireRole(caller, "admin", "manage knowledge bases");
    const name = req.params.name;
    if (!canSee(caller, name)) throw new UnknownKbError(name);
    const { chunksRemoved } = await documents.manageKbs((writer) => deleteKnowledgeBase(writer, inbox, name));
    res.json({ deleted: { name, chunksRemoved } });
  });
  return router;
}
