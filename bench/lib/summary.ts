// The combined table of every benchmark's headline figures, read from bench/results/*.json: one row per comparison
// or goal, with the ratio pointed so that > 1 means alpaca-rag is better. Used by run.ts for summary.md.
import { readResults } from "./report.js";
import { round } from "./stats.js";

export type SummaryRow = [benchmark: string, measure: string, model: string, ours: string, theirs: string, ratio: string];

type Ratios = Record<string, number | null>;
type PerModel<T> = Record<string, T & { ratios: Ratios }>;
type Summary = { p50Ms: number; p95Ms: number; p99Ms: number };

const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : String(round(x, digits)));

function ingestRows(): SummaryRow[] {
  type M = {
    alpacaRag: { chunksPerSecond: number; seconds: number; reingestSeconds: number };
    rawLimit: { chunksPerSecond: number };
    rawSameContexts?: { contexts: number; chunksPerSecond: number };
    langchain: { seconds: number };
  };
  const r = readResults<{ models: PerModel<M>; corpus?: { passages?: number } }>("ingest");
  const corpus = r?.corpus?.passages !== undefined ? `${r.corpus.passages} passages + PDF` : "the corpus";
  return Object.entries(r?.models ?? {}).flatMap(([model, m]) => [
    ["ingest", `wall time, ${corpus} (s)`, model, fmt(m.alpacaRag.seconds, 1), `LangChain JS ${fmt(m.langchain.seconds, 1)}`, fmt(m.ratios.vsLangchain)],
    ["ingest", "embedding throughput (chunks/s)", model, fmt(m.alpacaRag.chunksPerSecond), `raw llama.cpp ${fmt(m.rawLimit.chunksPerSecond)}`, fmt(m.ratios.vsRawLimit)],
    ...(m.rawSameContexts && m.rawSameContexts.contexts > 1
      ? [["ingest", "embedding throughput, bare loop split alike (chunks/s)", model, fmt(m.alpacaRag.chunksPerSecond),
          `raw, ${m.rawSameContexts.contexts} contexts ${fmt(m.rawSameContexts.chunksPerSecond)}`, fmt(m.ratios.vsRawSameContexts)] satisfies SummaryRow]
      : []),
    ["ingest", "re-ingest, nothing changed (s)", model, fmt(m.alpacaRag.reingestSeconds, 3), `LangChain JS rebuild ${fmt(m.langchain.seconds, 1)}`, fmt(m.ratios.reingestVsLangchain, 0)],
  ]);
}

function qualityRows(): SummaryRow[] {
  type Mrr = { mrr: number; recallAt10: number };
  type M = { questions: number; alpacaRag: { hybrid: Mrr; lexical: Mrr }; langchain: Mrr };
  const r = readResults<{ models: PerModel<M> }>("retrieval-quality");
  return Object.entries(r?.models ?? {}).flatMap(([model, m]) => [
    ["retrieval quality", `MRR, hybrid (${m.questions} CMRC questions)`, model, fmt(m.alpacaRag.hybrid.mrr, 3), `LangChain JS ${fmt(m.langchain.mrr, 3)}`, fmt(m.ratios.hybridVsLangchain)],
    ["retrieval quality", "MRR, lexical-only", model, fmt(m.alpacaRag.lexical.mrr, 3), `LangChain JS ${fmt(m.langchain.mrr, 3)}`, fmt(m.ratios.lexicalVsLangchain)],
  ]);
}

function generationRows(): SummaryRow[] {
  type Side = { decodeTokensPerSecond: number; firstTokenMs: number };
  type M = { medians: { ours: Side; raw: Side }; goal: { share: number; met: boolean } };
  const r = readResults<{ models: PerModel<M> }>("generation");
  return Object.entries(r?.models ?? {}).flatMap(([model, m]) => [
    ["generation", `decode tokens/s (goal ≥ ${m.goal.share} of raw: ${m.goal.met ? "met" : "not met"})`, model,
      fmt(m.medians.ours.decodeTokensPerSecond, 1), `raw node-llama-cpp ${fmt(m.medians.raw.decodeTokensPerSecond, 1)}`, fmt(m.ratios.decodeTokensPerSecondVsRaw)],
    ["generation", "time to first token (ms)", model, fmt(m.medians.ours.firstTokenMs, 0), `raw node-llama-cpp ${fmt(m.medians.raw.firstTokenMs, 0)}`, fmt(m.ratios.firstTokenVsRaw)],
  ]);
}

function searchRows(): SummaryRow[] {
  type Size = {
    chunks: number;
    vectorPrecision?: string;
    recallAt10: number;
    defaultEf: number;
    latencyMs: { dense: Summary; fused: Summary; retrieveAndPack: Summary; lexical: Summary; lexicalExact?: Summary };
    lexicalP99ExactVsSummed?: number | null;
    openSeconds: number;
    memory: { rssBytesPerChunk: number };
    goal: { metAtDefaultEf: boolean; tunedEf: { ef: number; recallAt10: number; p99Ms: number; met: boolean } | null };
    retrieveAndPackGoal: { met: boolean };
  };
  const r = readResults<{ sizes: Size[] }>("search-scale");
  return (r?.sizes ?? []).flatMap((s) => {
    const n = `${s.chunks.toLocaleString("en-US")} chunks${s.vectorPrecision === "float16" ? ", float16 vectors" : ""}`;
    const tuned = s.goal.tunedEf;
    const goal = s.goal.metAtDefaultEf ? "met" : tuned?.met ? `met with ef ${tuned.ef}` : "not met";
    return [
      ["search scale", `dense p99 ms / recall@10 at ef ${s.defaultEf} (goal < 10 ms, ≥ 0.95: ${goal})`, n, `${fmt(s.latencyMs.dense.p99Ms)} / ${fmt(s.recallAt10, 3)}`, "exact search", "-"],
      ["search scale", "lexical p50 / p99 ms", n, `${fmt(s.latencyMs.lexical.p50Ms, 1)} / ${fmt(s.latencyMs.lexical.p99Ms, 1)}`,
        s.latencyMs.lexicalExact ? `FTS5 bm25() ${fmt(s.latencyMs.lexicalExact.p50Ms, 1)} / ${fmt(s.latencyMs.lexicalExact.p99Ms, 1)}` : "-", fmt(s.lexicalP99ExactVsSummed)],
      ["search scale", "store open (s)", n, fmt(s.openSeconds, 2), "-", "-"],
      ["search scale", "fused retrieval p50 / p99 ms", n, `${fmt(s.latencyMs.fused.p50Ms, 1)} / ${fmt(s.latencyMs.fused.p99Ms, 1)}`, "-", "-"],
      ["search scale", `retrieval + packing p95 ms (goal < 50: ${s.retrieveAndPackGoal.met ? "met" : "not met"})`, n, fmt(s.latencyMs.retrieveAndPack.p95Ms, 1), "-", "-"],
      ["search scale", "memory of the opened store (bytes/chunk)", n, fmt(s.memory.rssBytesPerChunk, 0), "-", "-"],
    ] satisfies SummaryRow[];
  });
}

function lexicalRows(): SummaryRow[] {
  type Side = { p50Ms: number; p99Ms: number };
  type Set = { questions: number; pruned: Side; prunedWarm?: Side; exact: Side; sameTop5: number; speedup: { p99: number | null } };
  const r = readResults<{ chunks: number; synthetic: Set; cmrc: Set; goals: { p99: { met: boolean }; sameTop5: { met: boolean } } }>("lexical-scale");
  if (!r) return [];
  const n = `${r.chunks.toLocaleString("en-US")} chunks, lexical only`;
  return [
    ["lexical scale", `lexical p50 / p99 ms, synthetic questions (goal p99 < 50: ${r.goals.p99.met ? "met" : "not met"})`, n,
      `${fmt(r.synthetic.pruned.p50Ms, 1)} / ${fmt(r.synthetic.pruned.p99Ms, 1)} (warm cache ${fmt(r.synthetic.prunedWarm?.p50Ms, 1)} / ${fmt(r.synthetic.prunedWarm?.p99Ms, 1)})`, `FTS5 bm25() ${fmt(r.synthetic.exact.p50Ms, 1)} / ${fmt(r.synthetic.exact.p99Ms, 1)}`, fmt(r.synthetic.speedup.p99)],
    ["lexical scale", `lexical p50 / p99 ms, ${r.cmrc.questions} CMRC questions; top 5 as FTS5's: ${fmt(r.cmrc.sameTop5 * 100, 1)} % (goal ≥ 99: ${r.goals.sameTop5.met ? "met" : "not met"})`, n,
      `${fmt(r.cmrc.pruned.p50Ms, 1)} / ${fmt(r.cmrc.pruned.p99Ms, 1)} (warm cache ${fmt(r.cmrc.prunedWarm?.p50Ms, 1)} / ${fmt(r.cmrc.prunedWarm?.p99Ms, 1)})`, `FTS5 bm25() ${fmt(r.cmrc.exact.p50Ms, 1)} / ${fmt(r.cmrc.exact.p99Ms, 1)}`, fmt(r.cmrc.speedup.p99)],
  ];
}

function serviceRows(): SummaryRow[] {
  type Run = { endpoint: string; connections: number; okPerSecond: number; okLatencyMs: { p50: number; p99: number } | null; shed503: number; errors: number };
  const r = readResults<{ runs: Run[]; rss: { beforeBytes: number; afterBytes: number } }>("service-load");
  const rows: SummaryRow[] = (r?.runs ?? []).map((x) => [
    "service load",
    `${x.endpoint} × ${x.connections}: ok req/s, p50/p99 ms, 503s`,
    "stories260K",
    `${fmt(x.okPerSecond, 1)}, ${fmt(x.okLatencyMs?.p50, 0)}/${fmt(x.okLatencyMs?.p99, 0)}, ${x.shed503}`,
    "-",
    "-",
  ]);
  if (r) rows.push(["service load", "server RSS before → after (MiB)", "stories260K", `${fmt(r.rss.beforeBytes / 2 ** 20, 0)} → ${fmt(r.rss.afterBytes / 2 ** 20, 0)}`, "-", "-"]);
  return rows;
}

function formatsRows(): SummaryRow[] {
  type Side = { recallAt5: number | null; shareOfText: number | null; unsupported: boolean; read: number };
  type Row = { format: string; files: number; questions: number; text: { recallAt5: number | null }; alpacaRag: Side & { goalMet: boolean | null }; langchain: Side };
  type Scale = { rows: number; loadSeconds: number; chunkSeconds: number; peakRssMiB: number };
  const r = readResults<{ formats: Row[]; ratios: Ratios; goal: { shareOfText: number }; sheetScale: Scale[] }>("formats");
  if (!r) return [];
  const side = (s: Side) => (s.unsupported ? "unsupported" : s.read === 0 ? "not read" : fmt(s.recallAt5, 3));
  const rows: SummaryRow[] = r.formats
    .filter((f) => f.files > 0)
    .map((f) => [
      "formats",
      `recall@5, ${f.format} (${f.questions} questions; plain text ${fmt(f.text.recallAt5, 3)}; goal ≥ ${r.goal.shareOfText} of it: ${f.alpacaRag.goalMet === null ? "no loader yet" : f.alpacaRag.goalMet ? "met" : "not met"})`,
      "lexical",
      side(f.alpacaRag),
      `LangChain JS ${side(f.langchain)}`,
      fmt(r.ratios[`${f.format}.vsLangchain`]),
    ]);
  const largest = r.sheetScale.at(-1);
  if (largest)
    rows.push(["formats", `${largest.rows.toLocaleString("en-US")}-row .xlsx: load s / chunk s / peak RSS MiB`, "lexical", `${fmt(largest.loadSeconds, 1)} / ${fmt(largest.chunkSeconds, 1)} / ${fmt(largest.peakRssMiB, 0)}`, "-", "-"]);
  return rows;
}

function ocrRows(): SummaryRow[] {
  type Engine = { cer: number; photoCer: number; pagesPerMinute: number; retrieval: { recallAt5: number; citationsRight: number }; recallVsTextLayer: number };
  type Long = { engine: string; pages: number; firstSeconds: number; rerunSeconds: number; reembedSeconds: number; reembedPagesRecognised: number };
  const r = readResults<{ engines: Record<string, Engine>; textLayer: { recallAt5: number }; chosen: string; longScan: Long }>("ocr");
  if (!r) return [];
  const rows: SummaryRow[] = Object.entries(r.engines).flatMap(([name, e]) => [
    ["ocr", `CER scanned / photo, pages/min (${name === r.chosen ? "default" : "selectable"})`, name, `${fmt(e.cer, 4)} / ${fmt(e.photoCer, 4)}, ${fmt(e.pagesPerMinute, 1)}`, "-", "-"],
    ["ocr", `recall@5 of OCR'd pages (goal ≥ 0.9 of text layer: ${e.recallVsTextLayer >= 0.9 ? "met" : "not met"}), citations right`, name,
      `${fmt(e.retrieval.recallAt5, 3)}, ${fmt(e.retrieval.citationsRight, 3)}`, `text layer ${fmt(r.textLayer.recallAt5, 3)}`, fmt(e.recallVsTextLayer)],
  ]);
  const l = r.longScan;
  rows.push(["ocr", `${l.pages}-page scanned PDF: first ingest / re-ingest / re-embed (s; ${l.reembedPagesRecognised} pages re-read)`, l.engine,
    `${fmt(l.firstSeconds, 1)} / ${fmt(l.rerunSeconds, 3)} / ${fmt(l.reembedSeconds, 2)}`, "-", "-"]);
  return rows;
}

function poolRows(): SummaryRow[] {
  type Run = { backends: number; answersPerSecond: number; tokensPerSecond: number; failed: number };
  const r = readResults<{ clients: number; runs: Run[]; ratios: Ratios }>("pool");
  if (!r) return [];
  const [one, two] = r.runs;
  return [
    [
      "model server pool",
      `answers/s (completion tokens/s) at ${r.clients} clients, two llama-servers vs one; failed requests`,
      "synthetic 110M",
      `${fmt(two.answersPerSecond)} (${fmt(two.tokensPerSecond, 1)}); ${two.failed}`,
      `one server ${fmt(one.answersPerSecond)} (${fmt(one.tokensPerSecond, 1)})`,
      fmt(r.ratios.answersTwoVsOne),
    ],
  ];
}

function concurrencyRows(): SummaryRow[] {
  type Side = { tokensPerSecond: number; answersPerSecond: number; firstTokenMs: { p50: number } | null; failed: number };
  type Row = { clients: number; llamaServer: Side | null; ours: Side; generator: Side };
  type Ratios2 = { vsLlamaServer: Ratios; generatorVsLlamaServer: Ratios; scaling16vs1: number | null };
  const r = readResults<{ model: string; rows: Row[]; ratios: Ratios2; goals: { scaling16vs1: { met: boolean } } }>("concurrency");
  if (!r) return [];
  const side = (s: Side | null) => (s ? `${fmt(s.tokensPerSecond, 1)} tok/s, TTFT p50 ${fmt(s.firstTokenMs?.p50, 0)} ms` : "not run");
  const rows: SummaryRow[] = r.rows.flatMap((x) => [
    ["concurrency", `/v1/ask × ${x.clients} clients: completion tokens/s, TTFT p50 (goal ≥ 0.9 of llama-server)`, r.model, side(x.ours), `llama-server ${side(x.llamaServer)}`, fmt(r.ratios.vsLlamaServer[String(x.clients)])],
    ["concurrency", `generator alone × ${x.clients} clients (goal ≥ 0.95 of llama-server)`, r.model, side(x.generator), `llama-server ${side(x.llamaServer)}`, fmt(r.ratios.generatorVsLlamaServer[String(x.clients)])],
  ]);
  const one = r.rows.find((x) => x.clients === 1);
  const sixteen = r.rows.find((x) => x.clients === 16);
  if (one && sixteen)
    rows.push(["concurrency", `/v1/ask answers/s, 16 clients vs 1 (goal ≥ 2.5: ${r.goals.scaling16vs1.met ? "met" : "not met"})`, r.model, fmt(sixteen.ours.answersPerSecond), `1 client ${fmt(one.ours.answersPerSecond)}`, fmt(r.ratios.scaling16vs1)]);
  return rows;
}

function postgresRows(): SummaryRow[] {
  type Dense = { bytesPerChunk?: number; commitChunksPerSecond: number; p50Ms: number; p99Ms: number; recallAt10: number };
  type Mrr = { sqlite: number; postgres: number; diff: number };
  const r = readResults<{ chunks: number; dimension: number; sameTop5: number; questions: number; dense: Record<string, Dense>; mrr?: Record<"lexical" | "hybrid", Mrr> }>("postgres-store");
  const rows: SummaryRow[] = [];
  if (r) {
    const { sqlite, postgres } = r.dense;
    rows.push(
      ["postgres store", `dense search p50 / p99 (ms), ${r.chunks} chunks, ${r.dimension}-d; recall@10`, "synthetic", `${fmt(postgres.p50Ms)} / ${fmt(postgres.p99Ms)}; ${fmt(postgres.recallAt10, 4)}`, `embedded ${fmt(sqlite.p50Ms)} / ${fmt(sqlite.p99Ms)}; ${fmt(sqlite.recallAt10, 4)}`, fmt(sqlite.p50Ms / postgres.p50Ms)],
      ["postgres store", "vector ingest (chunks/s)", "synthetic", fmt(postgres.commitChunksPerSecond, 0), `embedded ${fmt(sqlite.commitChunksPerSecond, 0)}`, fmt(postgres.commitChunksPerSecond / sqlite.commitChunksPerSecond)],
      ["postgres store", `same lexical top-5 as embedded (${r.questions} CMRC questions)`, "none", fmt(r.sameTop5, 4), "-", "-"],
    );
    if (postgres.bytesPerChunk !== undefined && sqlite.bytesPerChunk !== undefined)
      rows.push(["postgres store", `bytes per chunk on disk (${r.dimension}-d)`, "synthetic", fmt(postgres.bytesPerChunk, 0), `embedded ${fmt(sqlite.bytesPerChunk, 0)}`, fmt(sqlite.bytesPerChunk / postgres.bytesPerChunk)]);
    // CMRC trial MRR@10 on both stores (goal: equal within 0.005); the last column is postgres − embedded.
    for (const mode of ["lexical", "hybrid"] as const) {
      const m = r.mrr?.[mode];
      if (m)
        rows.push(["postgres store", `CMRC trial MRR@10, ${mode} (goal: equal within 0.005)`, mode === "hybrid" ? "stories260K" : "none", fmt(m.postgres, 4), `embedded ${fmt(m.sqlite, 4)}`, `diff ${fmt(m.diff, 4)}`]);
    }
  }
  type Run = { requestsPerSecond: number; postgresCpuShare: number };
  const replicas = readResults<{ connections: number; runs: Run[]; ratios: Ratios }>("postgres-replicas");
  if (replicas) {
    const [one, two] = replicas.runs;
    rows.push([
      "postgres replicas",
      `/v1/search requests/s at ${replicas.connections} connections, two pinned replicas vs one (goal 1.7×); postgres CPU share`,
      "none",
      `${fmt(two.requestsPerSecond, 1)}; ${fmt(two.postgresCpuShare)}`,
      `one replica ${fmt(one.requestsPerSecond, 1)}; ${fmt(one.postgresCpuShare)}`,
      fmt(replicas.ratios.twoVsOne),
    ]);
  }
  return rows;
}

export function summaryRows(): SummaryRow[] {
  return [...ingestRows(), ...qualityRows(), ...generationRows(), ...searchRows(), ...lexicalRows(), ...serviceRows(), ...formatsRows(), ...ocrRows(), ...poolRows(), ...concurrencyRows(), ...postgresRows()];
}
