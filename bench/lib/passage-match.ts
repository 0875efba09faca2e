// Which passages a retrieved chunk holds, whatever file it came from and however its extractor laid the text out:
// chunks and passages are compared on their letters and digits only (no spaces, punctuation or row labels), by shared
// character 8-grams. A chunk holds a passage when it shares at least `minShared` 8-grams with it (or the passage's
// whole length, for a passage shorter than that), so a chunk that cuts a passage in two counts for it on both sides.

const n = 8;
const minShared = 24;

function letters(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, "");
}

export class PassageMatcher {
  private readonly owners = new Map<string, number[]>();
  private readonly gramCounts: number[];

  constructor(passages: readonly string[]) {
    this.gramCounts = passages.map((text, id) => {
      const s = letters(text);
      const seen = new Set<string>();
      for (let i = 0; i + n <= s.length; i++) seen.add(s.slice(i, i + n));
      for (const gram of seen) {
        const list = this.owners.get(gram);
        if (list) list.push(id);
        else this.owners.set(gram, [id]);
      }
      return seen.size;
    });
  }

  /** The ids (indexes into the constructor's list) of the passages `chunk` holds. */
  passagesIn(chunk: string): Set<number> {
    const s = letters(chunk);
    const shared = new Map<number, number>();
    const seen = new Set<string>();
    for (let i = 0; i + n <= s.length; i++) {
      const gram = s.slice(i, i + n);
      if (seen.has(gram)) continue;
      seen.add(gram);
      for (const id of this.owners.get(gram) ?? []) shared.set(id, (shared.get(id) ?? 0) + 1);
    }
    const held = new Set<number>();
    for (const [id, count] of shared) if (count >= Math.min(minShared, this.gramCounts[id])) held.add(id);
    return held;
  }
}
