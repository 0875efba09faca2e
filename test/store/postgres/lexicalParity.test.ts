// Lexical ranking parity: the CMRC 2018 trial passages ingested (lexical-only, through the real ingest) into the
// embedded store and into PostgreSQL give the same top-5 for at least 95 % of the trial questions, since both rank
// by BM25 with FTS5's parameters over the same jieba terms.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ingestFolder } from "../../../src/ingest/pipeline.js";
import type { DocumentStore } from "../../../src/store/contract.js";
import { openStore } from "../../../src/store/open.js";
import { lexicalQuery } from "../../../src/store/segment.js";
import { cmrcParagraphs, tempDir, testSettings } from "../../helpers.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

/** The top hits of each store as "path#chunk-index", which do not depend on the ids either store chose. */
async function top(store: DocumentStore, terms: string[], k: number): Promise<{ keys: string[]; best: number | null }> {
  const hits = await store.lexicalSearch(terms, k, { kbs: ["default"] });
  const chunks = await store.chunksByIds(hits.map((h) => h.chunkId), { kbs: ["default"] });
  return { keys: chunks.map((c) => `${c.paths[0]}#${c.index}`), best: hits[0]?.score ?? null };
}

describe("lexical ranking: PostgreSQL matches the embedded store", () => {
  // Two ingests and 2,004 searches: about a minute on a quiet 2-core machine, several on a busy one.
  it("gives the same top-5 on the CMRC trial questions for at least 95 % of them", { timeout: 600_000 }, async () => {
    const paragraphs = cmrcParagraphs();
    const inbox = tempDir();
    paragraphs.forEach((p, i) => fs.writeFileSync(path.join(inbox, `${String(i).padStart(4, "0")}-${p.id}.txt`), p.context));
    const sqliteDir = tempDir();
    const url = await freshDatabase();
    for (const store of [sqliteDir, url])
      await ingestFolder({ settings: testSettings({ store, inbox, model: "none" }), folder: inbox });

    const embedded = await openStore(sqliteDir);
    const server = await openStore(url);
    try {
      expect(await server.count("chunks")).toBe(await embedded.count("chunks"));
      expect(await server.count("chunks")).toBeGreaterThan(paragraphs.length);
      const questions = paragraphs.flatMap((p) => p.qas.map((q) => q.question));
      let same = 0;
      let sameOrder = 0;
      let scoreGap = 0;
      for (const question of questions) {
        const terms = lexicalQuery(question);
        const [a, b] = [await top(embedded, terms, 5), await top(server, terms, 5)];
        if (a.keys.length === b.keys.length && a.keys.every((x) => b.keys.includes(x))) same += 1;
        if (a.keys.join() === b.keys.join()) sameOrder += 1;
        if (a.best !== null && b.best !== null) scoreGap = Math.max(scoreGap, Math.abs(a.best - b.best) / a.best);
      }
      console.log(`lexical parity on ${questions.length} CMRC trial questions: same top-5 set ${same}, same order ${sameOrder}, largest top-1 score gap ${scoreGap.toExponential(2)}`);
      expect(questions.length).toBeGreaterThan(500);
      expect(same / questions.length).toBeGreaterThanOrEqual(0.95);
      expect(sameOrder / questions.length).toBeGreaterThanOrEqual(0.95);
      // Same formula, same statistics: the scores themselves agree.
      expect(scoreGap).toBeLessThan(1e-6);
    } finally {
      await embedded.close();
      await server.close();
    }
  });
});
