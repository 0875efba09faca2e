// Tests of src/ingest/loaders/pdf.ts (and loadDocument's dispatch to it): PDFs drawn with pdfkit at test time
// (wrapped English prose over two pages, hand-placed wrapped lines, encrypted, textless, truncated, empty) and the
// shared Chinese CMRC sample with its page map.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocumentLoadError, loadDocument } from "../../../src/ingest/loaders/index.js";
import { loadPdfDocument } from "../../../src/ingest/loaders/pdf.js";
import type { LoadedDocument } from "../../../src/ingest/types.js";
import { drawPdf } from "../../reliability/fixtures.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alpaca-rag-pdf-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixture(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

function pageText(doc: LoadedDocument, page: number): string {
  return doc.text.slice(doc.pageStarts[page - 1], doc.pageStarts[page] ?? doc.text.length);
}

async function loadFailure(bytes: Buffer, name = "bad.pdf"): Promise<DocumentLoadError> {
  const error = await loadDocument(await fixture(name, bytes)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DocumentLoadError);
  return error as DocumentLoadError;
}

// A small page, so ordinary paragraphs wrap over several lines and the last one runs onto page 2.
const smallPage: PDFKit.PDFDocumentOptions = {
  size: [360, 300],
  margins: { top: 30, bottom: 30, left: 36, right: 36 },
};

const logbookParagraphs = [
  "Lighthouse keepers on the northern coast kept a logbook for every night of the year. Each entry noted " +
    "the wind, the state of the sea, the ships that passed and the hour the lamp was lit, so a reader today " +
    "can follow a whole winter storm hour by hour.",
  "The logbooks also record smaller things: a broken pane replaced in March, a cat that arrived with the " +
    "supply boat, a visiting inspector who found the brass polished to his satisfaction.",
  "When the lights were automated, most of the books went to the regional archive, where volunteers are " +
    "copying them by hand into a searchable catalogue. The work is slow, because the handwriting changes " +
    "with every keeper and the ink has faded on the pages that faced the window, but the volunteers say the " +
    "stories are worth the effort.",
];

function drawLogbookPdf(): Promise<Buffer> {
  return drawPdf(smallPage, (doc) => {
    const heading = (title: string) => doc.font("Helvetica-Bold").fontSize(16).text(title).moveDown(0.5);
    const paragraph = (text: string) => doc.font("Helvetica").fontSize(11).text(text).moveDown(0.5);
    heading("Chapter 1 Overview");
    paragraph(logbookParagraphs[0]);
    paragraph(logbookParagraphs[1]);
    heading("Chapter 2 The Archive");
    paragraph(logbookParagraphs[2]);
  });
}

describe("English PDF with wrapped paragraphs", () => {
  let pdf: Buffer;
  let doc: LoadedDocument;

  beforeAll(async () => {
    pdf = await drawLogbookPdf();
    doc = await loadDocument(await fixture("logbooks.PDF", pdf));
  });

  it("joins wrapped lines with single spaces and keeps paragraph breaks", () => {
    expect(doc.kind).toBe("pdf");
    expect(doc.text).toBe(
      [
        "Chapter 1 Overview",
        logbookParagraphs[0],
        logbookParagraphs[1],
        "Chapter 2 The Archive",
        logbookParagraphs[2],
      ].join("\n\n"),
    );
  });

  it("records the heading lines as sections", () => {
    expect(doc.sections).toEqual([
      { offset: 0, title: "Chapter 1 Overview" },
      { offset: doc.text.indexOf("Chapter 2"), title: "Chapter 2 The Archive" },
    ]);
  });

  it("maps pages to text, joining the paragraph that runs across the page break", () => {
    expect(doc.pageStarts).toHaveLength(2);
    expect(doc.pageStarts[0]).toBe(0);
    const first = pageText(doc, 1);
    const second = pageText(doc, 2);
    expect(first + second).toBe(doc.text);
    // The joining space belongs to page 1; page 2 begins mid-paragraph, at a word.
    expect(first.endsWith(" ")).toBe(true);
    expect(second).toMatch(/^[a-z]/);
    expect(second).not.toContain("\n");
    const crossing = logbookParagraphs[2];
    expect(crossing.endsWith(second)).toBe(true);
    expect(first.endsWith(crossing.slice(0, crossing.length - second.length))).toBe(true);
  });

  it("refuses the same file cut in half as corrupt or truncated", async () => {
    const error = await loadFailure(pdf.subarray(0, Math.floor(pdf.length / 2)), "half.pdf");
    expect(error.failure).toBe("corrupt-pdf");
    expect(error.message).toBe("corrupt or truncated PDF");
  });
});

describe("line joins", () => {
  // Lines placed one by one, so the wraps fall exactly where the test needs them.
  const lines = [
    "Old harbour charts were drawn from soundings and infor-",
    "mation gathered by fishing crews, who knew every shoal,",
    "and the best of them were corrected by the pilot Jean-",
    "Pierre Lasalle after each winter. He sold copies at the",
    "market for a few coins.",
    "Newer charts came later.",
  ];

  it("drops a soft-wrap hyphen, keeps a real one, and separates short lines as paragraphs", async () => {
    const pdf = await drawPdf(smallPage, (doc) => {
      doc.font("Helvetica").fontSize(11);
      lines.forEach((line, i) => doc.text(line, 36, 36 + i * 14, { lineBreak: false }));
    });
    const doc = await loadPdfDocument(pdf);
    expect(doc.text).toBe(
      "Old harbour charts were drawn from soundings and information gathered by fishing crews, who knew every " +
        "shoal, and the best of them were corrected by the pilot Jean-Pierre Lasalle after each winter. He sold " +
        "copies at the market for a few coins.\n\nNewer charts came later.",
    );
    expect(doc.sections).toEqual([]);
  });

  it("gives a page without text an empty slice and breaks the paragraph there", async () => {
    const pdf = await drawPdf(smallPage, (doc) => {
      doc.font("Helvetica").fontSize(11);
      lines.slice(0, 4).forEach((line, i) => doc.text(line, 36, 36 + i * 14, { lineBreak: false }));
      doc.addPage().rect(40, 40, 120, 80).fill("#777777");
      doc.addPage().font("Helvetica").fontSize(11).text("A closing note on the last page.", 36, 36);
    });
    const doc = await loadPdfDocument(pdf);
    expect(doc.pageStarts).toHaveLength(3);
    expect(pageText(doc, 2)).toBe("");
    expect(pageText(doc, 1).endsWith("He sold copies at the\n\n")).toBe(true);
    expect(pageText(doc, 3)).toBe("A closing note on the last page.");
  });
});

describe("refused PDFs", () => {
  it("refuses an encrypted PDF", async () => {
    const pdf = await drawPdf({ userPassword: "open sesame" }, (doc) => doc.text("Secret minutes of the meeting."));
    const error = await loadFailure(pdf, "locked.pdf");
    expect(error.message).toBe("encrypted PDF (password protected)");
  });

  it("refuses a PDF of drawings without a text layer", async () => {
    const pdf = await drawPdf({}, (doc) => {
      doc.rect(60, 60, 200, 120).fill("#336699");
      doc.circle(300, 400, 80).lineWidth(4).stroke("#993333");
      doc.addPage().moveTo(50, 50).lineTo(400, 500).stroke();
    });
    const error = await loadFailure(pdf, "scan.pdf");
    // loadDocument without an OCR service: OCR is off.
    expect(error.message).toBe('no text layer (scanned or image-only PDF): OCR is off (ocr.engine is "none")');
  });

  it("refuses a zero-byte file as empty", async () => {
    const error = await loadFailure(Buffer.alloc(0), "zero.pdf");
    expect(error.message).toBe("empty file");
    expect(error.filePath).toBe(join(dir, "zero.pdf"));
  });

  it("refuses a file that is not a PDF at all", async () => {
    const error = await loadFailure(Buffer.from("These are plain words, saved under a .pdf name.\n"), "words.pdf");
    expect(error.message).toBe("corrupt or truncated PDF");
  });
});

describe("shared CMRC sample (Chinese, 6 pages)", () => {
  interface PageMap {
    pages: number;
    passages: { id: string; page: number; pageEnd: number; context: string }[];
  }
  const sharedPdfDir = fileURLToPath(new URL("../../../../shared/data/pdf/", import.meta.url));
  const samplePath = join(sharedPdfDir, "cmrc-trial-sample.pdf");
  const mapPath = join(sharedPdfDir, "cmrc-trial-sample.pages.json");
  const squeeze = (s: string) => s.replace(/\s+/g, "");
  let doc: LoadedDocument;
  let map: PageMap;

  beforeAll(async () => {
    map = JSON.parse(await readFile(mapPath, "utf8")) as PageMap;
    doc = await loadDocument(samplePath);
  });

  it("has one page start per page", () => {
    expect(doc.pageStarts).toHaveLength(map.pages);
    expect(doc.pageStarts[0]).toBe(0);
    for (let i = 1; i < doc.pageStarts.length; i++) expect(doc.pageStarts[i]).toBeGreaterThan(doc.pageStarts[i - 1]);
  });

  it("finds each passage, joined into one paragraph, on the page the map gives", () => {
    for (const passage of map.passages) {
      const end = doc.pageStarts[passage.pageEnd] ?? doc.text.length;
      const pages = doc.text.slice(doc.pageStarts[passage.page - 1], end);
      const paragraphs = pages.split("\n\n").map(squeeze);
      expect(paragraphs, passage.id).toContain(squeeze(passage.context));
    }
  });

  it("joins Chinese line wraps without spaces and leaves no line breaks inside paragraphs", () => {
    expect(doc.text).not.toMatch(/[^\n]\n[^\n]/);
    expect(doc.text).not.toMatch(/\p{Script=Han} \p{Script=Han}/u);
    expect(doc.text.split("\n\n")).toHaveLength(map.passages.length * 2);
  });

  it("turns each 第N节 heading into a section", () => {
    const expected = map.passages.map((_, i) => `第${i + 1}节`);
    expect(doc.sections.map((s) => s.title)).toEqual(expected);
    for (const section of doc.sections) {
      expect(doc.text.slice(section.offset, section.offset + section.title.length + 2)).toBe(`${section.title}\n\n`);
    }
  });
});
