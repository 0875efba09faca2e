// The prompt templates users can edit (prompts/*.txt): loading and checking them at start-up, choosing the question's
// language, numbering the sources, and filling placeholders in one pass so document text is never re-substituted.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface PromptTemplates {
  /** Default system prompt. */
  system: string;
  /** System prompt asking for long, reasoned answers. */
  systemLong: string;
  /** Chat-model instruction for Chinese questions; {sources} and {question}. */
  ragZh: string;
  /** Chat-model instruction for other questions; {sources} and {question}. */
  ragEn: string;
  /** Base-model completion prompt for Chinese questions; {sources} and {question}, ends in an answer cue. */
  completionZh: string;
  /** Base-model completion prompt for other questions. */
  completionEn: string;
}

export type PromptTemplateName = keyof PromptTemplates;

export interface LoadPromptTemplatesOptions {
  /** Folder holding the template files. Default: the `prompts/` folder shipped with alpaca-rag. */
  dir?: string;
  /** A different file for single templates, e.g. {ragZh: "my-rag.txt"}; relative paths resolve against the cwd. */
  overrides?: Partial<Record<PromptTemplateName, string>>;
}

export class PromptTemplateError extends Error {
  override name = "PromptTemplateError";
}

interface TemplateSpec {
  file: string;
  /** Placeholders the template must contain; no other {name} may appear. */
  placeholders: readonly string[];
}

const ragPlaceholders = ["sources", "question"] as const;

export const templateSpecs: Readonly<Record<PromptTemplateName, TemplateSpec>> = {
  system: { file: "system.txt", placeholders: [] },
  systemLong: { file: "system-long.txt", placeholders: [] },
  ragZh: { file: "rag-zh.txt", placeholders: ragPlaceholders },
  ragEn: { file: "rag-en.txt", placeholders: ragPlaceholders },
  completionZh: { file: "completion-zh.txt", placeholders: ragPlaceholders },
  completionEn: { file: "completion-en.txt", placeholders: ragPlaceholders },
};

/** `{name}` with an identifier inside; other braces (JSON, "{ }") are ordinary text. */
const placeholderPattern = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The prompts/ folder at the package root (two levels above src/qa or dist/qa). */
export const defaultPromptsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "prompts");

export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(placeholderPattern)].map((m) => m[1]))];
}

/** Throws naming `file` when a required placeholder is missing or an unknown one is present. */
export function checkTemplate(template: string, placeholders: readonly string[], file: string): void {
  const found = placeholdersIn(template);
  const missing = placeholders.filter((p) => !found.includes(p));
  if (missing.length > 0)
    throw new PromptTemplateError(`${file}: missing placeholder ${missing.map((p) => `{${p}}`).join(", ")}`);
  const unknown = found.filter((p) => !placeholders.includes(p));
  if (unknown.length > 0) {
    const allowed = placeholders.length > 0 ? `allowed: ${placeholders.map((p) => `{${p}}`).join(", ")}` : "this file takes none";
    throw new PromptTemplateError(`${file}: unknown placeholder ${unknown.map((p) => `{${p}}`).join(", ")} (${allowed})`);
  }
}

function readTemplate(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PromptTemplateError(`${file}: cannot read prompt template (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Editors add a BOM, CRLF line ends and a final newline; none of them belong in a prompt.
  return text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").trimEnd();
}

/** Reads and checks every template; run at start-up so a broken edit fails before any question is asked. */
export function loadPromptTemplates(options: LoadPromptTemplatesOptions = {}): PromptTemplates {
  const dir = options.dir ?? defaultPromptsDir;
  const entries = (Object.keys(templateSpecs) as PromptTemplateName[]).map((name) => {
    const spec = templateSpecs[name];
    const override = options.overrides?.[name];
    const file = override ? path.resolve(override) : path.join(dir, spec.file);
    const text = readTemplate(file);
    checkTemplate(text, spec.placeholders, file);
    return [name, text] as const;
  });
  return Object.fromEntries(entries) as unknown as PromptTemplates;
}

/**
 * Replaces every {name} in one pass over the template only: text inside a value (a document quoting "{question}")
 * is copied as is. A placeholder without a value is a programming error and throws.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(placeholderPattern, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new PromptTemplateError(`no value for placeholder {${name}}`);
    return value;
  });
}

/** Share of Han characters among letters at or above which a question counts as Chinese. */
const chineseShare = 0.2;

/**
 * "zh" when Han characters make up at least a fifth of the question's letters (Latin letters counted one by one, so a
 * Chinese question quoting English terms stays Chinese), else "en". No letters at all: "zh".
 */
export function questionLanguage(text: string): "zh" | "en" {
  const han = text.match(/\p{Script=Han}/gu)?.length ?? 0;
  const latin = text.match(/\p{Script=Latin}/gu)?.length ?? 0;
  if (han + latin === 0) return "zh";
  return han / (han + latin) >= chineseShare ? "zh" : "en";
}

/** A chunk as shown to the model, with the number it is cited by. */
export interface PromptSource {
  n: number;
  /** File name (or path) shown in the header. */
  source: string;
  /** First page for paged documents (PDF); null/absent for text files. */
  page?: number | null;
  pageEnd?: number | null;
  /** Where the passage is when it has no page ("slide 4", "§ 安装"); shown in the header in place of the page. */
  place?: string | null;
  text: string;
}

function pageLabel(page: number | null | undefined, pageEnd: number | null | undefined, place?: string | null): string {
  if (page === null || page === undefined) return place ? ` ${place}` : "";
  return pageEnd !== null && pageEnd !== undefined && pageEnd !== page ? ` p.${page}–${pageEnd}` : ` p.${page}`;
}

/** "[1] file.pdf p.3\n<text>\n\n[2] notes.txt\n<text>": the block that replaces {sources}. */
export function renderSources(sources: readonly PromptSource[]): string {
  return sources.map((s) => `[${s.n}] ${s.source}${pageLabel(s.page, s.pageEnd, s.place)}\n${s.text.trim()}`).join("\n\n");
}
