// GET /v1/info: how this server answers, in words a person can act on: which model writes the answers (or that they
// are extracted sentences, and how to get a model), and which embedder the search uses (or that it is lexical only).
// The page shows it; scripts can check it. Also what the asking key may do (`access`), so the page offers only what
// will work (a "new base" form for a key that may create bases).
import { Router } from "express";
import { generatorPullCommand, type QaEngine } from "../../qa/engine.js";
import { callerOf, type Role } from "../http/access.js";
import type { PathRedactor } from "../http/redact.js";

/** {answers: {mode, model, note}, search: {mode, embedder}}. Example: extractive answers over a lexical index. */
export interface ServerInfo {
  answers: {
    mode: "generated" | "extractive";
    /** The generator's name (preset, file or remote model), or null in extractive mode. */
    model: string | null;
    /** Why answers are extractive, and how to change it (the command that pulls a model); empty when generated. */
    note: string;
    /** In extractive mode, why: generator.model is "none" (disabled) or no answer model is downloaded; null when generated. */
    reason: "disabled" | "not-downloaded" | null;
    /** In extractive mode, the one command that pulls an answer model; null when generated. */
    pullCommand: string | null;
  };
  search: {
    mode: "hybrid" | "lexical";
    /** The embedding model's file name, or null for a lexical-only store. */
    embedder: string | null;
  };
}

/** What the key asking may do: its role, and whether it may create bases (an admin key of every base). */
export interface CallerAccess {
  role: Role;
  createKbs: boolean;
}

export function serverInfo(engine: QaEngine, redact: PathRedactor): ServerInfo {
  const generator = engine.generator;
  const embedder = engine.embedder;
  return {
    answers: generator
      ? { mode: "generated", model: generator.name, note: "", reason: null, pullCommand: null }
      : {
          mode: "extractive",
          model: null,
          note: redact(engine.generatorNote),
          reason: engine.settings.generator.model === "none" ? "disabled" : "not-downloaded",
          pullCommand: generatorPullCommand,
        },
    search: { mode: embedder ? "hybrid" : "lexical", embedder: embedder ? embedder.identity.name : null },
  };
}

export function infoRouter(engine: QaEngine, redact: PathRedactor): Router {
  const router = Router();
  router.get("/v1/info", (_req, res) => {
    const caller = callerOf(res);
    const access: CallerAccess = { role: caller.role, createKbs: caller.role === "admin" && caller.kbs === "all" };
    res.json({ ...serverInfo(engine, redact), access });
  });
  return router;
}
