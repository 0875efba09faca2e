// Word .docx files as LoadedDocuments through mammoth (the well-kept docx → semantic HTML converter: headings by style,
// tables, footnotes and endnotes), then the shared HTML walk: headings become sections, table rows lines, and the notes
// a last section "脚注 / Footnotes". The archive is checked first (size bounds, no entity declarations) because mammoth
// reads it itself. Word files say nothing reliable about pages, so chunks cite their section.
import mammoth from "mammoth";
import { parseHTML } from "linkedom";
import type { DocumentKind, LoadedDocument } from "../types.js";
import { withArchive } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { writeHtmlBlocks, type HtmlNode } from "./htmlBlocks.js";
import { TextBuilder } from "./textBuilder.js";
import { refuseEntityDeclarations } from "./xml.js";

/** Title and subtitle styles read as headings too (mammoth maps "heading 1…6" itself). */
const styleMap = ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"];

export const footnotesTitle = "脚注 / Footnotes";

/** Bounds the archive and refuses entity declarations in any of its XML parts, before mammoth reads them. */
async function checkWordArchive(bytes: Buffer): Promise<void> {
  await withArchive(bytes, async (archive) => {
    if (!archive.has("word/document.xml")) throw new DocumentLoadError("corrupt", { detail: "not a Word document (no word/document.xml)" });
    const parts = await archive.readAll((name) => /\.(xml|rels)$/i.test(name));
    for (const [name, part] of parts) refuseEntityDeclarations(part.toString("utf8"), name);
  });
}

/** A .docx file's bytes as a LoadedDocument (also used for .doc and .rtf after LibreOffice converted them). */
export async function loadDocxDocument(bytes: Buffer, _context: LoadContext, kind: DocumentKind = "docx"): Promise<LoadedDocument> {
  await checkWordArchive(bytes);
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: bytes },
      // Images are never read (nor inflated): only text is indexed.
      { styleMap, convertImage: mammoth.images.imgElement(async () => ({ src: "" })) },
    );
    html = result.value;
  } catch (error) {
    throw new DocumentLoadError("corrupt", { detail: `unreadable Word document (${(error as Error).message.split("\n")[0]})`, cause: error });
  }
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  // mammoth puts footnotes and endnotes in one list at the end; give it a heading, and drop the "↑" back links.
  for (const back of document.querySelectorAll('a[href^="#footnote-ref-"], a[href^="#endnote-ref-"]')) back.remove();
  const firstNote = document.querySelector('li[id^="footnote-"], li[id^="endnote-"]');
  const list = firstNote?.parentNode;
  if (list?.parentNode) {
    const heading = document.createElement("h1");
    heading.textContent = footnotesTitle;
    list.parentNode.insertBefore(heading, list);
  }
  const builder = new TextBuilder();
  writeHtmlBlocks(document.body as unknown as HtmlNode, builder);
  return builder.finish(kind);
}
