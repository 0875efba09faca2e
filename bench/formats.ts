// `npm run bench:formats`: the mixed-format folder. The CMRC trial passages are spread over DOCX, PPTX, XLSX, CSV, HTML,
// EPUB and scanned PDF files (8 passages a file, written by the libraries in lib/format-files.ts and, for the scans,
// lib/scanned-pdf.ts), and the same groups are written as plain .txt, the reference. Side by side in one run, each in
// its own process: alpaca-rag reads the folder with its loaders (loadDocument by extension: a format with no loader yet
// is "unsupported"), LangChain JS with the loaders its users pick (formats-langchain.ts), and the reference as text.
// All three are ingested and searched by the same lexical retriever (alpaca-rag's BM25 over jieba words), so the
// difference is extraction: per format, files read, passage recall@5 on the trial questions whose passage lives in
// that format (a result counts when its text holds the gold passage: lib/passage-match.ts), and seconds to read.
// Goal: every format ≥ 0.9 of plain text's recall@5. Then a 25k/50k/100k-row workbook through the .xlsx loader and
// the chunker: seconds and peak RSS, to show both stay linear. Writes bench/results/formats.json and .md.
// Flags: --passages N (first N distinct passages; default all), --rows 25000,50000,100000
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { lexicalQuery } from "../src/store/segment.js";
import { openStore } from "../src/store/open.js";
import type { FormatsAlpacaOptions, FormatsAlpacaResult } from "./formats-alpaca.js";
import type { ExtractedFile, FormatsLangchainOptions } from "./formats-langchain.js";
import type { SheetScaleOptions, SheetScaleResult } from "./formats-sheet-scale.js";
import { flag, listFlag } from "./lib/cli.js";
import { cmrcTrialPath } from "./lib/cmrc.js";
import { writeCsv, writeDocx, writeEpub, writeHtml, writePptx, writeTxt, writeXlsx, type FormatWriter, type TitledPassage } from "./lib/format-files.js";
import { formatTable, mib, runInChild } from "./lib/measure.js";
import { PassageMatcher } from "./lib/passage-match.js";
import { writeScannedPdf } from "./lib/scanned-pdf.js";
import { describeMachine, writeResults } from "./lib/report.js";
import { ratio, round } from "./lib/stats.js";

const passagesPerFile = 8;
const k = 5;
const goalShare = 0.9;
const work = path.join(os.tmpdir(), "alpaca-rag-bench-formats");

interface Format {
  name: string;
  extension: string;
  /** null: this row's files are not built on this branch yet (the hook another branch fills). */
  write: FormatWriter | null;
  note?: string;
}


const formats: Format[] = [
  { name: "DOCX", extension: ".docx", write: writeDocx },
  { name: "PPTX", extension: ".pptx", write: writePptx },
  { name: "XLSX", extension: ".xlsx", write: writeXlsx },
  { name: "CSV", extension: ".csv", write: writeCsv },
  { name: "HTML", extension: ".html", write: writeHtml },
  { name: "EPUB", extension: ".epub", write: writeEpub },
  // Typeset, rasterised at 150 dpi and rebuilt as pictures only: read through OCR (LangChain's PDFLoader has none).
  { name: "scanned PDF", extension: ".pdf", write: writeScannedPdf },
];

interface SquadFile {
  data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
}

/** Distinct passages in file order with their non-empty questions. */
function readTrial(limit: number): Array<{ text: string; questions: string[] }> {
  const squad = JSON.parse(fs.readFileSync(cmrcTrialPath, "utf8")) as SquadFile;
  const byText = new Map<string, string[]>();
  for (const p of squad.data.flatMap((a) => a.paragraphs)) {
    const questions = p.qas.map((q) => q.question.trim()).filter(Boolean);
    const known = byText.get(p.context);
    if (known) known.push(...questions);
    else if (byText.size < limit) byText.set(p.context, questions);
  }
  return [...byText].map(([text, questions]) => ({ text, questions }));
}

const passageLimit = Number(flag("--passages") ?? Infinity);
const rowSizes = listFlag("--rows", ["25000", "50000", "100000"]).map(Number);
const trial = readTrial(passageLimit);
const built = formats.filter((f) => f.write !== null);

// Passage i goes to built format i mod |built|, in files of passagesPerFile; the .txt reference mirrors every file.
const mixedDir = path.join(work, "mixed");
const textDir = path.join(work, "text");
for (const dir of [mixedDir, textDir]) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}
const formatOf: string[] = [];
for (const [f, format] of built.entries()) {
  const mine = trial.flatMap((p, i) => (i % built.length === f ? [{ index: i, title: `第${i + 1}篇`, text: p.text }] : []));
  for (const p of mine) formatOf[p.index] = format.name;
  for (let start = 0; start < mine.length; start += passagesPerFile) {
    const group: TitledPassage[] = mine.slice(start, start + passagesPerFile);
    const base = `${format.name.toLowerCase().replace(/\W+/g, "-")}-${String(start / passagesPerFile + 1).padStart(2, "0")}`;
    fs.writeFileSync(path.join(mixedDir, `${base}${format.extension}`), await format.write!(group));
    fs.writeFileSync(path.join(textDir, `${base}.txt`), await writeTxt(group));
  }
}
const questionCount = trial.reduce((n, p) => n + p.questions.length, 0);
console.log(`formats: ${trial.length} passages, ${questionCount} questions, ${fs.readdirSync(mixedDir).length} files in ${built.map((f) => f.name).join(", ")}`);

const ours = await runInChild<FormatsAlpacaResult>("bench/formats-alpaca.ts", { dir: mixedDir, storeDir: path.join(work, "store-ours") } satisfies FormatsAlpacaOptions);
console.log(`alpaca-rag: ${ours.result.files.filter((f) => f.status === "read").length} files read, ${ours.result.chunks} chunks`);
const reference = await runInChild<FormatsAlpacaResult>("bench/formats-alpaca.ts", { dir: textDir, storeDir: path.join(work, "store-text") } satisfies FormatsAlpacaOptions);
const langchainText = path.join(work, "langchain-text");
const lc = await runInChild<ExtractedFile[]>("bench/formats-langchain.ts", { dir: mixedDir, outDir: langchainText } satisfies FormatsLangchainOptions);
console.log(`LangChain JS: ${lc.result.filter((f) => f.status === "read").length} files read`);
const lcStore = await runInChild<FormatsAlpacaResult>("bench/formats-alpaca.ts", { dir: langchainText, storeDir: path.join(work, "store-langchain") } satisfies FormatsAlpacaOptions);

// Recall@5 per format: a question counts when one of the first 5 chunks holds its passage.
const matcher = new PassageMatcher(trial.map((p) => p.text));
async function recallByFormat(storeDir: string): Promise<Record<string, number>> {
  const store = await openStore(storeDir, { vectors: false });
  try {
    const hits: Record<string, [number, number]> = {};
    for (const [index, passage] of trial.entries()) {
      for (const question of passage.questions) {
        const chunks = await store.chunksByIds((await store.lexicalSearch(lexicalQuery(question), k, { kbs: ["default"] })).map((h) => h.chunkId), { kbs: ["default"] });
        const found = chunks.slice(0, k).some((c) => matcher.passagesIn(c.text).has(index));
        const tally = (hits[formatOf[index]] ??= [0, 0]);
        tally[0] += found ? 1 : 0;
        tally[1] += 1;
      }
    }
    return Object.fromEntries(Object.entries(hits).map(([name, [hit, total]]) => [name, hit / total]));
  } finally {
    await store.close();
  }
}
const recall = {
  ours: await recallByFormat(path.join(work, "store-ours")),
  text: await recallByFormat(path.join(work, "store-text")),
  langchain: await recallByFormat(path.join(work, "store-langchain")),
};

interface FormatRow {
  format: string;
  files: number;
  questions: number;
  text: { recallAt5: number | null };
  alpacaRag: { read: number; failed: string[]; unsupported: boolean; recallAt5: number | null; seconds: number; shareOfText: number | null; goalMet: boolean | null };
  langchain: { read: number; failed: string[]; unsupported: boolean; recallAt5: number | null; seconds: number; shareOfText: number | null; loader: string };
  note?: string;
}

const langchainLoader: Record<string, string> = {
  DOCX: "DocxLoader (mammoth)",
  PPTX: "PPTXLoader (officeparser)",
  XLSX: "none in @langchain/community",
  CSV: "CSVLoader (d3-dsv)",
  HTML: "TextLoader + HtmlToTextTransformer (html-to-text)",
  EPUB: "EPubLoader (epub2, html-to-text)",
  "scanned PDF": "PDFLoader (pdf-parse): no OCR",
};

const side = (files: ExtractedFile[], format: Format) => {
  const mine = files.filter((f) => f.file.endsWith(format.extension) || f.file.endsWith(`${format.extension}.txt`));
  return {
    read: mine.filter((f) => f.status === "read").length,
    failed: mine.filter((f) => f.status === "failed").map((f) => `${f.file}: ${f.reason}`),
    unsupported: mine.length > 0 && mine.every((f) => f.status === "unsupported"),
    seconds: round(mine.reduce((s, f) => s + f.seconds, 0), 3),
  };
};

const rows: FormatRow[] = formats.map((format) => {
  const questions = trial.reduce((n, p, i) => n + (formatOf[i] === format.name ? p.questions.length : 0), 0);
  const files = fs.readdirSync(mixedDir).filter((f) => f.endsWith(format.extension)).length;
  const textRecall = recall.text[format.name] ?? null;
  const o = side(ours.result.files, format);
  const l = side(lc.result, format);
  const oursRecall = o.read > 0 ? (recall.ours[format.name] ?? 0) : null;
  const lcRecall = l.read > 0 ? (recall.langchain[format.name] ?? 0) : null;
  const share = (r: number | null) => (r === null || textRecall === null ? null : ratio(r, textRecall, 3));
  return {
    format: format.name,
    files,
    questions,
    text: { recallAt5: textRecall },
    alpacaRag: { ...o, recallAt5: oursRecall, shareOfText: share(oursRecall), goalMet: oursRecall === null ? null : (share(oursRecall) ?? 0) >= goalShare },
    langchain: { ...l, recallAt5: lcRecall, shareOfText: share(lcRecall), loader: langchainLoader[format.name] },
    ...(format.write === null ? { note: format.note } : {}),
  };
});

// A large workbook: the loader streams, so load time and memory grow with the rows, never with their square.
const sheetRows: Array<SheetScaleResult & { fileBytes: number; peakRssMiB: number; baseRssMiB: number }> = [];
for (const n of rowSizes) {
  const file = path.join(work, `rows-${n}.xlsx`);
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true });
  const sheet = writer.addWorksheet("明细");
  sheet.addRow(["订单号", "金额", "客户", "备注"]).commit();
  for (let i = 0; i < n; i++) sheet.addRow([`订单${i}`, i * 3, `客户${i % 977}`, `第${i}笔订单，已于当日发货。`]).commit();
  sheet.commit();
  await writer.commit();
  const run = await runInChild<SheetScaleResult>("bench/formats-sheet-scale.ts", { file } satisfies SheetScaleOptions);
  sheetRows.push({ ...run.result, fileBytes: fs.statSync(file).size, peakRssMiB: mib(run.maxRssBytes), baseRssMiB: mib(run.result.baseRssBytes) });
  console.log(`${n} rows: load ${run.result.loadSeconds.toFixed(2)} s, chunk ${run.result.chunkSeconds.toFixed(2)} s, peak RSS ${mib(run.maxRssBytes)} MiB`);
}

const show = (x: number | null) => (x === null ? "-" : round(x, 3));
const status = (s: FormatRow["alpacaRag"] | FormatRow["langchain"], files: number) =>
  s.unsupported ? "unsupported" : files === 0 ? "-" : `${s.read}/${files}${s.failed.length ? ` (${s.failed.length} failed)` : ""}`;
const table = formatTable(
  ["format", "files", "questions", "text recall@5", "alpaca-rag read", "alpaca-rag recall@5", "÷ text", "alpaca-rag s", "LangChain loader", "LangChain read", "LangChain recall@5", "÷ text", "LangChain s"],
  rows.map((r) => [
    r.format, r.files, r.questions, show(r.text.recallAt5),
    status(r.alpacaRag, r.files), show(r.alpacaRag.recallAt5), show(r.alpacaRag.shareOfText), r.alpacaRag.read ? r.alpacaRag.seconds : "-",
    r.langchain.loader, status(r.langchain, r.files), show(r.langchain.recallAt5), show(r.langchain.shareOfText), r.langchain.read ? r.langchain.seconds : "-",
  ]),
);
const scaleTable = formatTable(
  ["rows", "file MiB", "text chars", "chunks", "load s", "chunk s", "peak RSS MiB", "RSS before load MiB"],
  sheetRows.map((s) => [s.rows, mib(s.fileBytes), s.textChars, s.chunks, round(s.loadSeconds, 2), round(s.chunkSeconds, 2), s.peakRssMiB, s.baseRssMiB]),
);
const failures = rows.flatMap((r) => [...r.alpacaRag.failed.map((f) => `alpaca-rag ${f}`), ...r.langchain.failed.map((f) => `LangChain ${f}`)]);
const markdown = [
  `## Mixed-format folder (${new Date().toISOString().slice(0, 10)}; ${describeMachine()})`,
  "",
  `${trial.length} CMRC trial passages spread over the formats, ${passagesPerFile} a file; ${questionCount} questions. Every side is ingested and ` +
    `searched by the same lexical retriever (BM25 over jieba words, top ${k} chunks); a question counts when a returned chunk holds its passage. ` +
    `Goal: each format ≥ ${goalShare} of plain text's recall@5. Seconds: reading the files only.`,
  "",
  table,
  "",
  ...rows.filter((r) => r.note).map((r) => `${r.format}: ${r.note}.`),
  ...(failures.length ? ["", "Failures:", ...failures.map((f) => `- ${f}`)] : []),
  "",
  "A large workbook through the .xlsx loader and the chunker (lexical-only tokenizer), each size in its own process:",
  "",
  scaleTable,
].join("\n");

const measured = rows.filter((r) => r.alpacaRag.shareOfText !== null);
const ratios: Record<string, number | null> = Object.fromEntries(
  rows.flatMap((r) => [[`${r.format}.shareOfText`, r.alpacaRag.shareOfText], [`${r.format}.vsLangchain`, r.alpacaRag.recallAt5 !== null && r.langchain.recallAt5 ? ratio(r.alpacaRag.recallAt5, r.langchain.recallAt5) : null]]),
);
writeResults(
  "formats",
  {
    ratios,
    ratioNote: "<format>.shareOfText: alpaca-rag's recall@5 ÷ plain text's (goal ≥ 0.9); <format>.vsLangchain: ours ÷ LangChain's recall@5 (> 1: alpaca-rag better).",
    passages: trial.length,
    questions: questionCount,
    passagesPerFile,
    k,
    goal: { shareOfText: goalShare, met: measured.length > 0 && measured.every((r) => r.alpacaRag.goalMet), formatsMeasured: measured.map((r) => r.format) },
    formats: rows,
    ingest: { alpacaRag: { chunks: ours.result.chunks, seconds: ours.result.ingestSeconds }, text: { chunks: reference.result.chunks, seconds: reference.result.ingestSeconds }, langchain: { chunks: lcStore.result.chunks, seconds: lcStore.result.ingestSeconds } },
    sheetScale: sheetRows,
  },
  markdown,
);
