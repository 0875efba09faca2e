// `npm run bench:chart`: one SVG of ingest throughput and search latency versus corpus size, from the results of
// ingest.ts, ingest-scale.ts and search-scale.ts, drawn with vega-lite compiled to vega and rendered headless
// (View.toSVG, no canvas). Writes bench/results/chart.svg; run the benchmarks first (missing ones are left out).
import fs from "node:fs";
import path from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { readResults, resultsDir } from "./lib/report.js";

interface IngestPoint {
  chunks: number;
  chunksPerSecond: number;
  series: string;
}

interface LatencyPoint {
  chunks: number;
  ms: number;
  retriever: string;
  percentile: string;
}

type IngestJson = {
  models: Record<
    string,
    {
      alpacaRag: { chunks: number; chunksPerSecond: number };
      rawLimit: { chunks: number; chunksPerSecond: number };
      langchain: { chunks: number; seconds: number; phases: { modelLoad: number } };
    }
  >;
};
type IngestScaleJson = { model: string; points: Array<{ chunks: number; chunksPerSecond: number }> };
type Summary = { p50Ms: number; p95Ms: number; p99Ms: number };
type SearchScaleJson = {
  sizes: Array<{
    chunks: number;
    vectorPrecision?: string;
    build: { chunksPerSecond: number };
    latencyMs: { dense: Summary; lexical: Summary; fused: Summary; retrieveAndPack: Summary };
  }>;
};

function ingestPoints(): IngestPoint[] {
  const points: IngestPoint[] = [];
  const ingest = readResults<IngestJson>("ingest");
  for (const [model, m] of Object.entries(ingest?.models ?? {})) {
    points.push({ chunks: m.alpacaRag.chunks, chunksPerSecond: m.alpacaRag.chunksPerSecond, series: `alpaca-rag ingest (${model})` });
    points.push({ chunks: m.rawLimit.chunks, chunksPerSecond: m.rawLimit.chunksPerSecond, series: `raw llama.cpp embedding (${model})` });
    const lc = m.langchain;
    points.push({ chunks: lc.chunks, chunksPerSecond: lc.chunks / (lc.seconds - lc.phases.modelLoad), series: `LangChain JS ingest (${model})` });
  }
  const scale = readResults<IngestScaleJson>("ingest-scale");
  for (const p of scale?.points ?? []) points.push({ chunks: p.chunks, chunksPerSecond: p.chunksPerSecond, series: `alpaca-rag ingest (${scale!.model})` });
  // One point per size: a store measured at both precisions was built once.
  for (const s of (readResults<SearchScaleJson>("search-scale")?.sizes ?? []).filter((s) => s.vectorPrecision !== "float16"))
    points.push({ chunks: s.chunks, chunksPerSecond: s.build.chunksPerSecond, series: "store writes, vectors given (no embedding)" });
  return points.sort((a, b) => a.series.localeCompare(b.series) || a.chunks - b.chunks);
}

function latencyPoints(): LatencyPoint[] {
  const points: LatencyPoint[] = [];
  for (const s of readResults<SearchScaleJson>("search-scale")?.sizes ?? []) {
    const l = s.latencyMs;
    const dense = s.vectorPrecision === "float16" ? "dense (usearch float16)" : "dense (hnswlib)";
    for (const [retriever, summary] of [[dense, l.dense], ["lexical (BM25)", l.lexical], ["fused (hybrid)", l.fused], ["retrieval + packing", l.retrieveAndPack]] as const) {
      points.push({ chunks: s.chunks, ms: summary.p50Ms, retriever, percentile: "p50" });
      points.push({ chunks: s.chunks, ms: summary.p99Ms, retriever, percentile: "p99" });
    }
  }
  return points;
}

// Log axes with a few round ticks: sizes span 10² to 10⁶ chunks and latencies 0.1 ms to seconds.
const logAxis = { tickCount: 6, format: "~g" } as const;
const logX = { field: "chunks", type: "quantitative", title: "corpus size (chunks)", scale: { type: "log" }, axis: { ...logAxis, format: "~s" } } as const;
const legend = { orient: "bottom", symbolType: "stroke" } as const;

function chartSpec(ingest: IngestPoint[], latency: LatencyPoint[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "alpaca-rag: ingest throughput and search latency versus corpus size",
    config: { font: "sans-serif", view: { stroke: "#ddd" }, axis: { gridColor: "#eee" }, legend: { labelLimit: 0 } },
    hconcat: [
      {
        title: "Ingest throughput",
        width: 360,
        height: 280,
        data: { values: ingest },
        mark: { type: "line", point: true },
        encoding: {
          x: logX,
          y: { field: "chunksPerSecond", type: "quantitative", title: "chunks per second", scale: { type: "log" }, axis: logAxis },
          color: { field: "series", type: "nominal", title: null, legend: { ...legend, columns: 1 } },
        },
      },
      {
        title: { text: "Search latency", subtitle: "solid: p50, dashed: p99" },
        width: 360,
        height: 280,
        data: { values: latency },
        mark: { type: "line", point: true },
        encoding: {
          x: logX,
          y: { field: "ms", type: "quantitative", title: "milliseconds per question", scale: { type: "log" }, axis: logAxis },
          color: { field: "retriever", type: "nominal", title: null, legend: { ...legend, columns: 2 } },
          strokeDash: { field: "percentile", type: "nominal", legend: null, scale: { domain: ["p50", "p99"], range: [[1, 0], [5, 4]] } },
        },
      },
    ],
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
  };
}

async function renderChart(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const ingest = ingestPoints();
const latency = latencyPoints();
if (ingest.length === 0 && latency.length === 0)
  throw new Error("no results to chart: run bench/ingest.ts, bench/ingest-scale.ts and bench/search-scale.ts first");
const svg = await renderChart(chartSpec(ingest, latency));
fs.mkdirSync(resultsDir(), { recursive: true });
const out = path.join(resultsDir(), "chart.svg");
fs.writeFileSync(out, svg);
console.log(`wrote ${path.relative(process.cwd(), out)} (${ingest.length} ingest points, ${latency.length} latency points)`);
