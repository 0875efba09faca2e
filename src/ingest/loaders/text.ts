// Plain-text and Markdown files as LoadedDocuments: find the encoding (BOM, strict UTF-8, a BOM-less UTF-16 pattern,
// then chardet), decode through iconv-lite, normalise line endings and blank lines, and turn Markdown's ATX headings
// into sections.
import { isUtf8 } from "node:buffer";
import * as chardet from "chardet";
import iconv from "iconv-lite";
import type { LoadedDocument, SectionStart } from "../types.js";
import { DocumentLoadError } from "./errors.js";

/** Text as decoded, before normalisation, with the name of the encoding it came from. */
interface DecodedText {
  text: string;
  encoding: string;
}

const byteOrderMarks: { bytes: number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: "UTF-8" },
  { bytes: [0xff, 0xfe], encoding: "UTF-16LE" },
  { bytes: [0xfe, 0xff], encoding: "UTF-16BE" },
];

/** Below this chardet confidence (0–100) a guess is no better than noise. */
const minDetectConfidence = 10;
/** A guess weaker than this is second-guessed in favour of Chinese multi-byte encodings. */
const trustedConfidence = 50;
/** Share of control characters or U+FFFD in decoded text above which the file is treated as binary. */
const maxBadCharShare = 0.01;
/** How many leading bytes the BOM-less UTF-16 check looks at. */
const utf16SampleBytes = 4096;
/** How many leading bytes chardet and the Chinese fallback look at; enough to judge, cheap on large files. */
const detectionSampleBytes = 64 * 1024;

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * UTF-16 without a BOM shows itself through ASCII characters: one byte of each pair is zero, always on the same side.
 * Returns the byte order, or null when the zero pattern is absent (Chinese-only UTF-16 without a BOM stays undetected).
 */
function bomlessUtf16Order(bytes: Uint8Array): "UTF-16LE" | "UTF-16BE" | null {
  const n = Math.min(bytes.length, utf16SampleBytes) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  // The other side may hold a few zeros too: CJK characters such as U+4E00 have a zero low byte.
  if (oddZeros >= pairs * 0.3 && evenZeros * 8 <= oddZeros) return "UTF-16LE";
  if (evenZeros >= pairs * 0.3 && oddZeros * 8 <= evenZeros) return "UTF-16BE";
  return null;
}

const singleByteEncoding = /^(ISO-8859-|windows-|KOI8-)/;
/** Common Han characters (URO and Extension A); misread bytes often decode to rarer ones (Big5-HKSCS: Extension B). */
const commonHan = /[\u3400-\u4DBF\u4E00-\u9FFF]/;
/** Han touching a Latin letter ("Gr晧e", "Stra遝") is what Western accents look like when misread as Chinese. */
const hanTouchingLatin = /(?<=[A-Za-z])[\u3400-\u4DBF\u4E00-\u9FFF]|[\u3400-\u4DBF\u4E00-\u9FFF](?=[A-Za-z])/g;

/**
 * When chardet is unsure, a Chinese-first reading: the bytes decode cleanly as `encoding` into mostly common Han
 * characters, few of them glued to Latin letters (mixed Chinese text has some: "支持PDF和Markdown").
 */
function readsAsChinese(bytes: Uint8Array, encoding: string): boolean {
  // A sample may end inside a character; only a replacement character before the end counts against the encoding.
  const text = iconv.decode(Buffer.from(bytes), encoding).replace(/\uFFFD$/, "");
  if (text.includes("\uFFFD")) return false;
  let nonAscii = 0;
  let han = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) continue;
    nonAscii++;
    if (commonHan.test(ch)) han++;
  }
  const glued = text.match(hanTouchingLatin)?.length ?? 0;
  return han > 0 && han >= nonAscii * 0.6 && glued <= han * 0.3;
}

/**
 * Whether a single-byte (Western) reading is plausible: its non-ASCII characters are mostly letters (é, ü, ß). Short
 * Chinese text misread as Latin-1 turns into symbols instead ("§A¦n"), yet chardet may be confident about it.
 */
function readsAsWestern(bytes: Uint8Array, encoding: string): boolean {
  let nonAscii = 0;
  let letters = 0;
  for (const ch of iconv.decode(Buffer.from(bytes), encoding)) {
    if (ch.charCodeAt(0) < 0x80) continue;
    nonAscii++;
    if (/\p{L}/u.test(ch)) letters++;
  }
  return letters >= nonAscii * 0.8;
}

/** The encoding chardet ranks highest among those iconv-lite can decode, second-guessing weak guesses. */
function detectedEncoding(bytes: Uint8Array): string | null {
  const matches = chardet
    .analyse(bytes)
    .filter((m) => m.confidence >= minDetectConfidence && m.name !== "ASCII" && iconv.encodingExists(m.name));
  const best = matches[0];
  const trusted =
    best !== undefined &&
    best.confidence >= trustedConfidence &&
    (!singleByteEncoding.test(best.name) || readsAsWestern(bytes, best.name));
  if (!trusted) {
    for (const chinese of ["GB18030", "Big5"]) if (readsAsChinese(bytes, chinese)) return chinese;
  }
  if (!best) return null;
  // ISO-8859-1 is a subset of windows-1252 apart from C1 controls, which real text never uses.
  return best.name === "ISO-8859-1" ? "windows-1252" : best.name;
}

/** Decode `bytes`, naming the encoding used; throws DocumentLoadError (binary content) when no text encoding fits. */
export function decodeTextBytes(bytes: Uint8Array): DecodedText {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const bom of byteOrderMarks) {
    if (startsWith(buffer, bom.bytes)) {
      const body = buffer.subarray(bom.bytes.length);
      return { text: iconv.decode(body, bom.encoding, { stripBOM: false }), encoding: bom.encoding };
    }
  }
  if (isUtf8(buffer)) return { text: buffer.toString("utf8"), encoding: "UTF-8" };
  const utf16 = bomlessUtf16Order(buffer);
  if (utf16) return { text: iconv.decode(buffer, utf16), encoding: utf16 };
  const encoding = detectedEncoding(buffer.subarray(0, detectionSampleBytes));
  if (!encoding) throw new DocumentLoadError("binary");
  return { text: iconv.decode(buffer, encoding), encoding };
}

// C0 controls other than tab, line feed, form feed and carriage return; DEL; C1 controls; the replacement character.
const badCharPattern = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F\uFFFD]/g;

export function looksBinary(text: string): boolean {
  const bad = text.match(badCharPattern)?.length ?? 0;
  return bad > text.length * maxBadCharShare;
}

/**
 * Line endings to "\n", no trailing whitespace on lines, at most one blank line in a row, no blank lines at either
 * end. Single newlines stay: in plain text and Markdown they often carry meaning (lists, verse, addresses).
 */
export function normaliseText(text: string): string {
  return text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\f\v\u00A0\u3000]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/^\n+/, "")
    .replace(/\n+$/, "");
}

const atxHeading = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const codeFence = /^ {0,3}(`{3,}|~{3,})/;

/** ATX headings (`#` … `######`) outside fenced code blocks, each at the offset of its line. */
export function markdownSections(text: string): SectionStart[] {
  const sections: SectionStart[] = [];
  let fence: string | null = null;
  let offset = 0;
  for (const line of text.split("\n")) {
    const fenceMatch = codeFence.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1];
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null;
    } else if (fence === null) {
      const title = atxHeading.exec(line)?.[2]?.trim();
      if (title) sections.push({ offset, title });
    }
    offset += line.length + 1;
  }
  return sections;
}

/** A .txt or .md file's bytes as a LoadedDocument; throws DocumentLoadError for empty or binary files. */
export function loadTextDocument(bytes: Uint8Array, kind: "text" | "markdown"): LoadedDocument {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  const decoded = decodeTextBytes(bytes);
  if (looksBinary(decoded.text)) throw new DocumentLoadError("binary");
  const text = normaliseText(decoded.text);
  if (text.trim() === "") throw new DocumentLoadError("empty");
  return {
    kind,
    text,
    pageStarts: [],
    sections: kind === "markdown" ? markdownSections(text) : [],
    encoding: decoded.encoding,
  };
}
