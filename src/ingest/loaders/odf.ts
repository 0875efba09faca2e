// What OpenDocument text (.odt) and presentations (.odp) share: their content.xml read safely from the archive
// (encrypted packages recognised), and the text of ODF paragraphs, lists, tables and notes written into a TextBuilder.
import type { Archive } from "./archive.js";
import { DocumentLoadError } from "./errors.js";
import type { TextBuilder } from "./textBuilder.js";
import { attribute, childElements, firstDescendant, isElement, parseXml, type Element, type Node } from "./xml.js";

/**
 * The body element (`bodyName`: office:text, office:presentation) of an ODF package's content.xml; "encrypted" when
 * the manifest says its content is encrypted, "corrupt" when there is no content.xml or no such body.
 */
export async function readOdfBody(archive: Archive, kindName: string, bodyName: string): Promise<Element> {
  if (archive.has("META-INF/manifest.xml")) {
    const manifest = await archive.readText("META-INF/manifest.xml");
    if (/encryption-data/.test(manifest)) throw new DocumentLoadError("encrypted", { detail: `the ${kindName} is saved with a password` });
  }
  if (!archive.has("content.xml")) throw new DocumentLoadError("corrupt", { detail: `not an OpenDocument ${kindName} (no content.xml)` });
  const content = parseXml(await archive.readText("content.xml"), "content.xml").documentElement as unknown as Element;
  const body = firstDescendant(content, bodyName);
  if (!body) throw new DocumentLoadError("corrupt", { detail: `content.xml has no office:${bodyName} body` });
  return body;
}

/**
 * The text of an ODF paragraph or heading: text:s as spaces, text:tab, text:line-break as a new line; notes (their
 * bodies) are handed to `onNote` instead of being read inline, and annotations are left out.
 */
export function odfInlineText(element: Node, onNote?: (note: Element) => void): string {
  const parts: string[] = [];
  const stack: Node[] = [];
  for (let c = element.lastChild; c; c = c.previousSibling) stack.push(c);
  while (stack.length) {
    const node = stack.pop() as Node;
    if (node.nodeType === 3 || node.nodeType === 4) {
      parts.push(node.nodeValue ?? "");
      continue;
    }
    if (!isElement(node)) continue;
    switch (node.localName) {
      case "s":
        parts.push(" ".repeat(Math.min(Number(attribute(node, "c") ?? 1) || 1, 100)));
        continue;
      case "tab":
        parts.push("\t");
        continue;
      case "line-break":
        parts.push("\n");
        continue;
      case "note":
        onNote?.(node);
        // The citation mark stays in the text ("[1]"), the body goes to the notes.
        for (const citation of childElements(node, "note-citation")) parts.push(`[${citation.textContent ?? ""}]`);
        continue;
      case "annotation":
      case "annotation-end":
        continue;
    }
    for (let c = node.lastChild; c; c = c.previousSibling) stack.push(c);
  }
  return parts.join("");
}

/** Rows of an ODF table (table:table-row, also inside header rows and row groups), each a list of cell texts. */
export function odfTableRows(table: Element): string[][] {
  const rows: string[][] = [];
  const visit = (parent: Element) => {
    for (const child of childElements(parent)) {
      if (child.localName === "table-row") {
        rows.push(childElements(child, "table-cell").map((cell) => childElements(cell).map((p) => odfInlineText(p)).join(" ")));
      } else if (/^table-(header-rows|rows|row-group)$/.test(child.localName ?? "")) visit(child);
    }
  };
  visit(table);
  return rows;
}

/**
 * Writes ODF body content (paragraphs, headings, lists, tables, sections, frames' text boxes) under `root` into
 * `builder`, in document order. Notes found on the way go to `notes`.
 */
export function writeOdfBlocks(root: Element, builder: TextBuilder, notes: Element[]): void {
  const stack: Element[] = childElements(root).reverse();
  while (stack.length) {
    const element = stack.pop() as Element;
    switch (element.localName) {
      case "h":
        builder.heading(odfInlineText(element, (n) => notes.push(n)));
        continue;
      case "p":
        builder.paragraph(odfInlineText(element, (n) => notes.push(n)));
        continue;
      case "table":
        builder.table(odfTableRows(element));
        continue;
      case "tracked-changes":
      case "sequence-decls":
      case "variable-decls":
      case "user-field-decls":
      case "forms":
        continue;
    }
    stack.push(...childElements(element).reverse());
  }
}

/** The body of each note (footnote or endnote), as blocks, under one heading at the end. */
export function writeOdfNotes(notes: Element[], builder: TextBuilder, title: string): void {
  if (notes.length === 0) return;
  builder.heading(title);
  for (const note of notes) {
    const citation = childElements(note, "note-citation")[0]?.textContent ?? "";
    const body = childElements(note, "note-body")[0];
    if (!body) continue;
    const text = childElements(body).map((p) => odfInlineText(p)).join("\n");
    builder.paragraph(citation ? `[${citation}] ${text}` : text);
  }
}
