// Keeps the server's file-system layout out of HTTP answers: the store, inbox and models folders become their names
// (what the client configured or can see in the page), and any other absolute path left in a message becomes its
// last part. Applied to error messages and to ingest summaries; the log keeps the full paths.
import path from "node:path";

export type PathRedactor = (text: string) => string;

/** A redactor for these folders: each absolute folder (and anything under it) is shown from its own name down. */
export function createPathRedactor(folders: readonly string[]): PathRedactor {
  const roots = [...new Set(folders.map((f) => path.resolve(f)))]
    .filter((f) => f !== path.parse(f).root)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const root of roots) out = out.split(root).join(path.basename(root));
    // Whatever absolute path is left (a model file, a temp folder): its last part only.
    return out.replace(/(^|[\s'"(=:])(\/(?:[^\s'"/)]+\/)+([^\s'"/)]+))/g, (_m, before: string, _p: string, last: string) => `${before}${last}`);
  };
}

/** A JSON-able value with every string in it redacted (an ingest summary: its store, inbox and failure reasons). */
export function redactJson<T>(value: T, redact: PathRedactor): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === "string" ? redact(v) : v)) as T;
}
