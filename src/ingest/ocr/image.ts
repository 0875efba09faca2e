// Images made safe and uniform for OCR with sharp (libvips; prebuilt binaries ship inside its npm packages): sizes are
// read from the header before anything is decoded, oversized images are refused, the rest are turned upright (EXIF),
// grey and scaled down to at most `maxOcrPixels`, so that an engine's memory stays bounded (PaddleOCR needs about
// 1.2 GB for a 4-megapixel page). BMP, which libvips does not read, is decoded by bmp-ts.
import sharp from "sharp";

/** Images with more pixels than this are refused before decoding (a 600-dpi A3 scan has 70 million). */
export const maxImagePixels = 100_000_000;
/** What an engine is given at most: about an A4 page at 200 dpi. Larger images are scaled down to it. */
export const maxOcrPixels = 4_000_000;
/** Pages of a multi-page TIFF read at most. */
export const maxImagePages = 500;

/** An image that cannot be read, or is too large to read; the message is for a person. */
export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly failure: "corrupt-image" | "image-too-large",
    message: string,
  ) {
    super(message);
  }
}

function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Width and height from a BMP header (BITMAPINFOHEADER and later; height is negative for top-down images). */
function bmpSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
}

function tooLarge(width: number, height: number): ImageError {
  return new ImageError(
    "image-too-large",
    `${width}×${height} pixels (${Math.round((width * height) / 1e6)} megapixels; at most ${maxImagePixels / 1e6} are read)`,
  );
}

/** A sharp pipeline over the image (page `page` of a multi-page TIFF), refusing anything larger than maxImagePixels. */
async function open(bytes: Uint8Array, page = 0): Promise<sharp.Sharp> {
  if (isBmp(bytes)) {
    const { width, height } = bmpSize(bytes);
    if (width * height > maxImagePixels) throw tooLarge(width, height);
    const { decode } = await import("bmp-ts");
    let bmp;
    try {
      bmp = decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { toRGBA: true });
    } catch (error) {
      throw new ImageError("corrupt-image", `not a readable BMP image (${(error as Error).message})`);
    }
    return sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
  }
  return sharp(bytes, { page, limitInputPixels: maxImagePixels, sequentialRead: true, failOn: "error" });
}

/** How many pages the image has (TIFFs may hold several) and the first page's size; throws ImageError. */
export async function inspectImage(bytes: Uint8Array): Promise<{ pages: number; width: number; height: number }> {
  if (isBmp(bytes)) {
    const { width, height } = bmpSize(bytes);
    if (width * height > maxImagePixels) throw tooLarge(width, height);
    return { pages: 1, width, height };
  }
  let metadata: sharp.Metadata;
  try {
    // Reads the header only: a 20,000 × 20,000 image costs nothing here.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageError("corrupt-image", `not a readable image (${(error as Error).message})`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width === 0 || height === 0) throw new ImageError("corrupt-image", "not a readable image (no size in its header)");
  if (width * height > maxImagePixels) throw tooLarge(width, height);
  return { pages: Math.min(metadata.pages ?? 1, maxImagePages), width, height };
}

/**
 * One page of an image as the grey PNG an engine reads: upright, scaled down to at most maxOcrPixels, or null when the
 * page is blank (one flat colour: nothing to read, so no engine time is spent on it).
 */
export async function ocrImage(bytes: Uint8Array, options: { page?: number; dpi?: number } = {}): Promise<Uint8Array | null> {
  try {
    let image = (await open(bytes, options.page ?? 0)).rotate().grayscale();
    const metadata = await image.metadata();
    // Tesseract sizes its text models by the resolution: a rendered page says its own, a scan says what it was taken at.
    let density = options.dpi ?? (metadata.density && metadata.density > 72 ? metadata.density : undefined);
    // Metadata describes the stored image; EXIF orientations 5-8 turn it by 90 degrees.
    const turned = (metadata.orientation ?? 1) >= 5;
    const width = (turned ? metadata.height : metadata.width) ?? 0;
    const height = (turned ? metadata.width : metadata.pageHeight ?? metadata.height) ?? 0;
    const pixels = width * height;
    if (pixels > maxOcrPixels) {
      const scale = Math.sqrt(maxOcrPixels / pixels);
      if (density) density *= scale;
      image = image.resize({ width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)), fit: "fill" });
    }
    const { data, info } = await image.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    let min = 255;
    let max = 0;
    for (let i = 0; i < data.length; i += 1) {
      const v = data[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min < 16) return null;
    const png = sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).toColourspace("b-w").png({ compressionLevel: 1 });
    return await (density ? png.withMetadata({ density: Math.round(density) }) : png).toBuffer();
  } catch (error) {
    if (error instanceof ImageError) throw error;
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) throw new ImageError("image-too-large", message);
    throw new ImageError("corrupt-image", `not a readable image (${message})`);
  }
}

/** Render size for a PDF page of `widthPt` × `heightPt` points at `dpi`, lowered so it stays within maxOcrPixels. */
export function renderScale(widthPt: number, heightPt: number, dpi: number): number {
  const scale = dpi / 72;
  const pixels = widthPt * scale * heightPt * scale;
  return pixels > maxOcrPixels ? scale * Math.sqrt(maxOcrPixels / pixels) : scale;
}
