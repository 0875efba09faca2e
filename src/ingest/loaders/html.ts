// Saved web pages (.html/.htm) as LoadedDocuments: the charset from the BOM or the meta tag (else detected, GBK pages
// included), the readable article picked out by @mozilla/readability (Firefox's Reader View) over linkedom's DOM, and
// the shared HTML walk (headings → sections, tables → rows). Pathological pages are bounded before any DOM is built:
// a linear scan measures nesting and element count; a page nested past readability's comfort is walked without it,
// one nested past any real page is refused. linkedom rather than jsdom: a fraction of the memory and time, and
// readability runs on it unchanged.
import { isUtf8 } from "node:buffer";
import { Readability } from "@mozilla/readability";
import iconv from "iconv-lite";
import { parseHTML } from "linkedom";
import type { LoadedDocument } from "../types.js";
import { DocumentLoadError } from "./errors.js";
import { writeHtmlBlocks, type HtmlNode } from "./htmlBlocks.js";
import { decodeTextBytes } from "./text.js";
import { TextBuilder } from "./textBuilder.js";

/** Nesting deeper than any real page: refused (parsing it costs time quadratic in the depth). */
export const maxHtmlDepth = 5_000;
/**
 * Elements in one page beyond which it is refused: linkedom's DOM costs about 2 KB per element (a 50 MB page of
 * 600,000 paragraphs peaked at 1.26 GB), and real pages have thousands, rarely tens of thousands.
 */
export const maxHtmlElements = 250_000;
/** Readability's cost grows steeply with depth (2,000 levels: minutes); deeper pages are walked without it. */
const readabilityMaxDepth = 200;
const readabilityMaxElements = 100_000;

const voidElements = new Set([
  "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
]);
/** Often left unclosed, and never meaningfully deep: not counted as nesting. */
const looseElements = new Set(["p", "li", "dt", "dd", "option", "tr", "td", "th", "thead", "tbody", "colgroup"]);

/** Navigation, asides, footers and banners: never the article (an article's own header may hold its title). */
const chromeSelector = 'nav, aside, footer, header, [role="navigation"], [role="banner"], [role="contentinfo"], [role="complementary"]';

export interface HtmlShape {
  depth: number;
  elements: number;
}

/**
 * Nesting depth and element count by a linear scan of the tags (no DOM): `[^<>]*` keeps every attempt from running
 * past the next "<", so even 50 MB of unclosed tags is scanned in one pass.
 */
export function measureHtml(html: string): HtmlShape {
  const tag = /<(\/?)([a-zA-Z][\w:-]*)([^<>]*)>/g;
  let depth = 0;
  let maxDepth = 0;
  let elements = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const name = m[2].toLowerCase();
    if (m[1]) {
      if (!voidElements.has(name) && !looseElements.has(name) && depth > 0) depth--;
      continue;
    }
    elements++;
    if (voidElements.has(name) || looseElements.has(name) || m[3].endsWith("/")) continue;
    depth++;
    if (depth > maxDepth) maxDepth = depth;
  }
  return { depth: maxDepth, elements };
}

/** The charset a page declares in its first bytes (<meta charset> or http-equiv content), if iconv-lite knows it. */
function declaredCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 8192).toString("latin1");
  const match = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
  if (!match) return undefined;
  let name = match[1].toLowerCase();
  // Pages labelled gb2312/gbk routinely hold characters only GB18030 (their superset) has names for.
  if (name === "gb2312" || name === "gbk" || name === "x-gbk") name = "gb18030";
  return iconv.encodingExists(name) ? name : undefined;
}

/** The page as a string: BOM, then declared charset, then UTF-8, then detection (shared with text files). */
export function decodeHtml(bytes: Buffer): { html: string; encoding: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { html: bytes.subarray(3).toString("utf8"), encoding: "UTF-8" };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const decoded = decodeTextBytes(bytes);
    return { html: decoded.text, encoding: decoded.encoding };
  }
  const declared = declaredCharset(bytes);
  // A page that says UTF-8 but is not (or says nothing) falls through to detection.
  if (declared && !(declared.replace("-", "") === "utf8" && !isUtf8(bytes))) {
    return { html: iconv.decode(bytes, declared), encoding: declared.toUpperCase() };
  }
  if (isUtf8(bytes)) return { html: bytes.toString("utf8"), encoding: "UTF-8" };
  const decoded = decodeTextBytes(bytes);
  return { html: decoded.text, encoding: decoded.encoding };
}

/** The readable article's HTML and title, or null when readability finds no article (or the page is too big for it). */
function readableArticle(html: string): { content: string; title: string } | null {
  const { document } = parseHTML(html);
  // Page chrome out first: on a short page readability keeps everything, menus included.
  for (const chrome of document.querySelectorAll(chromeSelector)) {
    if (chrome.localName !== "header" || !chrome.closest("article, main")) chrome.remove();
  }
  try {
    const article = new Readability(document as never, { maxElemsToParse: readabilityMaxElements }).parse();
    if (!article?.content || !article.textContent?.trim()) return null;
    return { content: article.content, title: article.title?.trim() ?? "" };
  } catch {
    return null;
  }
}

/** A .html/.htm file's bytes as a LoadedDocument. */
export function loadHtmlDocument(bytes: Buffer): LoadedDocument {
  if (bytes.length === 0) throw new DocumentLoadError("empty");
  const { html, encoding } = decodeHtml(bytes);
  const shape = measureHtml(html);
  if (shape.depth > maxHtmlDepth) {
    throw new DocumentLoadError("too-large", { detail: `HTML nested ${shape.depth} levels deep (limit ${maxHtmlDepth})` });
  }
  if (shape.elements > maxHtmlElements) {
    throw new DocumentLoadError("too-large", { detail: `${shape.elements} HTML elements (limit ${maxHtmlElements})` });
  }
  const article = shape.depth <= readabilityMaxDepth && shape.elements <= readabilityMaxElements ? readableArticle(html) : null;
  const builder = new TextBuilder();
  if (article) {
    // The article's title names the text before its first heading (a heading at the same place replaces it).
    if (article.title) builder.section(article.title);
    const { document } = parseHTML(`<!doctype html><html><body>${article.content}</body></html>`);
    writeHtmlBlocks(document.body as unknown as HtmlNode, builder);
  } else {
    // No article found: the whole page without scripts, styles, forms and page chrome.
    const { document } = parseHTML(html);
    const title = document.querySelector("title")?.textContent?.trim();
    if (title) builder.section(title);
    writeHtmlBlocks((document.body ?? document.documentElement) as unknown as HtmlNode, builder, { skipChrome: true });
  }
  return { ...builder.finish("html"), encoding };
}
