// XML of Office, OpenDocument and EPUB files parsed safely with @xmldom/xmldom: a document type with entity declarations
// (external entities, "billion laughs") is refused before parsing, and xmldom itself never fetches or expands them.
// Small helpers walk the tree by local name, since each format spells its namespaces its own way.
import { DOMParser, type Document, type Element, type Node } from "@xmldom/xmldom";
import { DocumentLoadError } from "./errors.js";

/** An internal DTD subset or any entity declaration: legitimate Office/ODF/EPUB files have neither. */
const entityDeclaration = /<!ENTITY|<!DOCTYPE[^>[]*\[/i;

/** Throws DocumentLoadError("unsafe-xml") when `text` (named `name` in messages) declares entities. */
export function refuseEntityDeclarations(text: string, name: string): void {
  if (entityDeclaration.test(text)) throw new DocumentLoadError("unsafe-xml", { detail: name });
}

/** Parses one XML entry; malformed XML is "corrupt", entity declarations "unsafe-xml". */
export function parseXml(text: string, name: string): Document {
  refuseEntityDeclarations(text, name);
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new DocumentLoadError("corrupt", { detail: `${name}: ${String(message).split("\n")[0]}` });
    },
  });
  try {
    return parser.parseFromString(text, "application/xml");
  } catch (error) {
    if (error instanceof DocumentLoadError) throw error;
    throw new DocumentLoadError("corrupt", { detail: `${name}: ${(error as Error).message.split("\n")[0]}`, cause: error });
  }
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

export function isElement(node: Node | null | undefined): node is Element {
  return node?.nodeType === ELEMENT_NODE;
}

/** Child elements of `node`, optionally only those with local name `localName`. */
export function childElements(node: Node, localName?: string): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (isElement(child) && (localName === undefined || child.localName === localName)) out.push(child);
  }
  return out;
}

/** Descendant elements with local name `localName`, in document order (iterative: deep trees cannot overflow the stack). */
export function descendants(node: Node, localName: string): Element[] {
  const out: Element[] = [];
  const stack: Node[] = [];
  for (let c = node.lastChild; c; c = c.previousSibling) stack.push(c);
  while (stack.length) {
    const current = stack.pop() as Node;
    if (!isElement(current)) continue;
    if (current.localName === localName) out.push(current);
    for (let c = current.lastChild; c; c = c.previousSibling) stack.push(c);
  }
  return out;
}

/** The first descendant element with local name `localName`, or undefined. */
export function firstDescendant(node: Node, localName: string): Element | undefined {
  return descendants(node, localName)[0];
}

/** An attribute by local name, whatever its prefix (e.g. "outline-level" for text:outline-level). */
export function attribute(element: Element, localName: string): string | undefined {
  const attrs = element.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs.item(i);
    if (a && (a.localName === localName || a.name === localName)) return a.value;
  }
  return undefined;
}

/** Text of text and CDATA nodes under `node`, in order. */
export function textContent(node: Node): string {
  const parts: string[] = [];
  const stack: Node[] = [node];
  while (stack.length) {
    const current = stack.pop() as Node;
    if (current.nodeType === TEXT_NODE || current.nodeType === CDATA_SECTION_NODE) parts.push(current.nodeValue ?? "");
    else for (let c = current.lastChild; c; c = c.previousSibling) stack.push(c);
  }
  return parts.join("");
}

export { ELEMENT_NODE, TEXT_NODE, CDATA_SECTION_NODE };
export type { Document, Element, Node };
