// Seeded property-based fuzzing (fast-check) of what takes outside input: the loaders (random bytes under every
// extension, mutated real PDFs, random Unicode text), the splitter (random text, estimated and real tokenizers), and
// the HTTP API's JSON bodies (random values, near-valid requests, malformed strings). Each input either fails the
// documented way or gives a result whose invariants hold; the server never answers 500 or shows a stack.
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkDocument } from "../../src/ingest/chunk.js";
import { DocumentLoadError, loadDocument, loadFailureReasons, type DocumentLoadFailure } from "../../src/ingest/loaders/index.js";
import { normaliseText } from "../../src/ingest/loaders/text.js";
import { splitText } from "../../src/ingest/splitter.js";
import type { LoadedDocument } from "../../src/ingest/types.js";
import { chooseEmbeddingModel, loadEmbedder, resolveEmbedderFile, type Embedder } from "../../src/models/embedder.js";
import { EstimatingTokenizer, type TextTokenizer } from "../../src/models/tokenizer.js";
import { tempDir, testSettings } from "../helpers.js";
import { parseSse, startTestServer, type TestServer } from "../server/serverFixture.js";
import { drawPdf } from "./fixtures.js";

const dir = tempDir("alpaca-rag-fuzz-");
const figures: string[] = [];
const estimate = new EstimatingTokenizer();

afterAll(() => console.log(`[reliability] fuzz cases: ${figures.join("; ")}`));

/** Loads bytes under a file name, as the ingest does; returns the document or the DocumentLoadError. */
async function load(bytes: Uint8Array, extension: string): Promise<LoadedDocument | DocumentLoadError> {
  const file = path.join(dir, `case${extension}`);
  try {
    return await loadDocument(file, Buffer.from(bytes));
  } catch (e) {
    // Anything else escaping a loader is a crash of the ingest's producer: fail the property.
    if (!(e instanceof DocumentLoadError)) throw e;
    return e;
  }
}

/** A failure is one of the documented ones, with its documented reason; a document's maps fit its text. */
function expectValidOutcome(outcome: LoadedDocument | DocumentLoadError, extension: string): void {
  if (outcome instanceof DocumentLoadError) {
    expect(Object.keys(loadFailureReasons)).toContain(outcome.failure);
    expect(outcome.message.startsWith(loadFailureReasons[outcome.failure as DocumentLoadFailure])).toBe(true);
    return;
  }
  const doc = outcome;
  expect(doc.kind).toBe(extension === ".pdf" ? "pdf" : extension === ".md" ? "markdown" : "text");
  expect(doc.text.trim()).not.toBe("");
  if (doc.kind === "pdf") {
    expect(doc.pageStarts[0]).toBe(0);
    for (let i = 1; i < doc.pageStarts.length; i++) expect(doc.pageStarts[i]).toBeGreaterThanOrEqual(doc.pageStarts[i - 1]);
    expect(doc.pageStarts.at(-1)!).toBeLessThanOrEqual(doc.text.length);
  } else {
    expect(doc.pageStarts).toEqual([]);
    expect(doc.text).not.toMatch(/\r/);
  }
  let previous = 0;
  for (const s of doc.sections) {
    expect(s.offset).toBeGreaterThanOrEqual(previous);
    expect(s.offset).toBeLessThanOrEqual(doc.text.length);
    expect(s.title.trim()).not.toBe("");
    previous = s.offset;
  }
  // And it chunks: every chunk is a slice of the text on a real page, within the budget.
  for (const c of chunkDocument(doc, { tokenizer: estimate, chunkSize: 64, chunkOverlap: 8 })) {
    expect(doc.text.slice(c.start, c.end)).toBe(c.text);
    expect(c.tokens.length).toBeLessThanOrEqual(64);
    if (doc.kind === "pdf") {
      expect(c.page!).toBeGreaterThanOrEqual(1);
      expect(c.pageEnd!).toBeLessThanOrEqual(doc.pageStarts.length);
    }
  }
}

describe("loaders", () => {
  let pdfs: Buffer[];

  beforeAll(async () => {
    const draw = (doc: PDFKit.PDFDocument) => {
      doc.fontSize(16).text("Chapter 1 The Quarry");
      doc.fontSize(11).text("The quarry on the east hill supplied stone for the harbour wall and the chapel. ".repeat(5));
      doc.addPage().fontSize(11).text("Chapter 2 closes the ledger with the price of lime in 1902.");
    };
    // Compressed content streams (pdfkit's default) and plain ones, whose text operators a mutation hits directly.
    pdfs = [await drawPdf({ size: [360, 300] }, draw), await drawPdf({ size: [360, 300], compress: false }, draw)];
  });

  it("random bytes named .txt, .md or .pdf: a documented failure or a valid document (400 cases)", { timeout: 120_000 }, async () => {
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom(".txt", ".md", ".pdf"), async (bytes, extension) => {
        const outcome = await load(bytes, extension);
        if (!(outcome instanceof DocumentLoadError)) loaded += 1;
        expectValidOutcome(outcome, extension);
      }),
      { numRuns: 400, seed: 1101, timeout: 10_000 },
    );
    figures.push(`random bytes 400 (${loaded} loaded as text)`);
  });

  it("mutated real PDFs (bytes flipped, truncated, inserted, deleted, repeated): never a crash (400 cases)", { timeout: 180_000 }, async () => {
    const counts: Record<string, number> = {};
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 12 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }) }),
      fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 512 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
        let bytes = Buffer.from(pdfs[which]);
        for (const m of mutations) {
          if (m.kind === "flip") {
            for (const [i, x] of m.at) if (bytes.length) bytes[i % bytes.length] ^= x;
            continue;
          }
          const at = m.at % (bytes.length + 1);
          if (m.kind === "truncate") bytes = bytes.subarray(0, at);
          else if (m.kind === "insert") bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
          else if (m.kind === "delete") bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
          else bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
        }
        const outcome = await load(bytes, ".pdf");
        const key = outcome instanceof DocumentLoadError ? outcome.failure : "loaded";
        counts[key] = (counts[key] ?? 0) + 1;
        expectValidOutcome(outcome, ".pdf");
      }),
      { numRuns: 400, seed: 1102, timeout: 10_000 },
    );
    figures.push(`mutated PDFs 400 (${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(", ")})`);
  });

  it("random Unicode text in UTF-8, UTF-8 with BOM and UTF-16: decoded losslessly or refused as binary (400 cases)", { timeout: 120_000 }, async () => {
    let exact = 0;
    const text = fc.oneof(fc.string({ unit: "binary", maxLength: 400 }), fc.string({ unit: "grapheme", maxLength: 400 }), fc.lorem({ maxCount: 40 }));
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom("utf8", "utf8-bom", "utf16le-bom"), fc.constantFrom(".txt", ".md"), async (original, encoding, extension) => {
        const body = Buffer.from(original, encoding === "utf16le-bom" ? "utf16le" : "utf8");
        const bom = encoding === "utf8-bom" ? [0xef, 0xbb, 0xbf] : encoding === "utf16le-bom" ? [0xff, 0xfe] : [];
        const outcome = await load(Buffer.concat([Buffer.from(bom), body]), extension);
        expectValidOutcome(outcome, extension);
        // A UTF-8 file without a BOM that starts with U+FEFF reads it as one; a BOM-less UTF-16 file is not made here.
        const expected = normaliseText(encoding === "utf8" ? original.replace(/^\uFEFF/, "") : original);
        if (outcome instanceof DocumentLoadError) {
          // Refused only when there is nothing to index or it is mostly control characters.
          expect(["empty", "binary"]).toContain(outcome.failure);
          if (outcome.failure === "empty") expect(expected.trim()).toBe("");
        } else {
          expect(outcome.text).toBe(expected);
          exact += 1;
        }
      }),
      { numRuns: 400, seed: 1103 },
    );
    figures.push(`random Unicode text 400 (${exact} decoded exactly, the rest refused as empty or binary)`);
  });
});

describe("splitter", () => {
  let embedder: Embedder;

  beforeAll(async () => {
    const settings = testSettings({ store: tempDir() });
    const choice = await chooseEmbeddingModel(settings);
    if (choice.kind !== "model") throw new Error(choice.reason);
    embedder = await loadEmbedder(settings, choice, await resolveEmbedderFile(settings, choice));
  });

  afterAll(async () => {
    await embedder?.dispose();
  });

  // Text built from the separators the splitter cares about, words in two scripts, and arbitrary code points.
  const piece = fc.oneof(
    fc.constantFrom("\n", "\n\n", " ", "。", "，", "！", "？", "；", "…", ". ", "! ", "? ", ", ", "、", "”", "」", "3.14", "\t", "\u3000"),
    fc.constantFrom("望月桥", "建于", "光绪年间", "the", "bridge", "was", "built", "in", "1896", "📚", "é"),
    fc.string({ unit: "binary", maxLength: 12 }),
  );
  const texts = fc.array(piece, { maxLength: 300 }).map((a) => a.join(""));

  function checkSplit(text: string, chunkSize: number, chunkOverlap: number, tokenizer: TextTokenizer): number {
    const spans = splitText(text, { tokenizer, chunkSize, chunkOverlap });
    let covered = 0;
    let previousStart = -1;
    for (const s of spans) {
      expect(text.slice(s.start, s.end)).toBe(s.text);
      expect(s.text).toBe(s.text.trim());
      expect(s.text).not.toBe("");
      expect(s.tokens.length).toBe(tokenizer.tokenize(s.text).length);
      expect(s.tokens.length).toBeLessThanOrEqual(chunkSize);
      expect(s.start).toBeGreaterThan(previousStart);
      // Nothing but whitespace is skipped between chunks.
      if (s.start > covered) expect(text.slice(covered, s.start).trim()).toBe("");
      covered = Math.max(covered, s.end);
      previousStart = s.start;
    }
    expect(text.slice(covered).trim()).toBe("");
    return spans.length;
  }

  it("random text, estimated tokens: spans are exact slices, within the budget, covering the text (500 cases)", { timeout: 60_000 }, () => {
    let chunks = 0;
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 48 }), fc.nat({ max: 47 }), (text, chunkSize, overlap) => {
        chunks += checkSplit(text, chunkSize, overlap % chunkSize, estimate);
      }),
      { numRuns: 500, seed: 1104 },
    );
    figures.push(`splitter with estimated tokens 500 (${chunks} chunks checked)`);
  });

  it("random text, stories260K's own tokenizer: the same, counted in real tokens (300 cases)", { timeout: 120_000 }, () => {
    let chunks = 0;
    fc.assert(
      fc.property(texts, fc.integer({ min: 8, max: 64 }), fc.nat({ max: 16 }), (text, chunkSize, overlap) => {
        chunks += checkSplit(text, chunkSize, Math.min(overlap, chunkSize - 1), embedder.tokenizer);
      }),
      { numRuns: 300, seed: 1105 },
    );
    figures.push(`splitter with stories260K tokens 300 (${chunks} chunks checked)`);
  });
});

describe("HTTP JSON bodies", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ settings: { "generator.maxTokens": 8, "server.maxQuestionChars": 2000 } });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  // Short strings, and two that pass no limit: over maxQuestionChars, and within it but too long for the model's window.
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", " ", "lighthouse", "望月桥", "x".repeat(2500), "lighthouse ".repeat(150)));
  const junk = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, -1, 0, 1.5, 51, 1e308, "", [], {}, true));
  /** Mostly a valid value, sometimes junk. */
  const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: junk });
  /** Often absent (undefined: left out by JSON.stringify), else mostly valid. */
  const optional = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: mostly(valid) });
  /** An unknown field now and then. */
  const stray = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk });
  const k = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 50 }) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 60 }) }, { weight: 1, arbitrary: fc.double() });
  const turn = fc.record({ user: mostly(text), assistant: mostly(text) });
  const askBody = fc.record({ question: mostly(text), k: optional(k), stream: optional(fc.boolean()), history: optional(fc.array(turn, { maxLength: 3 })), longAnswer: optional(fc.boolean()), extra: stray });
  const searchBody = fc.record({ query: mostly(text), k: optional(k), extra: stray });
  const role = fc.oneof({ weight: 6, arbitrary: fc.constantFrom("user", "user", "assistant", "system") }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom("developer", "tool", "function"), junk) });
  const part = fc.record({ type: mostly(fc.constant("text")), text: optional(text) });
  const message = fc.record({ role, content: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.array(part, { maxLength: 3 }) }, { weight: 1, arbitrary: junk }) });
  const chatBody = fc.record({
    model: optional(text),
    // Mostly ending with a user message, as a conversation does; sometimes any list at all.
    messages: fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.array(message, { maxLength: 3 }), text).map(([earlier, q]) => [...earlier, { role: "user", content: q }]) },
      { weight: 1, arbitrary: fc.array(message, { maxLength: 4 }) },
      { weight: 1, arbitrary: junk },
    ),
    stream: optional(fc.boolean()),
    stream_options: optional(fc.record({ include_usage: optional(fc.boolean()) })),
    n: optional(fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 2 }))),
    k: optional(k),
    temperature: optional(fc.double()),
  });
  /** A request body as raw text: near-valid JSON, any JSON value, or a malformed string. */
  const raw = (valid: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 6, arbitrary: valid.map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
      { weight: 1, arbitrary: valid.chain((v) => fc.nat().map((n) => { const s = JSON.stringify(v) ?? ""; return s.slice(0, n % (s.length + 1)); })) },
    );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant("application/json") },
    { weight: 1, arbitrary: fc.constantFrom("application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded") },
  );
  const stackPattern = /\bat \S+ \(|node_modules|\.ts:\d+|Error: /;

  /** Checks one response against the documented outcomes and returns its status. */
  async function checkResponse(route: string, res: Response): Promise<number> {
    const body = await res.text();
    expect(res.status, `${route} ${res.status} ${body.slice(0, 200)}`).not.toBe(500);
    expect(body).not.toMatch(stackPattern);
    if (res.status >= 400) {
      expect(res.status).toBeLessThan(500);
      const parsed = JSON.parse(body) as { error: { code: string; message: string } };
      expect(Object.keys(parsed)).toEqual(["error"]);
      expect(Object.keys(parsed.error).sort()).toEqual(["code", "message"]);
      expect(typeof parsed.error.code).toBe("string");
      expect(typeof parsed.error.message).toBe("string");
      return res.status;
    }
    expect(res.status).toBe(200);
    if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      const events = parseSse(body);
      expect(events.length).toBeGreaterThan(0);
      if (route === "/v1/ask") {
        const last = events.at(-1)!;
        expect(["done", "error"]).toContain(last.event);
        if (last.event === "error") expect(Object.keys((JSON.parse(last.data) as { error: object }).error).sort()).toEqual(["code", "message"]);
        else expect(events.filter((e) => e.event === "citations")).toHaveLength(1);
      } else {
        const last = events.at(-1)!;
        if (last.data !== "[DONE]") expect(Object.keys((JSON.parse(last.data) as { error: object }).error).sort()).toEqual(["code", "message"]);
        for (const e of events.slice(0, -1)) expect((JSON.parse(e.data) as { object: string }).object).toBe("chat.completion.chunk");
      }
      return 200;
    }
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (route === "/v1/ask") expect(Object.keys(parsed)).toEqual(expect.arrayContaining(["question", "answer", "mode", "citations", "dropped", "removedCitations", "model", "timings", "usage"]));
    else if (route === "/v1/search") expect(Object.keys(parsed).sort()).toEqual(["mode", "query", "results", "timings"]);
    else expect(parsed).toMatchObject({ object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: expect.any(String) } }], citations: expect.any(Array) });
    return 200;
  }

  const routes: Array<[route: string, body: fc.Arbitrary<unknown>, runs: number]> = [
    ["/v1/ask", askBody, 300],
    ["/v1/search", searchBody, 300],
    ["/v1/chat/completions", chatBody, 300],
    ["/v1/documents", fc.jsonValue(), 200],
  ];

  it("refuses a question within the character limit but too long for the model's window with 400, not 500", async () => {
    const long = "lighthouse ".repeat(150);
    for (const [route, body] of [["v1/ask", { question: long }], ["v1/chat/completions", { messages: [{ role: "user", content: long }] }]] as const) {
      const res = await fetch(`${t.url}${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      expect(res.status, route).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^the question and prompt template take \d+ tokens, more than/);
    }
  });

  it.each(routes)("POST %s: only 4xx with {error: {code, message}} or 200 with the documented shape", { timeout: 180_000 }, async (route, body, runs) => {
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(raw(body), contentType, async (payload, type) => {
        const res = await fetch(`${t.url}${route.slice(1)}`, { method: "POST", headers: { "Content-Type": type }, body: payload });
        const status = await checkResponse(route, res);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
      { numRuns: runs, seed: 1106 + runs + route.length },
    );
    figures.push(`${route} ${runs} (${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(", ")})`);
    expect((await fetch(`${t.url}healthz`)).status).toBe(200);
    expect(t.notices.filter((n) => n.startsWith("error:"))).toEqual([]);
  });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
