// OpenDocument text (.odt) as a LoadedDocument: content.xml read safely from the package, headings (text:h) as
// sections, paragraphs, lists and tables (one line per row) in order, footnotes and endnotes at the end under
// "脚注 / Footnotes". No npm library reads ODF text with its structure on Node 20; the XML parser is xmldom.
import type { LoadedDocument } from "../types.js";
import { withArchive } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { footnotesTitle } from "./docx.js";
import { readOdfBody, writeOdfBlocks, writeOdfNotes } from "./odf.js";
import { TextBuilder } from "./textBuilder.js";
import type { Element } from "./xml.js";

export async function loadOdtDocument(bytes: Buffer, _context: LoadContext): Promise<LoadedDocument> {
  return withArchive(bytes, async (archive) => {
    const body = await readOdfBody(archive, "text document", "text");
    const builder = new TextBuilder();
    const notes: Element[] = [];
    writeOdfBlocks(body, builder, notes);
    writeOdfNotes(notes, builder, footnotesTitle);
    return builder.finish("odt");
  });
}
