// The mixed-format folder of the formats benchmark: groups of CMRC trial passages written as the files people keep
// (Word, slides, workbooks, CSV, a saved web page with its navigation and scripts, an e-book), each by the library a
// program would use to write them (docx, pptxgenjs, exceljs; the EPUB is assembled with jszip, as its format is a ZIP
// of XHTML), plus the same groups as plain .txt, the reference every format is measured against.
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph } from "docx";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import pptxgen from "pptxgenjs";

// pptxgenjs's types describe a CommonJS module whose default is the class, while Node loads its ES build, whose
// default is the class itself: take it either way.
type PptxClass = typeof pptxgen.default;
const PptxGenJS: PptxClass = (pptxgen as unknown as { default?: PptxClass }).default ?? (pptxgen as unknown as PptxClass);

/** One passage as it goes into a file: our own title ("第3篇") and the passage's text. */
export interface TitledPassage {
  title: string;
  text: string;
}

/** Writes one file holding `passages` in the format; the bytes. */
export type FormatWriter = (passages: TitledPassage[]) => Promise<Buffer>;

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const paragraphs = (text: string) => text.split(/\n+/).map((p) => p.trim()).filter(Boolean);

export const writeTxt: FormatWriter = async (passages) => Buffer.from(passages.map((p) => `${p.title}\n\n${p.text}`).join("\n\n"), "utf8");

export const writeDocx: FormatWriter = async (passages) => {
  const children = passages.flatMap((p) => [
    new Paragraph({ text: p.title, heading: HeadingLevel.HEADING_1 }),
    ...paragraphs(p.text).map((text) => new Paragraph({ text, alignment: AlignmentType.JUSTIFIED })),
  ]);
  return Packer.toBuffer(new Document({ creator: "alpaca-rag bench", sections: [{ children }] }));
};

export const writePptx: FormatWriter = async (passages) => {
  const deck = new PptxGenJS();
  for (const p of passages) {
    const slide = deck.addSlide();
    slide.addText(p.title, { x: 0.4, y: 0.2, w: 9.2, h: 0.7, fontSize: 26, bold: true });
    slide.addText(p.text, { x: 0.4, y: 1.0, w: 9.2, h: 4.4, fontSize: 11, valign: "top" });
  }
  return (await deck.write({ outputType: "nodebuffer" })) as Buffer;
};

/** One row per passage under the headers 编号, 标题, 正文. */
export const writeXlsx: FormatWriter = async (passages) => {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("资料");
  sheet.addRow(["编号", "标题", "正文"]);
  passages.forEach((p, i) => sheet.addRow([i + 1, p.title, p.text]));
  return Buffer.from(await workbook.xlsx.writeBuffer());
};

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export const writeCsv: FormatWriter = async (passages) =>
  Buffer.from(["编号,标题,正文", ...passages.map((p, i) => [String(i + 1), p.title, p.text].map(csvField).join(","))].join("\r\n"), "utf8");

/** A saved article page: navigation, a script, styles, a sidebar and a footer around the article. */
export const writeHtml: FormatWriter = async (passages) => {
  const sections = passages.map((p) => `<section><h2>${escapeXml(p.title)}</h2>${paragraphs(p.text).map((t) => `<p>${escapeXml(t)}</p>`).join("")}</section>`).join("\n");
  return Buffer.from(
    `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>资料汇编</title>
<style>body{font-family:sans-serif}nav a{margin:0 8px}.ad{display:none}</style>
<script>window.dataLayer=[];function track(){dataLayer.push({event:"view",page:"资料汇编"})}track();</script></head>
<body><nav><a href="/">首页</a><a href="/news">新闻</a><a href="/about">关于我们</a><a href="/login">登录</a></nav>
<aside class="ad">热门推荐：点击查看更多精彩内容</aside>
<article><h1>资料汇编</h1>
${sections}
</article>
<footer>版权所有 © 本站 保留所有权利 | 联系我们 | 网站地图</footer></body></html>`,
    "utf8",
  );
};

/** An EPUB 2 book, one chapter per passage, with the OPF spine and NCX table of contents readers expect. */
export const writeEpub: FormatWriter = async (passages) => {
  const zip = new JSZip();
  zip.file("mimetype", "application/epub+zip", { compression: "STORE" });
  zip.file(
    "META-INF/container.xml",
    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
  );
  const ids = passages.map((_, i) => `c${i + 1}`);
  zip.file(
    "OEBPS/content.opf",
    `<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" unique-identifier="bookid" version="2.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>资料汇编</dc:title><dc:language>zh</dc:language><dc:identifier id="bookid">urn:uuid:00000000-0000-4000-8000-000000000001</dc:identifier></metadata>` +
      `<manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>${ids.map((id) => `<item id="${id}" href="${id}.xhtml" media-type="application/xhtml+xml"/>`).join("")}</manifest>` +
      `<spine toc="ncx">${ids.map((id) => `<itemref idref="${id}"/>`).join("")}</spine></package>`,
  );
  zip.file(
    "OEBPS/toc.ncx",
    `<?xml version="1.0" encoding="utf-8"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head><meta name="dtb:uid" content="urn:uuid:00000000-0000-4000-8000-000000000001"/></head><docTitle><text>资料汇编</text></docTitle><navMap>` +
      passages.map((p, i) => `<navPoint id="n${i + 1}" playOrder="${i + 1}"><navLabel><text>${escapeXml(p.title)}</text></navLabel><content src="${ids[i]}.xhtml"/></navPoint>`).join("") +
      "</navMap></ncx>",
  );
  passages.forEach((p, i) =>
    zip.file(
      `OEBPS/${ids[i]}.xhtml`,
      `<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${escapeXml(p.title)}</title></head><body><h1>${escapeXml(p.title)}</h1>${paragraphs(p.text).map((t) => `<p>${escapeXml(t)}</p>`).join("")}</body></html>`,
    ),
  );
  return zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE", mimeType: "application/epub+zip" });
};
