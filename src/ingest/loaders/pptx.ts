// PowerPoint .pptx files as LoadedDocuments: slides in presentation order (p:sldIdLst through the relationships), one
// location mark per slide (kind "slide", its number), the title placeholder's text as its name, every text body and
// table of the slide in order, then its speaker notes. The archive is read within bounds and the XML by xmldom with
// entity declarations refused; no npm library that reads slides with their notes runs on Node 20.
import path from "node:path/posix";
import type { DocumentKind, LoadedDocument } from "../types.js";
import { withArchive, type Archive } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { TextBuilder } from "./textBuilder.js";
import { attribute, childElements, descendants, firstDescendant, isElement, parseXml, type Element } from "./xml.js";

/** Put before a slide's speaker notes, so they read as notes and are found by either word. */
export const notesLabel = "备注 / Notes: ";

/** Relationship id → target path (resolved against the part's folder) of one part's .rels file. */
async function relationships(archive: Archive, part: string): Promise<Map<string, { target: string; type: string }>> {
  const relsPath = path.join(path.dirname(part), "_rels", `${path.basename(part)}.rels`);
  const out = new Map<string, { target: string; type: string }>();
  if (!archive.has(relsPath)) return out;
  const rels = parseXml(await archive.readText(relsPath), relsPath);
  for (const rel of descendants(rels, "Relationship")) {
    const id = attribute(rel, "Id");
    const target = attribute(rel, "Target");
    if (!id || !target || attribute(rel, "TargetMode") === "External") continue;
    const resolved = target.startsWith("/") ? target.slice(1) : path.join(path.dirname(part), target);
    out.set(id, { target: resolved, type: attribute(rel, "Type") ?? "" });
  }
  return out;
}

/** A DrawingML text body's paragraphs (a:p), runs joined, a:br as a new line, one line per paragraph. */
function textBody(body: Element): string {
  return childElements(body, "p")
    .map((p) => {
      const parts: string[] = [];
      for (const run of childElements(p)) {
        if (run.localName === "br") parts.push("\n");
        else if (run.localName === "r" || run.localName === "fld") parts.push(descendants(run, "t").map((t) => t.textContent ?? "").join(""));
      }
      return parts.join("");
    })
    .join("\n");
}

/** The placeholder type of a shape (p:nvSpPr/p:nvPr/p:ph type), if it is one. */
function placeholderType(shape: Element): string | undefined {
  const ph = firstDescendant(shape, "ph");
  return ph ? (attribute(ph, "type") ?? "body") : undefined;
}

const titleTypes = new Set(["title", "ctrTitle"]);
const relationshipsNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/** A slide's title and its other blocks (text bodies and tables), in the order of the shape tree. */
function slideBlocks(slide: Element): { title: string; blocks: Array<string | string[][]> } {
  let title = "";
  const blocks: Array<string | string[][]> = [];
  const tree = firstDescendant(slide, "spTree");
  if (!tree) return { title, blocks };
  const stack: Element[] = childElements(tree).reverse();
  while (stack.length) {
    const element = stack.pop() as Element;
    if (element.localName === "sp") {
      const body = childElements(element, "txBody")[0];
      if (!body) continue;
      const text = textBody(body);
      const type = placeholderType(element);
      // Slide numbers, dates and footers repeat on every slide and say nothing.
      if (type === "sldNum" || type === "dt" || type === "ftr") continue;
      if (!title && type && titleTypes.has(type)) title = text.replace(/\s+/g, " ").trim();
      else blocks.push(text);
    } else if (element.localName === "tbl") {
      blocks.push(childElements(element, "tr").map((tr) => childElements(tr, "tc").map((tc) => descendants(tc, "txBody").map(textBody).join(" "))));
    } else {
      // Groups (p:grpSp), graphic frames and their wrappers: their shapes are read in order.
      stack.push(...childElements(element).filter(isElement).reverse());
    }
  }
  return { title, blocks };
}

/** The speaker notes of a notes slide: its body placeholder's text. */
function notesText(notes: Element): string {
  return descendants(notes, "sp")
    .filter((sp) => placeholderType(sp) === "body")
    .map((sp) => descendants(sp, "txBody").map(textBody).join("\n"))
    .join("\n")
    .trim();
}

/** A .pptx file's bytes as a LoadedDocument (also used for .ppt after LibreOffice converted it). */
export async function loadPptxDocument(bytes: Buffer, _context: LoadContext, kind: DocumentKind = "pptx"): Promise<LoadedDocument> {
  return withArchive(bytes, async (archive) => {
    const presentationPath = "ppt/presentation.xml";
    if (!archive.has(presentationPath)) throw new DocumentLoadError("corrupt", { detail: "not a PowerPoint file (no ppt/presentation.xml)" });
    const presentation = parseXml(await archive.readText(presentationPath), presentationPath);
    const rels = await relationships(archive, presentationPath);
    const slidePaths = descendants(presentation, "sldId")
      .map((s) => rels.get(s.getAttributeNS(relationshipsNamespace, "id") ?? "")?.target)
      .filter((p): p is string => p !== undefined && archive.has(p));
    const builder = new TextBuilder();
    for (const [i, slidePath] of slidePaths.entries()) {
      const slide = parseXml(await archive.readText(slidePath), slidePath);
      const { title, blocks } = slideBlocks(slide as unknown as Element);
      builder.mark("slide", i + 1, title || undefined);
      if (title) builder.paragraph(title);
      for (const block of blocks) typeof block === "string" ? builder.paragraph(block) : builder.table(block);
      const notesPath = [...(await relationships(archive, slidePath)).values()].find((r) => r.type.endsWith("/notesSlide"))?.target;
      if (notesPath && archive.has(notesPath)) {
        const notes = notesText(parseXml(await archive.readText(notesPath), notesPath) as unknown as Element);
        if (notes) builder.paragraph(`${notesLabel}${notes}`);
      }
    }
    return builder.finish(kind);
  });
}
