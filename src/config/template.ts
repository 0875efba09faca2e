// The commented configuration file `alpaca-rag init` writes, generated from the settings schema itself (each setting's
// description, default and environment variable), so it lists every setting there is and cannot go stale.
// JSON has no comments, so the file is JSONC (JSON with comments and trailing commas, as VS Code and tsconfig.json
// use), named alpaca-rag.config.jsonc; loadSettings reads it with jsonc-parser.
import { z } from "zod";
import { envNameFor } from "./load.js";
import { settingsSchema } from "./schema.js";

const width = 112;

interface Peeled {
  inner: z.ZodTypeAny;
  description: string | undefined;
  /** The default value, when the schema has one. */
  fallback: { value: unknown } | null;
}

/** Strips default/optional/effects wrappers, keeping the outermost description and the default. */
function peel(schema: z.ZodTypeAny): Peeled {
  let s = schema;
  let description = schema.description;
  let fallback: Peeled["fallback"] = null;
  for (;;) {
    description ??= s.description;
    if (s instanceof z.ZodDefault) {
      fallback ??= { value: s._def.defaultValue() };
      s = s._def.innerType;
    } else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s._def.innerType;
    else if (s instanceof z.ZodEffects) s = s._def.schema;
    else return { inner: s, description, fallback };
  }
}

/** Words wrapped into `// ` comment lines of at most `width` characters at this indent. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + 3 + line.length + 1 + word.length > width) {
      lines.push(`${indent}// ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent}// ${line}`);
  return lines;
}

function kindOf(inner: z.ZodTypeAny): string {
  if (inner instanceof z.ZodNumber) return inner.isInt ? "a whole number" : "a number";
  if (inner instanceof z.ZodBoolean) return "true or false";
  if (inner instanceof z.ZodArray) return "a list";
  if (inner instanceof z.ZodEnum) return (inner.options as string[]).map((o) => JSON.stringify(o)).join(", ");
  if (inner instanceof z.ZodUnion) return '"auto", true or false';
  return "a string";
}

function renderObject(schema: z.ZodObject<z.ZodRawShape>, prefix: string, indent: string): string[] {
  const out: string[] = [];
  const entries = Object.entries(schema.shape as Record<string, z.ZodTypeAny>);
  entries.forEach(([name, child], i) => {
    const key = prefix ? `${prefix}.${name}` : name;
    const { inner, description, fallback } = peel(child);
    if (!description) throw new Error(`settings schema: ${key} has no description (add .describe(...) in config/schema.ts)`);
    if (i > 0) out.push("");
    out.push(...comment(description, indent));
    if (inner instanceof z.ZodObject) {
      out.push(`${indent}${JSON.stringify(name)}: {`);
      out.push(...renderObject(inner, key, `${indent}  `));
      out.push(`${indent}},`);
      return;
    }
    // A list in an environment variable is written comma-separated (see load.ts).
    const isList = inner instanceof z.ZodArray || (inner instanceof z.ZodEffects && peel(inner._def.schema).inner instanceof z.ZodArray);
    out.push(`${indent}// Environment: ${envNameFor(key)}${isList ? " (comma-separated)" : ""}`);
    if (fallback) out.push(`${indent}// ${JSON.stringify(name)}: ${JSON.stringify(fallback.value)},`);
    else out.push(`${indent}// ${JSON.stringify(name)} is not set by default (${kindOf(inner)}).`);
  });
  return out;
}

/** The whole file: every setting, commented out at its default, with what it does and its environment variable. */
export function renderConfigTemplate(): string {
  const root = peel(settingsSchema).inner as z.ZodObject<z.ZodRawShape>;
  const header = [
    "// alpaca-rag settings, written by `alpaca-rag init`.",
    "// Every setting is listed below at its default, commented out: delete the // in front of a line to change it.",
    "// Command-line flags override ALPACA_RAG_* environment variables, which override this file. Relative paths are",
    "// resolved against this file's folder. The format is JSON with comments and trailing commas (JSONC).",
  ];
  return [...header, "{", ...renderObject(root, "", "  "), "}", ""].join("\n");
}
