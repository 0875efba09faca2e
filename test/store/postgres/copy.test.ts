// `alpaca-rag store copy`: a folder store (ingested with a real embedding model) copied into PostgreSQL and from there
// into a new folder, without re-embedding: each copy checks clean, holds the same files and content, and answers the
// same lexical and vector searches, in every base and in one; knowledge bases come along (an empty one too, and a file
// shared by two bases); a target that already holds documents is refused.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ingestFolder } from "../../../src/ingest/pipeline.js";
import { checkStore } from "../../../src/store/check.js";
import type { DocumentStore } from "../../../src/store/contract.js";
import { copyStore, StoreCopyError } from "../../../src/store/copy.js";
import { openStore } from "../../../src/store/open.js";
import { lexicalQuery } from "../../../src/store/segment.js";
import { runCli } from "../../cliProcess.js";
import { shippedSampleInbox, shippedSamplePath, tempDir, testSettings } from "../../helpers.js";
import { freshDatabase, usePostgres } from "./database.js";

usePostgres();

const questions = ["望月桥是哪一年建成的？", "seed library borrowing", "balcony herbs in winter", "first frost pots"];
const team = "桥梁-team";
const everyBase = { kbs: ["default", team, "empty"] };

/** Each search's top hits as "base:path#chunk-index", which do not depend on the ids a store chose. */
async function answers(store: DocumentStore, probes: Float32Array[], scope: { kbs: string[] }): Promise<string[][]> {
  const keys = async (ids: number[]) =>
    (await store.chunksByIds(ids, scope)).map((c) => `${c.sources.map((f) => `${f.kb}:${f.path}`).join("+")}#${c.index}`);
  const out: string[][] = [];
  for (const q of questions) out.push(await keys((await store.lexicalSearch(lexicalQuery(q), 5, scope)).map((h) => h.chunkId)));
  for (const p of probes) out.push(await keys((await store.vectorSearch(p, 5, scope)).map((h) => h.chunkId)));
  return out;
}

async function contents(target: string) {
  const store = await openStore(target);
  try {
    const documents = [];
    for await (const d of store.exportDocuments({ batchSize: 2 })) documents.push(d);
    const kbs = (await store.listKbs()).map(({ createdAt: _, ...k }) => k);
    const files = [];
    for (const { name } of kbs)
      files.push(...[...(await store.files(name)).values()].map(({ documentId: _, ...f }) => ({ kb: name, ...f })).sort((x, y) => (x.path < y.path ? -1 : 1)));
    return { kbs, files, documents, embedding: await store.embedding() };
  } finally {
    await store.close();
  }
}

describe("store copy", () => {
  it("copies a folder store into PostgreSQL and back without re-embedding; every copy checks clean and answers alike", async () => {
    const inbox = shippedSampleInbox();
    fs.copyFileSync(shippedSamplePath("lanxi-wangyue-bridge.md"), path.join(inbox, "same-bridge.md")); // one document, two files
    const original = tempDir();
    const summary = await ingestFolder({ settings: testSettings({ store: original, inbox }), folder: inbox });
    expect(summary.embedded).toBeGreaterThan(0);
    // A second base holding one of default's documents under its own path, and an empty base.
    const writer = await openStore(original, { write: true });
    await writer.createKb(team);
    await writer.createKb("empty");
    const shared = [...(await writer.files("default")).values()].find((f) => f.path === "same-bridge.md")!;
    await writer.commitFile({ kb: team, path: "资料/bridge.md", size: shared.size, mtimeMs: shared.mtimeMs }, { documentId: shared.documentId });
    await writer.close();

    const url = await freshDatabase();
    const cli = await runCli(["store", "copy", "--from", original, "--to", url, "--json"]);
    expect(cli.code, cli.stderr).toBe(0);
    const copied = JSON.parse(cli.stdout);
    expect(copied).toMatchObject({ from: original, to: url, kbs: 3, documents: 3, files: 5, embedding: "stories260K.gguf" });
    expect(copied.vectors).toBe(copied.chunks);

    const back = path.join(tempDir(), "back");
    expect(await copyStore(url, back)).toMatchObject({ kbs: 3, documents: 3, files: 5, chunks: copied.chunks, vectors: copied.vectors });

    for (const target of [original, url, back])
      expect(await checkStore(target)).toMatchObject({ ok: true, documents: 3, files: 5, chunks: copied.chunks, vectors: copied.vectors });
    const [a, b, c] = [await contents(original), await contents(url), await contents(back)];
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a.kbs.map((k) => [k.name, k.files, k.documents])).toEqual([["default", 4, 3], ["empty", 0, 0], [team, 1, 1]]);

    // Probes: a few stored vectors themselves; the same searches must give the same chunks in every copy.
    const probes = a.documents.flatMap((d) => d.document.chunks.slice(0, 2).map((ch) => ch.vector!));
    const first = await openStore(original);
    const expected = await answers(first, probes, everyBase);
    const expectedTeam = await answers(first, probes, { kbs: [team] });
    await first.close();
    expect(expected.slice(0, questions.length).every((hits) => hits.length > 0)).toBe(true);
    // The team base sees only its one document, under its own path.
    expect(new Set(expectedTeam.flat().map((key) => key.split("#")[0]))).toEqual(new Set([`${team}:资料/bridge.md`]));
    for (const target of [url, back]) {
      const store = await openStore(target);
      try {
        expect(await answers(store, probes, everyBase)).toEqual(expected);
        expect(await answers(store, probes, { kbs: [team] })).toEqual(expectedTeam);
      } finally {
        await store.close();
      }
    }

    await expect(copyStore(original, url)).rejects.toThrow(StoreCopyError);
    await expect(copyStore(original, url)).rejects.toThrow(/already holds 3 documents; copy into an empty store/);
  });
});
