// E-books (.epub) as LoadedDocuments: the package document found through META-INF/container.xml, chapters read in
// spine order, each starting a section and a location mark (kind "chapter", its number in the spine) titled from the
// table of contents (EPUB 3 nav or EPUB 2 NCX), else the chapter's first heading. Chapters are XHTML, read by linkedom
// and the shared HTML walk; the package XML by xmldom with entity declarations refused. DRM-encrypted chapters fail
// as "encrypted". (npm's epub readers need a file on disk and read the whole archive unbounded.)
import path from "node:path/posix";
import { parseHTML } from "linkedom";
import type { LoadedDocument } from "../types.js";
import { withArchive, type Archive } from "./archive.js";
import type { LoadContext } from "./contract.js";
import { DocumentLoadError } from "./errors.js";
import { visibleText, writeHtmlBlocks, type HtmlNode } from "./htmlBlocks.js";
import { TextBuilder } from "./textBuilder.js";
import { attribute, descendants, firstDescendant, parseXml, refuseEntityDeclarations } from "./xml.js";

interface ManifestItem {
  href: string;
  mediaType: string;
  properties: string;
}

/** An href relative to `base` (a file inside the archive) as an archive path, without its fragment. */
function resolveHref(base: string, href: string): string {
  const plain = href.split("#")[0];
  let decoded = plain;
  try {
    decoded = decodeURIComponent(plain);
  } catch {
    // A malformed escape: keep the name as written.
  }
  return path.normalize(path.join(path.dirname(base), decoded)).replace(/^(\.\.\/)+/, "");
}

/** Chapter path → title from the table of contents, first entry per file (EPUB 3 nav, else EPUB 2 NCX). */
async function tocTitles(archive: Archive, manifest: Map<string, ManifestItem>, ncxId: string | undefined): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  const add = (file: string, title: string) => {
    const clean = title.replace(/\s+/g, " ").trim();
    if (clean && !titles.has(file)) titles.set(file, clean);
  };
  const nav = [...manifest.values()].find((item) => item.properties.split(/\s+/).includes("nav"));
  if (nav && archive.has(nav.href)) {
    const html = await archive.readText(nav.href);
    refuseEntityDeclarations(html, nav.href);
    const { document } = parseHTML(html);
    const toc = [...document.querySelectorAll("nav")].find((n) => /\btoc\b/.test(n.getAttribute("epub:type") ?? "")) ?? document.querySelector("nav");
    for (const a of toc?.querySelectorAll("a[href]") ?? []) add(resolveHref(nav.href, a.getAttribute("href") ?? ""), a.textContent ?? "");
    if (titles.size) return titles;
  }
  const ncx = ncxId ? manifest.get(ncxId) : undefined;
  if (ncx && archive.has(ncx.href)) {
    const doc = parseXml(await archive.readText(ncx.href), ncx.href);
    for (const point of descendants(doc, "navPoint")) {
      const src = attribute(firstDescendant(point, "content") ?? point, "src");
      const label = firstDescendant(point, "text")?.textContent ?? "";
      if (src) add(resolveHref(ncx.href, src), label);
    }
  }
  return titles;
}

/** Content documents under DRM: META-INF/encryption.xml listing a chapter (font obfuscation lists only fonts). */
async function refuseDrm(archive: Archive): Promise<void> {
  if (!archive.has("META-INF/encryption.xml")) return;
  const encryption = parseXml(await archive.readText("META-INF/encryption.xml"), "META-INF/encryption.xml");
  const encrypted = descendants(encryption, "CipherReference").map((c) => attribute(c, "URI") ?? "");
  if (encrypted.some((uri) => /\.(x?html?|xml)$/i.test(uri))) {
    throw new DocumentLoadError("encrypted", { detail: "the e-book's chapters are DRM-encrypted" });
  }
}

export async function loadEpubDocument(bytes: Buffer, _context: LoadContext): Promise<LoadedDocument> {
  return withArchive(bytes, async (archive) => {
    await refuseDrm(archive);
    const containerPath = "META-INF/container.xml";
    if (!archive.has(containerPath)) throw new DocumentLoadError("corrupt", { detail: "not an EPUB (no META-INF/container.xml)" });
    const container = parseXml(await archive.readText(containerPath), containerPath);
    const opfPath = attribute(firstDescendant(container, "rootfile") ?? container.documentElement!, "full-path");
    if (!opfPath || !archive.has(opfPath)) throw new DocumentLoadError("corrupt", { detail: "the EPUB's package document is missing" });
    const opf = parseXml(await archive.readText(opfPath), opfPath);
    const manifest = new Map<string, ManifestItem>();
    for (const item of descendants(opf, "item")) {
      const id = attribute(item, "id");
      const href = attribute(item, "href");
      if (id && href) manifest.set(id, { href: resolveHref(opfPath, href), mediaType: attribute(item, "media-type") ?? "", properties: attribute(item, "properties") ?? "" });
    }
    const spine = firstDescendant(opf, "spine");
    const titles = await tocTitles(archive, manifest, spine ? attribute(spine, "toc") : undefined);
    const chapters = descendants(spine ?? opf, "itemref")
      .map((ref) => manifest.get(attribute(ref, "idref") ?? ""))
      .filter((item): item is ManifestItem => item !== undefined && /html|xml/.test(item.mediaType) && archive.has(item.href));
    const builder = new TextBuilder();
    let number = 0;
    for (const chapter of chapters) {
      const html = await archive.readText(chapter.href);
      refuseEntityDeclarations(html, chapter.href);
      const { document } = parseHTML(html);
      const body = (document.body ?? document.documentElement) as unknown as HtmlNode;
      const heading = document.querySelector("h1, h2, h3");
      const title = titles.get(chapter.href) ?? (heading ? visibleText(heading as unknown as HtmlNode) : "");
      if (visibleText(body) === "") continue; // a cover image or a blank page: no chapter to cite
      number += 1;
      // Each chapter starts a section, so no chunk spans two chapters.
      builder.mark("chapter", number, title || undefined);
      builder.section(title || `chapter ${number}`);
      writeHtmlBlocks(body, builder);
    }
    return builder.finish("epub");
  });
}
