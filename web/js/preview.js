// The citation preview, a modal <dialog> (Escape closes it, focus returns to the citation): for a PDF the cited page
// drawn with pdf.js (served by our server from the pdfjs-dist package under /vendor/pdfjs/) with boxes over the text
// items that hold the cited passage; for other files the passage in its surrounding text (GET /v1/documents/context).
import { api } from "./api.js";
import { pageLabel, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const pdfjsBase = "/vendor/pdfjs/";
let pdfjsModule = null;
/** Each opening gets a number; a slower earlier one must not draw over a later one. */
let generation = 0;

function loadPdfjs() {
  pdfjsModule ??= import(`${pdfjsBase}build/pdf.mjs`).then((pdfjs) => {
    pdfjs.GlobalWorkerOptions.workerSrc = `${pdfjsBase}build/pdf.worker.mjs`;
    return pdfjs;
  });
  return pdfjsModule;
}

/** Text compared without spaces, in one Unicode form, so the chunk's text and the page's text items line up. */
const squash = (s) => s.normalize("NFKC").replace(/\s+/g, "");

/**
 * Which text items hold the passage: the items' text joined (spaces dropped), then the longest run of the passage
 * found there, starting from anchors spread over the passage (the chunk may begin on the page before). Returns the
 * indexes of the items the run touches; empty when nothing of it is on the page.
 */
function matchItems(items, passage) {
  const owner = [];
  let joined = "";
  items.forEach((item, i) => {
    const s = squash(item.str ?? "");
    joined += s;
    for (let k = 0; k < s.length; k++) owner.push(i);
  });
  const target = squash(passage);
  let best = { start: -1, length: 0 };
  const anchor = Math.min(12, target.length);
  for (let from = 0; from + anchor <= target.length && best.length < target.length - from; from += anchor) {
    let at = joined.indexOf(target.slice(from, from + anchor));
    while (at >= 0) {
      let length = anchor;
      while (from + length < target.length && joined[at + length] === target[from + length]) length++;
      if (length > best.length) best = { start: at, length };
      at = joined.indexOf(target.slice(from, from + anchor), at + 1);
    }
  }
  if (best.length < Math.min(8, target.length)) return [];
  return [...new Set(owner.slice(best.start, best.start + best.length))];
}

/** The citation's base (answers carry it): the preview asks that base, which the key may see since it answered. */
function kbParam(citation) {
  return citation.kb ? `&kb=${encodeURIComponent(citation.kb)}` : "";
}

async function showPdfPage(citation, spanText, run) {
  const [pdfjs, bytes] = await Promise.all([
    loadPdfjs(),
    api(`/v1/documents/file?path=${encodeURIComponent(citation.source)}${kbParam(citation)}`).then((r) => r.arrayBuffer()),
  ]);
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(bytes),
    cMapUrl: `${pdfjsBase}cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${pdfjsBase}standard_fonts/`,
    wasmUrl: `${pdfjsBase}wasm/`,
    isEvalSupported: false,
  }).promise;
  try {
    const page = await doc.getPage(Math.min(Math.max(1, citation.page), doc.numPages));
    if (run !== generation) return;
    const body = $("preview-body");
    const width = Math.max(200, body.clientWidth - 8);
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: Math.min(2, width / unscaled.width) });
    const ratio = window.devicePixelRatio || 1;
    const holder = document.createElement("div");
    holder.className = "pdf-page";
    holder.style.width = `${viewport.width}px`;
    holder.style.height = `${viewport.height}px`;
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${viewport.width}px`;
    canvas.style.height = `${viewport.height}px`;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `${citation.source} · ${pageLabel(citation)}`);
    holder.append(canvas);
    body.replaceChildren(holder);
    await page.render({ canvasContext: canvas.getContext("2d"), canvas, viewport, transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0] }).promise;
    const { items } = await page.getTextContent();
    const hits = matchItems(items, citation.text ?? citation.snippet);
    const answerHits = new Set(spanText ? matchItems(items, spanText) : []);
    for (const i of hits) {
      const item = items[i];
      const tx = pdfjs.Util.transform(viewport.transform, item.transform);
      const height = Math.hypot(tx[2], tx[3]);
      const box = document.createElement("div");
      box.className = answerHits.has(i) ? "highlight answer-span" : "highlight";
      box.style.left = `${tx[4]}px`;
      box.style.top = `${tx[5] - height}px`;
      box.style.width = `${Math.max(2, item.width * viewport.scale)}px`;
      box.style.height = `${height * 1.15}px`;
      holder.append(box);
    }
    if (hits.length) holder.querySelector(".highlight").scrollIntoView({ block: "center" });
    else showNote(t("passageNotFound"));
  } finally {
    void doc.destroy();
  }
}

async function showContext(citation, spanText, run) {
  // The citation's own end: a citation that merged neighbouring chunks ends where its last chunk does.
  const end = `&charEnd=${citation.charEnd}${citation.pageEnd != null ? `&pageEnd=${citation.pageEnd}` : ""}`;
  const context = await (await api(`/v1/documents/context?chunk=${citation.chunkId}${end}${kbParam(citation)}`)).json();
  if (run !== generation) return;
  const text = document.createElement("div");
  text.className = "context";
  const mark = document.createElement("mark");
  mark.textContent = context.passage;
  // The likely answer inside the passage (extractive answers mark it), in bold.
  const at = spanText ? context.passage.indexOf(spanText) : -1;
  if (at >= 0) {
    const strong = document.createElement("strong");
    strong.className = "answer-span";
    strong.textContent = spanText;
    mark.replaceChildren(context.passage.slice(0, at), strong, context.passage.slice(at + spanText.length));
  }
  text.append(`${context.moreBefore ? "…" : ""}${context.before}`, mark, `${context.after}${context.moreAfter ? "…" : ""}`);
  $("preview-body").replaceChildren(text);
  mark.scrollIntoView({ block: "center" });
}

function showNote(message, error = false) {
  const note = $("preview-note");
  note.textContent = message;
  note.className = error ? "error" : "";
  note.hidden = !message;
}

/**
 * Opens the preview of one citation ({source, page, chunkId, text, snippet, …} from /v1/ask); `answerSpan`
 * ({citation, charStart, charEnd} in that citation's text) marks the likely answer when it is in this citation.
 */
export async function openPreview(citation, answerSpan = null) {
  const run = ++generation;
  const spanText = answerSpan && answerSpan.citation === citation.n && citation.text ? citation.text.slice(answerSpan.charStart, answerSpan.charEnd).trim() : "";
  const dialog = $("preview");
  $("preview-file").textContent = citation.source;
  $("preview-page").textContent = pageLabel(citation);
  $("preview-snippet").textContent = citation.snippet;
  showNote("");
  const loading = document.createElement("p");
  loading.textContent = t("loadingPreview");
  $("preview-body").replaceChildren(loading);
  if (!dialog.open) dialog.showModal();
  $("preview-close").focus();
  try {
    if (/\.pdf$/i.test(citation.source) && citation.page != null) await showPdfPage(citation, spanText, run);
    else await showContext(citation, spanText, run);
  } catch (e) {
    if (run !== generation) return;
    // The preview failed (a file deleted since, a page pdf.js cannot draw): the passage itself still helps.
    showNote(t("previewFailed", { m: e.message }), true);
    const text = document.createElement("div");
    text.className = "context";
    const mark = document.createElement("mark");
    mark.textContent = citation.text ?? citation.snippet;
    text.append(mark);
    $("preview-body").replaceChildren(text);
  }
}

export function initPreview() {
  $("preview-close").addEventListener("click", () => $("preview").close());
  // A click on the backdrop (outside the dialog's box) closes it too.
  $("preview").addEventListener("click", (event) => {
    if (event.target === $("preview")) $("preview").close();
  });
}
