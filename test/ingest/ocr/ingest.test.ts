// OCR through a real ingest: an image file found by search, a mixed PDF whose scanned page is read and cited by its
// page number while its text pages keep their text layer, the cache (re-ingest, rename and re-embed do no OCR), per-page
// progress, and the reasons given when no engine can run.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../../../src/config/schema.js";
import { ingestFolder, type IngestProgress } from "../../../src/ingest/pipeline.js";
import { openEngine, type QaEngine } from "../../../src/qa/engine.js";
import { searchChunks } from "../../../src/qa/search.js";
import { OcrCache } from "../../../src/store/ocrCache.js";
import { tempDir, testSettings } from "../../helpers.js";
import { pdfOfPages, renderLines } from "./pages.js";

function settingsFor(store: string, inbox: string, ocr: Partial<Settings["ocr"]> = {}): Settings {
  // Chunks of a few words, so that each page of the small PDF is its own chunk and citations show their page.
  const base = testSettings({ store, inbox, model: "none", chunkSize: 16, chunkOverlap: 0 });
  return { ...base, generator: { ...base.generator, model: "none" }, ocr: { ...base.ocr, ...ocr } };
}

describe("ingesting images and a mixed PDF", () => {
  const inbox = tempDir();
  const store = tempDir();
  const settings = settingsFor(store, inbox);
  const progress: IngestProgress[] = [];
  let engine: QaEngine | null = null;

  const search = async (query: string) => {
    engine ??= await openEngine(settings);
    return (await searchChunks(engine, query, ["default"], 3)).results;
  };

  beforeAll(async () => {
    fs.writeFileSync(
      path.join(inbox, "notice.png"),
      await renderLines(["城西的石板路在雨天特别滑。", "舊碼頭的燈塔由志願者看守。", "Ferry tickets cost four yuan."]),
    );
    const scanned = await renderLines(["第二页记录了果园的灌溉水渠。", "水渠每年春天清理一次。"], { fontSize: 28 });
    fs.writeFileSync(
      path.join(inbox, "orchard.pdf"),
      await pdfOfPages([
        { text: "The orchard report begins with apples and pears grown on the south slope." },
        { image: scanned },
        { text: "Page three lists the harvest of plums and quinces." },
      ]),
    );
    fs.writeFileSync(path.join(inbox, "readme.txt"), "This folder holds the orchard papers.");
  });

  afterAll(async () => {
    await engine?.close();
  });

  it("reads the image and the scanned page through OCR, and only those", async () => {
    const summary = await ingestFolder({ settings, onProgress: (p) => progress.push(p) });
    expect(summary.failed).toEqual([]);
    expect(summary.added).toBe(3);
    expect(summary.ocr).toEqual({ engine: "paddle", pagesRecognised: 2, pagesFromCache: 0 });
    const last = progress.at(-1)!;
    expect([last.ocrPagesDone, last.ocrPagesTotal]).toEqual([2, 2]);
    // Progress was reported page by page while the files were being read.
    expect(progress.some((p) => p.ocrPagesDone === 1 && p.filesDone < p.filesTotal)).toBe(true);
  });

  it("finds the image's words, simplified, traditional (through folding) and English, cited as page 1", async () => {
    for (const query of ["石板路", "灯塔 志愿者", "ferry tickets"]) {
      const [top] = await search(query);
      expect(top.source, query).toBe("notice.png");
      expect([top.page, top.pageEnd]).toEqual([1, 1]);
    }
    // The original (traditional) characters are what is stored and shown; the search folded them to simplified.
    const [top] = await search("灯塔");
    expect(top.text).toContain("燈塔");
  });

  it("cites the scanned page of the mixed PDF by its own page, and keeps the text layer of the others", async () => {
    const [scanned] = await search("灌溉水渠");
    expect(scanned.source).toBe("orchard.pdf");
    expect([scanned.page, scanned.pageEnd]).toEqual([2, 2]);
    expect(scanned.text).toContain("水渠每年春天清理一次");
    const [plums] = await search("harvest of plums");
    expect([plums.source, plums.page]).toEqual(["orchard.pdf", 3]);
    const [apples] = await search("apples and pears");
    expect([apples.source, apples.page]).toEqual(["orchard.pdf", 1]);
    expect(apples.text).toContain("The orchard report begins with apples and pears");
  });

  it("caches the pages: a re-ingest, a rename and a re-embed run no OCR", async () => {
    await engine?.close();
    engine = null;
    const again = await ingestFolder({ settings });
    expect([again.unchanged, again.ocr.pagesRecognised]).toEqual([3, 0]);

    fs.renameSync(path.join(inbox, "notice.png"), path.join(inbox, "harbour notice.png"));
    const renamed = await ingestFolder({ settings });
    expect([renamed.added, renamed.removed, renamed.ocr.pagesRecognised]).toEqual([1, 1, 0]);

    // --reembed drops the index and loads every file again: the pages come from the cache.
    const rebuilt = await ingestFolder({ settings, reembed: true });
    expect(rebuilt.failed).toEqual([]);
    expect(rebuilt.ocr).toEqual({ engine: null, pagesRecognised: 0, pagesFromCache: 2 });
    const [top] = await search("石板路");
    expect(top.source).toBe("harbour notice.png");
    const cache = OcrCache.open(store);
    try {
      expect(cache.size()).toBe(2);
    } finally {
      cache.close();
    }
  });
});

describe("when no OCR engine can run", () => {
  const inbox = tempDir();
  beforeAll(async () => {
    fs.writeFileSync(path.join(inbox, "scan.png"), await renderLines(["河堤上的柳树"]));
    fs.writeFileSync(path.join(inbox, "notes.txt"), "Plain notes still go in.");
  });

  it("fails the image with a reason that says how to install the engine; nothing else fails", async () => {
    const settings = settingsFor(tempDir(), inbox, { engine: "tesseract", tesseractCommand: "/nonexistent/tesseract" });
    const summary = await ingestFolder({ settings });
    expect(summary.added).toBe(1);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0].path).toBe("scan.png");
    expect(summary.failed[0].reason).toMatch(/^needs OCR, which cannot run here: no OCR engine can run: Tesseract is not installed \(ENOENT\); install Tesseract/);
    expect(summary.failed[0].reason).toContain("sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra");
  });

  it('says that OCR is off when ocr.engine is "none"', async () => {
    const summary = await ingestFolder({ settings: settingsFor(tempDir(), inbox, { engine: "none" }) });
    expect(summary.added).toBe(1);
    expect(summary.failed).toEqual([
      { path: "scan.png", reason: 'needs OCR, which cannot run here: an image has no text layer, and OCR is off (ocr.engine is "none"); set ocr.engine to "auto"' },
    ]);
  });
});
