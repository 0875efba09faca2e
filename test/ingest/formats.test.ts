// Every structured format through the real ingest (stories260K embeddings, SQLite, hnswlib) and the real hybrid search:
// CMRC trial passages laid out as Word and OpenDocument sections, slides, a GBK web page and e-book chapters; each
// passage's question must find its file, and the hit must cite the right section, slide or chapter.
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retrieveDetailed } from "../../src/retrieval/hybrid.js";
import { checkStore } from "../../src/store/check.js";
import { cmrcParagraphs, type CmrcParagraph } from "../helpers.js";
import { ingestedStore, type IngestedStore } from "../retrieval/fixtures.js";
import { makeDocx, makeEpub, makeOdp, makeOdt, makePptx } from "./loaders/formatFixtures.js";

/** Passages split in two halves (a heading's worth of text each), titled by their position. */
const passages = cmrcParagraphs().slice(40, 58);
const titled = (p: CmrcParagraph, i: number) => ({ title: `第${i + 1}篇 ${p.id}`, paragraphs: p.context.split(/(?<=。)/).filter((s) => s.trim()) });

/** file → the passages in it, in order; each passage is one section, slide or chapter (numbered from 1). */
const layout: Record<string, CmrcParagraph[]> = {
  "report.docx": passages.slice(0, 3),
  "report.odt": passages.slice(3, 6),
  "deck.pptx": passages.slice(6, 9),
  "deck.odp": passages.slice(9, 12),
  "page.html": passages.slice(12, 15),
  "book.epub": passages.slice(15, 18),
};

async function buildFiles(): Promise<Record<string, Buffer>> {
  const word = (ps: CmrcParagraph[]) => ({ sections: ps.map((p, i) => ({ heading: titled(p, i).title, paragraphs: titled(p, i).paragraphs })) });
  const slides = (ps: CmrcParagraph[]) => ps.map((p, i) => ({ title: titled(p, i).title, lines: titled(p, i).paragraphs }));
  const html = `<html><head><meta charset="gbk"><title>资料汇编</title></head><body><nav>首页 新闻</nav><article>${layout["page.html"]
    .map((p, i) => `<h2>${titled(p, i).title}</h2>${titled(p, i).paragraphs.map((s) => `<p>${s}</p>`).join("")}`)
    .join("")}</article><footer>版权所有</footer></body></html>`;
  return {
    "report.docx": await makeDocx(word(layout["report.docx"])),
    "report.odt": makeOdt(word(layout["report.odt"])),
    "deck.pptx": await makePptx(slides(layout["deck.pptx"])),
    "deck.odp": makeOdp(slides(layout["deck.odp"])),
    "page.html": iconv.encode(html, "gbk"),
    "book.epub": makeEpub(layout["book.epub"].map((p, i) => titled(p, i))),
  };
}

/** The location a hit on passage `i` of `file` must cite. */
function expectedLabel(file: string, p: CmrcParagraph, i: number): string {
  const title = titled(p, i).title;
  if (file.endsWith(".pptx") || file.endsWith(".odp")) return `slide ${i + 1}`;
  if (file.endsWith(".epub")) return `chapter ${i + 1}: ${title}`;
  return `§ ${title}`;
}

describe("every format through ingest and search", () => {
  let fixture: IngestedStore;

  beforeAll(async () => {
    fixture = await ingestedStore(await buildFiles());
  }, 300_000);
  afterAll(async () => fixture?.close());

  it("ingests every file into a consistent store", async () => {
    expect(fixture.summary.failed).toEqual([]);
    expect(fixture.summary.added).toBe(Object.keys(layout).length);
    expect((await checkStore(fixture.settings.store)).problems).toEqual([]);
    const kinds = Object.fromEntries((await fixture.store.listFiles({ kbs: ["default"] })).map((f) => [f.path, f.kind]));
    expect(kinds).toEqual({ "report.docx": "docx", "report.odt": "odt", "deck.pptx": "pptx", "deck.odp": "odp", "page.html": "html", "book.epub": "epub" });
  });

  it("finds each passage's question in its file, citing its section, slide or chapter", async () => {
    let asked = 0;
    let found = 0;
    for (const [file, ps] of Object.entries(layout)) {
      for (const [i, p] of ps.entries()) {
        const question = p.qas[0].question;
        const result = await retrieveDetailed({ kbs: ["default"], store: fixture.store, embedder: fixture.embedder, query: question, k: 5, candidates: 20 });
        asked++;
        const hit = result.chunks.find((c) => c.source === file && c.location?.label === expectedLabel(file, p, i));
        if (!hit) continue;
        found++;
        // What is cited is real: every line of the hit (but its title) comes from the passage its location names.
        const squash = (s: string) => s.replace(/\s/g, "");
        for (const line of hit.text.split("\n").filter((l) => l.trim() && l !== titled(p, i).title)) expect(squash(p.context)).toContain(squash(line));
      }
    }
    // Recall@5 over the 18 questions, right file and right place; BM25 alone finds nearly all CMRC trial passages.
    console.log(`[formats] recall@5 with the right location: ${found}/${asked}`);
    expect(found / asked).toBeGreaterThanOrEqual(0.85);
  });
});
