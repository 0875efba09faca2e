// OpenDocument presentations (.odp) as LoadedDocuments: one location mark per draw:page (kind "slide", its number in
// order), the title frame's text as the slide's name, every text box and table of the slide, then its speaker notes.
import type { LoadedDocument } from "../types.js";
import { withArchive } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { odfInlineText, readOdfBody, writeOdfBlocks } from "./odf.js";
import { notesLabel } from "./pptx.js";
import { TextBuilder } from "./textBuilder.js";
import { attribute, childElements, descendants, type Element } from "./xml.js";

/** The text of a frame's paragraphs, one line each. */
function frameText(frame: Element): string {
  return descendants(frame, "p").map((p) => odfInlineText(p)).join("\n");
}

export async function loadOdpDocument(bytes: Buffer, _context: LoadContext): Promise<LoadedDocument> {
  return withArchive(bytes, async (archive) => {
    const presentation = await readOdfBody(archive, "presentation", "presentation");
    const builder = new TextBuilder();
    childElements(presentation, "page").forEach((page, i) => {
      const frames = childElements(page, "frame");
      const titleFrame = frames.find((f) => attribute(f, "class") === "title");
      const title = titleFrame ? frameText(titleFrame).replace(/\s+/g, " ").trim() : "";
      builder.mark("slide", i + 1, title || undefined);
      if (title) builder.paragraph(title);
      const notes: Element[] = [];
      for (const element of childElements(page)) {
        if (element === titleFrame || element.localName === "notes") continue;
        writeOdfBlocks(element, builder, notes);
      }
      const speakerNotes = childElements(page, "notes")
        .flatMap((n) => childElements(n, "frame").filter((f) => attribute(f, "class") === "notes"))
        .map(frameText)
        .join("\n")
        .trim();
      if (speakerNotes) builder.paragraph(`${notesLabel}${speakerNotes}`);
    });
    return builder.finish("odp");
  });
}
