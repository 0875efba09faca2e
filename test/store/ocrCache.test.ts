// The OCR cache on real SQLite: keyed by file hash, page, engine and resolution; kept across opens; one file in the store.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { OcrCache, ocrCacheFileName } from "../../src/store/ocrCache.js";
import { tempDir } from "../helpers.js";

const sha = "a".repeat(64);

describe("OcrCache", () => {
  it("keeps each page's text under its file hash, page, engine and resolution, across opens", () => {
    const dir = tempDir();
    const cache = OcrCache.open(dir);
    cache.put({ sha256: sha, page: 1, engine: "paddle", dpi: 150 }, "第一页的文字");
    cache.put({ sha256: sha, page: 2, engine: "paddle", dpi: 150 }, "第二页的文字");
    cache.put({ sha256: sha, page: 1, engine: "tesseract:chi_sim+eng", dpi: 150 }, "第一頁");
    cache.close();
    expect(fs.readdirSync(dir).filter((f) => !f.endsWith("-wal") && !f.endsWith("-shm"))).toEqual([ocrCacheFileName]);

    const again = OcrCache.open(dir);
    try {
      expect(again.get({ sha256: sha, page: 1, engine: "paddle", dpi: 150 })).toBe("第一页的文字");
      expect(again.get({ sha256: sha, page: 2, engine: "paddle", dpi: 150 })).toBe("第二页的文字");
      expect(again.get({ sha256: sha, page: 1, engine: "tesseract:chi_sim+eng", dpi: 150 })).toBe("第一頁");
      // Another resolution, page, engine or file is another key.
      expect(again.get({ sha256: sha, page: 1, engine: "paddle", dpi: 300 })).toBeUndefined();
      expect(again.get({ sha256: sha, page: 3, engine: "paddle", dpi: 150 })).toBeUndefined();
      expect(again.get({ sha256: "b".repeat(64), page: 1, engine: "paddle", dpi: 150 })).toBeUndefined();
      // A page read again replaces its text; an empty page is remembered as empty.
      again.put({ sha256: sha, page: 2, engine: "paddle", dpi: 150 }, "");
      expect(again.get({ sha256: sha, page: 2, engine: "paddle", dpi: 150 })).toBe("");
      expect(again.size()).toBe(3);
    } finally {
      again.close();
    }
  });
});
