// Knowledge bases: the names a store's files are grouped under, what a valid name is, and the errors every store
// raises about them (an unknown base, a taken name, the default base that cannot go). A base name is also a folder
// of the inbox (<inbox>/<name>/) and part of a model id (alpaca-rag/<name>), so it is kept to one safe path segment.

/** The base every store has, holding files at the inbox root (today's layout), which cannot be renamed or deleted. */
export const defaultKb = "default";

/** Longest base name, in characters. */
export const maxKbNameLength = 64;

/**
 * Letters (any script: Chinese names are welcome), digits, '-' and '_', starting with a letter or digit: no '/',
 * '.', spaces or other characters that would change meaning in a path, a URL or a model id.
 */
const kbNamePattern = /^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u;

export class KbNameError extends Error {
  override name = "KbNameError";
}

/** A base the store does not hold (or, to a key, one it may not see: the two must look the same). */
export class UnknownKbError extends Error {
  override name = "UnknownKbError";
  constructor(readonly kb: string) {
    super(`unknown knowledge base "${kb}"`);
  }
}

export class KbExistsError extends Error {
  override name = "KbExistsError";
  constructor(readonly kb: string) {
    super(`knowledge base "${kb}" already exists`);
  }
}

/** Why `name` cannot name a base, or null when it can. */
export function kbNameProblem(name: string): string | null {
  if (name.length === 0) return "a knowledge base name cannot be empty";
  if ([...name].length > maxKbNameLength) return `knowledge base name "${name}" is longer than ${maxKbNameLength} characters`;
  if (!kbNamePattern.test(name))
    return `knowledge base name "${name}" may hold only letters, digits, '-' and '_', starting with a letter or digit`;
  return null;
}

/** Throws KbNameError unless `name` is a valid base name. */
export function assertKbName(name: string): void {
  const problem = kbNameProblem(name);
  if (problem) throw new KbNameError(problem);
}

/**
 * Reads base names as a person gives them: a string, a comma-separated string or a list of either; blanks dropped,
 * duplicates merged, order kept. An empty result means "none given" (the caller picks the default).
 */
export function parseKbList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = (typeof value === "string" ? [value] : value).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  return [...new Set(parts)];
}

/** The scope of every base a store holds: for whole-store work (calibration, checks), never for a caller's request. */
export async function everyKb(store: { kbNames(): Promise<string[]> }): Promise<{ kbs: string[] }> {
  return { kbs: await store.kbNames() };
}
