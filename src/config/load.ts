// Reads settings from alpaca-rag.config.json or alpaca-rag.config.jsonc (or --config FILE), then ALPACA_RAG_*
// environment variables, then CLI flags, in rising priority, and validates the merged result against the one schema.
// Config files may carry comments and trailing commas (JSONC, what `alpaca-rag init` writes), read by jsonc-parser.
import fs from "node:fs";
import path from "node:path";
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { z } from "zod";
import { isModelPath, pathKeys, settingsSchema, storeUrlScheme, type Settings } from "./schema.js";

export const defaultConfigFileName = "alpaca-rag.config.json";
/** Looked for when alpaca-rag.config.json is absent; the name `alpaca-rag init` writes. */
export const defaultCommentedConfigFileName = "alpaca-rag.config.jsonc";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface LoadSettingsOptions {
  /** Working directory; default process.cwd(). */
  cwd?: string;
  /**
   * Explicit config file (--config). Missing file is an error; without it, ./alpaca-rag.config.json or else
   * ./alpaca-rag.config.jsonc is read if present (both present is an error: which one is meant?).
   */
  configFile?: string;
  /** Environment; default process.env. */
  env?: Record<string, string | undefined>;
  /** Values from CLI flags, as dotted keys ("chunk.size": 256). Undefined values are ignored. */
  overrides?: Record<string, unknown>;
}

type Leaf = { key: string; kind: "string" | "number" | "boolean" | "gpu" | "list" | "numberOrAuto" };

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s._def.innerType;
    else if (s instanceof z.ZodEffects) s = s._def.schema;
    else return s;
  }
}

/** Every leaf key of the schema with its value kind, e.g. {key: "chunk.size", kind: "number"}. */
export function settingLeaves(schema: z.ZodTypeAny = settingsSchema, prefix = ""): Leaf[] {
  const inner = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) throw new Error(`not an object schema at ${prefix}`);
  const leaves: Leaf[] = [];
  for (const [name, child] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const c = unwrap(child);
    if (c instanceof z.ZodObject) leaves.push(...settingLeaves(c, key));
    else if (c instanceof z.ZodNumber) leaves.push({ key, kind: "number" });
    else if (c instanceof z.ZodBoolean) leaves.push({ key, kind: "boolean" });
    else if (c instanceof z.ZodUnion && (c.options as z.ZodTypeAny[]).some((o) => unwrap(o) instanceof z.ZodNumber)) leaves.push({ key, kind: "numberOrAuto" });
    else if (c instanceof z.ZodUnion) leaves.push({ key, kind: "gpu" });
    else if (c instanceof z.ZodArray) leaves.push({ key, kind: "list" });
    else leaves.push({ key, kind: "string" });
  }
  return leaves;
}

/** "embedding.model" → "ALPACA_RAG_EMBEDDING_MODEL"; "generator.remoteModel" → "ALPACA_RAG_GENERATOR_REMOTE_MODEL". */
export function envNameFor(key: string): string {
  return "ALPACA_RAG_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/\./g, "_").toUpperCase();
}

function parseEnvValue(leaf: Leaf, raw: string, envName: string): unknown {
  switch (leaf.kind) {
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`${envName}: expected a number for ${leaf.key}, got "${raw}"`);
      return n;
    }
    case "numberOrAuto": {
      if (raw === "auto") return "auto";
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`${envName}: expected a number or auto for ${leaf.key}, got "${raw}"`);
      return n;
    }
    case "boolean":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new ConfigError(`${envName}: expected true or false for ${leaf.key}, got "${raw}"`);
    case "gpu":
      if (raw === "auto") return "auto";
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new ConfigError(`${envName}: expected auto, true or false for ${leaf.key}, got "${raw}"`);
    case "list":
      return raw.split(",").map((k) => k.trim()).filter(Boolean);
    default:
      return raw;
  }
}

function setDotted(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next == null || typeof next !== "object" || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function getDotted(source: unknown, key: string): unknown {
  let node: unknown = source;
  for (const part of key.split(".")) {
    if (node == null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    if (v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b))
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

/** Resolve the relative path-valued keys of one layer against `baseDir`. */
function resolvePaths(layer: Record<string, unknown>, baseDir: string): void {
  for (const key of pathKeys) {
    const value = getDotted(layer, key);
    if (typeof value !== "string") continue;
    if (key.endsWith(".model") || key.endsWith("Model")) {
      if (!isModelPath(value)) continue;
    }
    // A database URL (postgres://…) is not a path.
    if (key === "store" && storeUrlScheme(value) !== undefined) continue;
    if (!path.isAbsolute(value)) setDotted(layer, key, path.resolve(baseDir, value));
  }
}

function formatIssues(error: z.ZodError, origin: string): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.join(".") || "(root)";
      if (issue.code === "unrecognized_keys") {
        const prefix = issue.path.length ? `${issue.path.join(".")}.` : "";
        return `${origin}: unknown key ${issue.keys.map((k) => `"${prefix}${k}"`).join(", ")}`;
      }
      return `${origin}: ${key}: ${issue.message}`;
    })
    .join("\n");
}

function defaultConfigFile(cwd: string): string {
  const json = path.join(cwd, defaultConfigFileName);
  const jsonc = path.join(cwd, defaultCommentedConfigFileName);
  if (fs.existsSync(json) && fs.existsSync(jsonc))
    throw new ConfigError(`both ${json} and ${jsonc} exist: keep one, or name it with --config`);
  return fs.existsSync(jsonc) ? jsonc : json;
}

/** JSON with comments and trailing commas; a syntax error names the file, line and column. */
function parseConfigText(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const parsed: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length) {
    const { error, offset } = errors[0];
    const before = text.slice(0, offset).split("\n");
    throw new ConfigError(`${file}:${before.length}:${before[before.length - 1].length + 1}: not valid JSON (${printParseErrorCode(error)})`);
  }
  return parsed;
}

/** Load, merge and validate settings. Throws ConfigError naming the file or variable and the key. */
export function loadSettings(options: LoadSettingsOptions = {}): Settings & { configFile: string | null } {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let fileLayer: Record<string, unknown> = {};
  let configFile: string | null = null;

  const explicit = options.configFile ?? env.ALPACA_RAG_CONFIG;
  const candidate = explicit ? path.resolve(cwd, explicit) : defaultConfigFile(cwd);
  if (fs.existsSync(candidate)) {
    configFile = candidate;
    const parsed = parseConfigText(fs.readFileSync(candidate, "utf8"), candidate);
    if (parsed == null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new ConfigError(`${candidate}: expected a JSON object of settings`);
    // Validate the file on its own first, so its errors name the file.
    const own = settingsSchema.safeParse(parsed);
    if (!own.success) throw new ConfigError(formatIssues(own.error, candidate));
    fileLayer = structuredClone(parsed as Record<string, unknown>);
    resolvePaths(fileLayer, path.dirname(candidate));
  } else if (explicit) {
    throw new ConfigError(`config file not found: ${candidate}`);
  }

  const envLayer: Record<string, unknown> = {};
  for (const leaf of settingLeaves()) {
    const name = envNameFor(leaf.key);
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    setDotted(envLayer, leaf.key, parseEnvValue(leaf, raw, name));
  }
  const envCheck = settingsSchema.safeParse(envLayer);
  if (!envCheck.success)
    throw new ConfigError(
      envCheck.error.issues
        .map((i) => {
          // A list item's issue names the variable and the item: "ALPACA_RAG_SERVER_API_KEYS (server.apiKeys[1])".
          const key = i.path.filter((p) => typeof p === "string").join(".");
          const items = i.path.filter((p) => typeof p === "number").map((n) => `[${n}]`).join("");
          return `${envNameFor(key)}${items ? ` (${key}${items})` : ""}: ${i.message}`;
        })
        .join("\n"),
    );
  resolvePaths(envLayer, cwd);

  const flagLayer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.overrides ?? {})) if (value !== undefined) setDotted(flagLayer, key, value);
  resolvePaths(flagLayer, cwd);

  const defaultsLayer: Record<string, unknown> = {};
  const merged = deepMerge(deepMerge(deepMerge(defaultsLayer, fileLayer), envLayer), flagLayer);
  const result = settingsSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(result.error, "settings"));
  const settings = result.data;
  // Defaults are relative to the working directory.
  resolvePaths(settings as unknown as Record<string, unknown>, cwd);
  return { ...settings, configFile };
}
