// Builds the benchmark corpus: each distinct CMRC 2018 trial passage as a UTF-8 .txt file, plus the sample PDF,
// with the CC BY-SA 4.0 licence kept beside them.
//
// Layout (the licence sits one level above the documents, so no ingester, whatever extensions it accepts, reads it):
//   <dir>/LICENCE              CC BY-SA 4.0 text, copied unchanged
//   <dir>/NOTICE               where the documents come from
//   <dir>/documents/*.txt|pdf  what the pipelines ingest; `prepareBenchCorpus` returns this folder as `dir`
import fs from "node:fs";
import path from "node:path";
import { readCmrcPassages } from "./lib/cmrc.js";
import { sharedPath } from "./lib/paths.js";

export interface BenchCorpus {
  /** The folder to ingest (<dir>/documents). */
  dir: string;
  /** Files in it: the .txt passages plus the PDF. */
  files: number;
  /** Characters (code points) in the .txt files; the PDF repeats the first 12 passages and is not counted. */
  chars: number;
}

const MARKER = ".bench-corpus"; // in <dir>: its documents/ folder is ours to empty and rewrite

const notice = `The documents in documents/ are derived from the CMRC 2018 trial set
(https://github.com/ymcui/cmrc2018): one .txt file per distinct passage, and
cmrc-trial-sample.pdf, a PDF typesetting of the first 12 passages.
They are shared under CC BY-SA 4.0; see LICENCE.
`;

/** `passages`: only the first N trial passages (the sample PDF is always included); default all 256. */
export async function prepareBenchCorpus(dir: string, options: { passages?: number } = {}): Promise<BenchCorpus> {
  const root = path.resolve(dir);
  const docs = path.join(root, "documents");
  if (fs.existsSync(docs)) {
    if (!fs.existsSync(path.join(root, MARKER))) throw new Error(`${docs} exists and was not made by prepareBenchCorpus; not touching it`);
    await fs.promises.rm(docs, { recursive: true }); // start clean so stale files never inflate the corpus
  }
  await fs.promises.mkdir(docs, { recursive: true });
  await fs.promises.writeFile(path.join(root, MARKER), "");

  const seen = new Set<string>();
  const names = new Set<string>();
  let files = 0;
  let chars = 0;
  for (const passage of readCmrcPassages().slice(0, options.passages ?? Infinity)) {
    // Exact duplicates are skipped so that a deduplicating ingester gains nothing over one that does not.
    if (seen.has(passage.context)) continue;
    seen.add(passage.context);
    const base = passage.id.replace(/[^\w.-]/g, "_");
    let name = `${base}.txt`;
    for (let n = 2; names.has(name); n++) name = `${base}-${n}.txt`;
    names.add(name);
    await fs.promises.writeFile(path.join(docs, name), passage.context, "utf8");
    files += 1;
    chars += [...passage.context].length;
  }

  await fs.promises.copyFile(sharedPath("data", "pdf", "cmrc-trial-sample.pdf"), path.join(docs, "cmrc-trial-sample.pdf"));
  files += 1;
  await fs.promises.copyFile(sharedPath("data", "cmrc2018", "LICENCE"), path.join(root, "LICENCE"));
  await fs.promises.writeFile(path.join(root, "NOTICE"), notice, "utf8");
  return { dir: docs, files, chars };
}
