// OpenDocument text (.odt) as a LoadedDocument: content.xml read safely from the package, headings (text:h) as
// sections, paragraphs, lists and tables (one line per row) in order, footnotes and endnotes at the end under
// "脚注 / Footnotes". No npm library reads ODF text with its structure on Node 20; the XML parser is xmldom.
import type { LoadedDocument } from "../types.js";
import { withArchive } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { footnotesTitle } from "./docx.js";
import { DocumentLoadError } from "./errors.js";
import { readOdfContent, writeOdfBlocks, writeOdfNotes } from "./odf.js";
import { TextBuilder } from "./textBuilder.js";
import { firstDescendant, type Element } from "./xml.js";

export async function loadOdtDocument(bytes: Buffer, _context: LoadContext): Promise<LoadedDocument> {
  return withArchive(bytes, async (archive) => {
    const content = await readOdfContent(archive, "text document");
    const body = firstDescendant(content, "text");
    if (!body) throw new DocumentLoadError("corrupt", { detail: "content.xml has no office:text body" });
    const builder = new TextBuilder();
    const notes: Element[] = [];
    writeOdfBlocks(body, builder, notes);
    writeOdfNotes(notes, builder, footnotesTitle);
    return builder.finish("odt");
  });
}
