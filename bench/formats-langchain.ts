// The LangChain JS side of the formats benchmark, run in its own process: each file of the mixed folder read by the
// loader a LangChain user would pick for it (@langchain/community's DocxLoader (mammoth), PPTXLoader (officeparser),
// EPubLoader (epub2 + html-to-text), CSVLoader (d3-dsv), PDFLoader (pdf-parse); a saved web page through
// @langchain/classic's TextLoader and HtmlToTextTransformer (html-to-text)); no .xlsx loader exists there. The text of
// each file's documents is written to `outDir/<file>.txt`, so the same retriever can score what each side extracted.
import fs from "node:fs";
import path from "node:path";
import { TextLoader } from "@langchain/classic/document_loaders/fs/text";
import { CSVLoader } from "@langchain/community/document_loaders/fs/csv";
import { DocxLoader } from "@langchain/community/document_loaders/fs/docx";
import { EPubLoader } from "@langchain/community/document_loaders/fs/epub";
import { PDFLoader } from "@langchain/community/document_loaders/fs/pdf";
import { PPTXLoader } from "@langchain/community/document_loaders/fs/pptx";
import { HtmlToTextTransformer } from "@langchain/community/document_transformers/html_to_text";
import type { Document } from "@langchain/core/documents";
import { serveChild } from "./lib/measure.js";

export interface FormatsLangchainOptions {
  dir: string;
  outDir: string;
}

export interface ExtractedFile {
  file: string;
  status: "read" | "failed" | "unsupported";
  reason?: string;
  seconds: number;
  chars: number;
}

/** The loader a LangChain user would pick for each extension, or undefined when there is none. */
const loaders: Record<string, (file: string) => Promise<Document[]>> = {
  ".docx": (file) => new DocxLoader(file).load(),
  ".pptx": (file) => new PPTXLoader(file).load(),
  ".epub": (file) => new EPubLoader(file, { splitChapters: true }).load(),
  ".csv": (file) => new CSVLoader(file).load(),
  ".pdf": (file) => new PDFLoader(file).load(),
  ".html": async (file) => new HtmlToTextTransformer().transformDocuments(await new TextLoader(file).load()),
  ".txt": (file) => new TextLoader(file).load(),
};

export async function extractWithLangchain(opts: FormatsLangchainOptions): Promise<ExtractedFile[]> {
  fs.rmSync(opts.outDir, { recursive: true, force: true });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const results: ExtractedFile[] = [];
  for (const name of fs.readdirSync(opts.dir).sort()) {
    const load = loaders[path.extname(name).toLowerCase()];
    if (!load) {
      results.push({ file: name, status: "unsupported", reason: "no LangChain JS loader for this extension", seconds: 0, chars: 0 });
      continue;
    }
    const started = performance.now();
    try {
      const docs = await load(path.join(opts.dir, name));
      const text = docs.map((d) => d.pageContent).join("\n\n");
      const seconds = (performance.now() - started) / 1000;
      if (text.trim() === "") {
        results.push({ file: name, status: "failed", reason: "no text", seconds, chars: 0 });
        continue;
      }
      fs.writeFileSync(path.join(opts.outDir, `${name}.txt`), text);
      results.push({ file: name, status: "read", seconds, chars: text.length });
    } catch (error) {
      results.push({ file: name, status: "failed", reason: (error as Error).message.split("\n")[0], seconds: (performance.now() - started) / 1000, chars: 0 });
    }
  }
  return results;
}

serveChild(import.meta.url, extractWithLangchain);
