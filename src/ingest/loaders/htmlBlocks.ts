// Turns an HTML DOM (linkedom's, or any W3C-shaped one) into TextBuilder blocks: headings become sections, paragraphs
// and list items blocks, table rows one line each, and scripts, styles, forms and (optionally) page chrome are left out.
// Shared by web pages, e-book chapters and Word files (which mammoth turns into HTML). The walk is iterative, so a
// deeply nested page cannot overflow the stack.
import type { TextBuilder } from "./textBuilder.js";

/** The part of a DOM node this walk uses (linkedom's and the browser's nodes both have it). */
export interface HtmlNode {
  nodeType: number;
  nodeName: string;
  nodeValue: string | null;
  textContent: string | null;
  childNodes: ArrayLike<HtmlNode>;
  getAttribute?(name: string): string | null;
}

export interface HtmlBlockOptions {
  /** Also leave out nav, header, footer and aside (page chrome); for whole pages, not for extracted articles. */
  skipChrome?: boolean;
}

const ELEMENT = 1;
const TEXT = 3;

/** Never text a reader sees. */
const skipped = new Set([
  "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "TITLE", "META", "LINK", "SVG", "MATH", "IFRAME", "OBJECT",
  "EMBED", "CANVAS", "FORM", "BUTTON", "SELECT", "INPUT", "TEXTAREA", "AUDIO", "VIDEO", "MAP",
]);
const chrome = new Set(["NAV", "HEADER", "FOOTER", "ASIDE"]);
const blocks = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BODY", "CAPTION", "DD", "DETAILS", "DIALOG", "DIV", "DL", "DT",
  "FIELDSET", "FIGCAPTION", "FIGURE", "FOOTER", "HEADER", "HGROUP", "HR", "HTML", "LI", "MAIN", "NAV", "OL", "P",
  "PRE", "SECTION", "SUMMARY", "UL",
]);
const headings = new Set(["H1", "H2", "H3", "H4", "H5", "H6"]);
/** Markers on the walk's stack: the end of a block, the end of a preformatted block. */
const blockEnd = Symbol("block end");
const preEnd = Symbol("pre end");

function tagOf(node: HtmlNode): string {
  return node.nodeName.replace(/^.*:/, "").toUpperCase();
}

function hidden(node: HtmlNode): boolean {
  return node.getAttribute?.("hidden") != null || node.getAttribute?.("aria-hidden") === "true";
}

/** Text a reader sees under `node` (scripts and styles out), whitespace collapsed; for headings and table cells. */
export function visibleText(node: HtmlNode): string {
  const parts: string[] = [];
  const stack: HtmlNode[] = [node];
  while (stack.length) {
    const current = stack.pop() as HtmlNode;
    if (current.nodeType === TEXT) parts.push(current.nodeValue ?? "");
    else if (current.nodeType === ELEMENT && !skipped.has(tagOf(current)) && !hidden(current)) {
      if (tagOf(current) === "BR") parts.push(" ");
      const children = current.childNodes;
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
  }
  return parts.join("").replace(/\s+/g, " ").trim();
}

/** Rows of a table (its own rows, in thead/tbody/tfoot or direct, not those of tables nested in cells), as cell texts. */
function tableRows(table: HtmlNode): string[][] {
  const rows: string[][] = [];
  const visit = (parent: HtmlNode) => {
    for (let i = 0; i < parent.childNodes.length; i++) {
      const child = parent.childNodes[i];
      if (child.nodeType !== ELEMENT) continue;
      const tag = tagOf(child);
      if (tag === "THEAD" || tag === "TBODY" || tag === "TFOOT") visit(child);
      else if (tag === "TR") {
        const cells: string[] = [];
        for (let j = 0; j < child.childNodes.length; j++) {
          const cell = child.childNodes[j];
          if (cell.nodeType === ELEMENT && (tagOf(cell) === "TD" || tagOf(cell) === "TH")) cells.push(visibleText(cell));
        }
        rows.push(cells);
      }
    }
  };
  visit(table);
  return rows;
}

/**
 * Writes the readable content under `root` into `builder`. Returns the number of elements visited (for callers that
 * bound work by it).
 */
export function writeHtmlBlocks(root: HtmlNode, builder: TextBuilder, options: HtmlBlockOptions = {}): number {
  let inline: string[] = [];
  const flush = () => {
    if (inline.length) builder.paragraph(inline.join(""));
    inline = [];
  };
  let visited = 0;
  // A block's end is pushed before its children, so the text after it starts a new block.
  const stack: Array<HtmlNode | typeof blockEnd | typeof preEnd> = [root];
  let preDepth = 0;
  while (stack.length) {
    const item = stack.pop() as HtmlNode | typeof blockEnd | typeof preEnd;
    if (item === blockEnd || item === preEnd) {
      if (item === preEnd) preDepth--;
      flush();
      continue;
    }
    if (item.nodeType === TEXT) {
      const value = item.nodeValue ?? "";
      inline.push(preDepth > 0 ? value : value.replace(/\s+/g, " "));
      continue;
    }
    if (item.nodeType !== ELEMENT && item.nodeType !== 9 && item.nodeType !== 11) continue;
    visited++;
    const tag = item.nodeType === ELEMENT ? tagOf(item) : "";
    if (skipped.has(tag) || hidden(item) || (options.skipChrome && chrome.has(tag))) continue;
    if (tag === "BR") {
      inline.push("\n");
      continue;
    }
    if (headings.has(tag)) {
      flush();
      builder.heading(visibleText(item));
      continue;
    }
    if (tag === "TABLE") {
      flush();
      builder.table(tableRows(item));
      continue;
    }
    if (tag === "PRE") {
      flush();
      preDepth++;
      stack.push(preEnd);
    } else if (blocks.has(tag)) {
      flush();
      stack.push(blockEnd);
    }
    const children = item.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  flush();
  return visited;
}
