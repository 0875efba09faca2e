// Documents of every structured format, generated in the test process: Word through the docx library, PowerPoint
// through pptxgenjs, OpenDocument and EPUB as their XML zipped by fflate, and hostile archives (zip bombs, "../"
// names, entity tricks, truncation, encryption) made the same way. Texts are written for these tests.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as docx from "docx";
import { strToU8, zipSync, type Zippable } from "fflate";
import PptxGenJSModule from "pptxgenjs";
import { tempDir } from "../../helpers.js";

/** A Word file: a heading per section, paragraphs, a table and a footnote. */
export interface WordSpec {
  sections: Array<{ heading: string; paragraphs: string[]; table?: string[][] }>;
  footnote?: string;
}

export async function makeDocx(spec: WordSpec): Promise<Buffer> {
  const { Document, Packer, Paragraph, HeadingLevel, Table, TableRow, TableCell, TextRun, FootnoteReferenceRun } = docx;
  const children: Array<InstanceType<typeof Paragraph> | InstanceType<typeof Table>> = [];
  spec.sections.forEach((section, s) => {
    children.push(new Paragraph({ text: section.heading, heading: s === 0 ? HeadingLevel.HEADING_1 : HeadingLevel.HEADING_2 }));
    section.paragraphs.forEach((text, p) => {
      const runs = [new TextRun(text)];
      if (spec.footnote && s === 0 && p === 0) children.push(new Paragraph({ children: [...runs, new FootnoteReferenceRun(1)] }));
      else children.push(new Paragraph({ children: runs }));
    });
    if (section.table) {
      children.push(
        new Table({
          rows: section.table.map((row) => new TableRow({ children: row.map((cell) => new TableCell({ children: [new Paragraph(cell)] })) })),
        }),
      );
    }
  });
  const document = new Document({
    footnotes: spec.footnote ? { 1: { children: [new Paragraph(spec.footnote)] } } : {},
    sections: [{ children }],
  });
  return Packer.toBuffer(document);
}

/** A slide deck: each slide a title, body lines, optional table and speaker notes. */
export interface SlideSpec {
  title?: string;
  lines: string[];
  table?: string[][];
  notes?: string;
}

// pptxgenjs ships CommonJS with ESM-style types: at run time the default import is the class itself.
const PptxGenJS = ((PptxGenJSModule as unknown as { default?: unknown }).default ?? PptxGenJSModule) as typeof PptxGenJSModule.default;

export async function makePptx(slides: SlideSpec[]): Promise<Buffer> {
  const pptx = new PptxGenJS();
  pptx.defineSlideMaster({
    title: "TITLED",
    objects: [{ placeholder: { options: { name: "title", type: "title", x: 0.5, y: 0.3, w: 9, h: 1 }, text: "" } }],
  });
  for (const spec of slides) {
    const slide = pptx.addSlide({ masterName: "TITLED" });
    if (spec.title) slide.addText(spec.title, { placeholder: "title" });
    if (spec.lines.length) slide.addText(spec.lines.map((text) => ({ text, options: { breakLine: true } })), { x: 0.5, y: 1.5, w: 9, h: 2 });
    if (spec.table) slide.addTable(spec.table.map((row) => row.map((text) => ({ text }))), { x: 0.5, y: 4, w: 9 });
    if (spec.notes) slide.addNotes(spec.notes);
  }
  return (await pptx.write({ outputType: "nodebuffer" })) as Buffer;
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** An OpenDocument package: the mimetype entry first and stored, as the format requires. */
function odfPackage(mimetype: string, content: string, extra: Zippable = {}): Buffer {
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="${mimetype}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`;
  return Buffer.from(
    zipSync({
      mimetype: [strToU8(mimetype), { level: 0 }],
      "content.xml": strToU8(content),
      "META-INF/manifest.xml": strToU8(manifest),
      ...extra,
    }),
  );
}

const odfNamespaces =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ' +
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" ' +
  'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.3"';

export function makeOdt(spec: WordSpec): Buffer {
  const body = spec.sections
    .map((section, s) => {
      const paragraphs = section.paragraphs
        .map((p, i) =>
          spec.footnote && s === 0 && i === 0
            ? `<text:p>${escapeXml(p)}<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>${escapeXml(spec.footnote)}</text:p></text:note-body></text:note></text:p>`
            : `<text:p>${escapeXml(p)}</text:p>`,
        )
        .join("");
      const table = section.table
        ? `<table:table>${section.table.map((row) => `<table:table-row>${row.map((c) => `<table:table-cell><text:p>${escapeXml(c)}</text:p></table:table-cell>`).join("")}</table:table-row>`).join("")}</table:table>`
        : "";
      return `<text:h text:outline-level="${s === 0 ? 1 : 2}">${escapeXml(section.heading)}</text:h>${paragraphs}${table}`;
    })
    .join("");
  return odfPackage(
    "application/vnd.oasis.opendocument.text",
    `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${odfNamespaces}><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
  );
}

export function makeOdp(slides: SlideSpec[]): Buffer {
  const pages = slides
    .map((s, i) => {
      const title = s.title
        ? `<draw:frame presentation:class="title"><draw:text-box><text:p>${escapeXml(s.title)}</text:p></draw:text-box></draw:frame>`
        : "";
      const body = `<draw:frame presentation:class="outline"><draw:text-box>${s.lines.map((l) => `<text:p>${escapeXml(l)}</text:p>`).join("")}</draw:text-box></draw:frame>`;
      const notes = s.notes
        ? `<presentation:notes><draw:page-thumbnail/><draw:frame presentation:class="notes"><draw:text-box><text:p>${escapeXml(s.notes)}</text:p></draw:text-box></draw:frame></presentation:notes>`
        : "";
      return `<draw:page draw:name="page${i + 1}">${title}${body}${notes}</draw:page>`;
    })
    .join("");
  return odfPackage(
    "application/vnd.oasis.opendocument.presentation",
    `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${odfNamespaces}><office:body><office:presentation>${pages}</office:presentation></office:body></office:document-content>`,
  );
}

/** An EPUB 3 book: chapters in spine order (listed in the manifest in reverse, so order must come from the spine). */
export function makeEpub(chapters: Array<{ title: string; paragraphs: string[] }>, options: { cover?: boolean } = {}): Buffer {
  const files: Zippable = { mimetype: [strToU8("application/epub+zip"), { level: 0 }] };
  files["META-INF/container.xml"] = strToU8(
    `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
  );
  const xhtml = (title: string, body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${escapeXml(title)}</title></head><body>${body}</body></html>`;
  const ids: string[] = [];
  if (options.cover) {
    files["OEBPS/cover.xhtml"] = strToU8(xhtml("cover", '<div><img src="cover.png" alt=""/></div>'));
    ids.push("cover");
  }
  chapters.forEach((c, i) => {
    files[`OEBPS/text/ch${i + 1}.xhtml`] = strToU8(xhtml(c.title, `<h1>${escapeXml(c.title)}</h1>${c.paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join("")}`));
    ids.push(`ch${i + 1}`);
  });
  files["OEBPS/nav.xhtml"] = strToU8(
    xhtml("目录", `<nav epub:type="toc" xmlns:epub="http://www.idpf.org/2007/ops"><ol>${chapters.map((c, i) => `<li><a href="text/ch${i + 1}.xhtml">${escapeXml(c.title)}</a></li>`).join("")}</ol></nav>`),
  );
  const manifestItems = [...ids]
    .reverse()
    .map((id) => `<item id="${id}" href="${id === "cover" ? "cover.xhtml" : `text/${id}.xhtml`}" media-type="application/xhtml+xml"/>`)
    .join("");
  files["OEBPS/content.opf"] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">test-book</dc:identifier><dc:title>测试之书</dc:title><dc:language>zh</dc:language></metadata><manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>${manifestItems}</manifest><spine>${ids.map((id) => `<itemref idref="${id}"/>`).join("")}</spine></package>`,
  );
  return Buffer.from(zipSync(files));
}

/** Rewrites one entry of a ZIP (read with fflate) and zips it again; extra entries may be added. */
export async function rewriteZip(bytes: Buffer, change: (entries: Record<string, Uint8Array>) => void): Promise<Buffer> {
  const { unzipSync } = await import("fflate");
  const entries = unzipSync(new Uint8Array(bytes));
  change(entries);
  return Buffer.from(zipSync(entries));
}

/**
 * A ZIP whose one entry declares `declared` bytes but holds `actual` bytes of zeros (a lying zip bomb), made by
 * patching the sizes in the local and central headers of a real archive.
 */
export function lyingZipBomb(name: string, actual: number, declared: number): Buffer {
  const zip = Buffer.from(zipSync({ [name]: [new Uint8Array(actual), { level: 9 }] }));
  const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(declared, 22); // local header: uncompressed size
  zip.writeUInt32LE(declared, central + 24); // central directory: uncompressed size
  return zip;
}

/** Whether LibreOffice is installed (CI installs it; see .ci/run). */
export function hasSoffice(): boolean {
  try {
    execFileSync("soffice", ["--version"], { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Converts a generated file with LibreOffice (to make .doc/.ppt/.rtf test files from .docx/.pptx). */
export function convertForTest(bytes: Buffer, fromExt: string, toExt: string): Buffer {
  const dir = tempDir("alpaca-rag-lo-fixture-");
  const input = path.join(dir, `input.${fromExt}`);
  fs.writeFileSync(input, bytes);
  execFileSync(
    "soffice",
    ["--headless", "--norestore", `-env:UserInstallation=file://${path.join(dir, "profile")}`, "--convert-to", toExt, "--outdir", dir, input],
    { stdio: "ignore", timeout: 180_000 },
  );
  return fs.readFileSync(path.join(dir, `input.${toExt.split(":")[0]}`));
}
