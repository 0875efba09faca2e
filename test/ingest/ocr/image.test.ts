// Images prepared for OCR: a 20,000 × 20,000 image is refused from its header, in bounded time and memory, by a real
// ingest; large images are scaled down to what an engine is given; blank pages, BMPs, EXIF rotation, TIFF pages.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { ImageError, inspectImage, maxOcrPixels, ocrImage } from "../../../src/ingest/ocr/image.js";
import type { IngestSummary } from "../../../src/ingest/pipeline.js";
import { tempDir } from "../../helpers.js";
import { cliFlags, megabytes, startMeasuredCli } from "../../reliability/fixtures.js";
import { renderLines } from "./pages.js";

describe("a 20,000 × 20,000 image", () => {
  it("is refused by ingest with its size, in seconds, and the ingest stays under 1.5 GB", async () => {
    const inbox = tempDir();
    const store = tempDir();
    // A real, complete PNG: libvips writes it row by row, so making it costs little memory (white compresses well).
    await sharp({ create: { width: 20_000, height: 20_000, channels: 3, background: "#ffffff" }, limitInputPixels: false })
      .grayscale()
      .png({ compressionLevel: 9 })
      .toFile(path.join(inbox, "poster.png"));
    fs.writeFileSync(path.join(inbox, "caption.txt"), "The poster shows the harbour at dawn.");
    const started = performance.now();
    const run = startMeasuredCli(["ingest", inbox, ...cliFlags(store, "none"), "--json"], `${store}.rss`);
    const result = await run.done;
    const seconds = (performance.now() - started) / 1000;
    const summary = JSON.parse(result.stdout) as IngestSummary;
    const peak = run.peakRssBytes()!;
    console.log(`[ocr] 20000×20000 PNG (${megabytes(fs.statSync(path.join(inbox, "poster.png")).size)} MB file): refused in ${seconds.toFixed(1)} s, CLI peak RSS ${megabytes(peak)} MB`);
    expect(result.code).toBe(2);
    expect(summary.added).toBe(1);
    expect(summary.failed).toEqual([
      { path: "poster.png", reason: "image too large to read: 20000×20000 pixels (400 megapixels; at most 100 are read)" },
    ]);
    expect(summary.ocr.pagesRecognised).toBe(0);
    expect(peak).toBeLessThan(1.5 * 1024 ** 3);
    expect(seconds).toBeLessThan(120);
  });
});

describe("ocrImage", () => {
  it("scales a large photo down to what an engine is given, keeping its shape", async () => {
    const lines = await renderLines(["大图缩小后仍然可读。"], { fontSize: 400 });
    const big = await sharp(lines).resize({ width: 9000 }).jpeg({ quality: 80 }).toBuffer();
    const { width, height } = await inspectImage(big);
    expect(width * height).toBeGreaterThan(maxOcrPixels * 4);
    const png = (await ocrImage(big))!;
    const out = await sharp(png).metadata();
    expect(out.width! * out.height!).toBeLessThanOrEqual(maxOcrPixels);
    expect(out.width! / out.height!).toBeCloseTo(width / height, 1);
    expect(out.channels).toBe(1);
  });

  it("turns a photo upright by its EXIF orientation", async () => {
    const upright = await renderLines(["横着拍的照片"]);
    const { width, height } = await sharp(upright).metadata();
    // Stored turned by 90 degrees, with orientation 6 saying how to turn it back.
    const turned = await sharp(upright).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const out = await sharp((await ocrImage(turned))!).metadata();
    expect([out.width, out.height]).toEqual([width, height]);
  });

  it("returns null for a blank page, so no engine time is spent on it", async () => {
    const blank = await sharp({ create: { width: 800, height: 600, channels: 3, background: "#f4f4f0" } }).png().toBuffer();
    expect(await ocrImage(blank)).toBeNull();
  });

  it("reads BMP (which libvips does not) through bmp-ts, and TIFF", async () => {
    const { encode } = await import("bmp-ts");
    const png = await renderLines(["位图"]);
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    // bmp-ts takes ABGR pixels.
    const abgr = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i += 4) abgr.set([data[i + 3], data[i + 2], data[i + 1], data[i]], i);
    const bmp = encode({ data: abgr, width: info.width, height: info.height, bitPP: 24 }).data;
    expect((await inspectImage(bmp)).pages).toBe(1);
    expect((await sharp((await ocrImage(bmp))!).metadata()).width).toBe(info.width);

    const tiff = await sharp(png).tiff().toBuffer();
    expect(await inspectImage(tiff)).toEqual({ pages: 1, width: info.width, height: info.height });
    expect((await sharp((await ocrImage(tiff))!).metadata()).height).toBe(info.height);
  });

  it("refuses a file that is not an image with a reason", async () => {
    const error = await inspectImage(Buffer.from("not an image at all, just words")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).failure).toBe("corrupt-image");
  });
});
