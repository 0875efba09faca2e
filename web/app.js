// alpaca-rag's web page: streams answers from POST /v1/ask (Server-Sent Events over fetch), links citation marks to
// their sources, lists, uploads and deletes documents, and follows ingests (GET /v1/ingest/status, polled: an
// EventSource cannot send the API key, and one small JSON request a second or two costs nothing), reloading the
// document list when one finishes. Every text from the server is set as text, never as HTML.

const messages = {
  zh: {
    title: "文档问答", questionLabel: "问题", ask: "提问", sources: "来源", documents: "文档", upload: "上传",
    file: "文件", pages: "页数", chunks: "片段", ingestedAt: "收录时间", delete: "删除", apiKey: "API 密钥", save: "保存",
    thinking: "正在检索和生成…", done: "完成，用时 {s} 秒", failed: "出错了：{m}", page: "第 {p} 页", pages_range: "第 {p}–{q} 页",
    noPage: "（无页码）", confirmDelete: "从收件箱和索引中删除“{f}”？", uploading: "正在上传并收录…",
    uploaded: "已收录：{ok}；失败：{bad}", deleted: "已删除：{f}", noDocuments: "还没有文档。", needKey: "请输入 API 密钥。", other: "English",
    ingesting: "正在收录（{trigger}）：{done}/{total} 个文件", lastIngest: "上次收录（{trigger}，{time}）：新增 {added}，更新 {updated}，删除 {removed}，失败 {failed}",
    ingestError: "上次收录（{trigger}，{time}）未完成：{m}", watching: "正在监视收件箱", notWatching: "未监视收件箱", watchingElsewhere: "另一台服务器在监视收件箱",
    trigger_watch: "收件箱有变化", trigger_upload: "上传", trigger_request: "重新扫描", trigger_startup: "启动",
    modeGenerated: "回答：{model} 生成 · {search}", modeExtractive: "回答：摘录原文句子，未用模型（{note}）· {search}",
    searchHybrid: "检索：{embedder} 向量 + 关键词", searchLexical: "检索：仅关键词（没有嵌入模型）",
  },
  en: {
    title: "Document Q&A", questionLabel: "Question", ask: "Ask", sources: "Sources", documents: "Documents", upload: "Upload",
    file: "File", pages: "Pages", chunks: "Chunks", ingestedAt: "Ingested", delete: "Delete", apiKey: "API key", save: "Save",
    thinking: "Searching and writing…", done: "Done in {s} s", failed: "Failed: {m}", page: "page {p}", pages_range: "pages {p}–{q}",
    noPage: "(no pages)", confirmDelete: "Delete “{f}” from the inbox and the index?", uploading: "Uploading and ingesting…",
    uploaded: "Indexed: {ok}; failed: {bad}", deleted: "Deleted: {f}", noDocuments: "No documents yet.", needKey: "Enter the API key.", other: "中文",
    ingesting: "Ingesting ({trigger}): {done}/{total} files", lastIngest: "Last ingest ({trigger}, {time}): added {added}, updated {updated}, removed {removed}, failed {failed}",
    ingestError: "Last ingest ({trigger}, {time}) did not run: {m}", watching: "watching the inbox", notWatching: "not watching the inbox", watchingElsewhere: "another server watches the inbox",
    trigger_watch: "inbox changed", trigger_upload: "upload", trigger_request: "re-scan", trigger_startup: "start-up",
    modeGenerated: "Answers: written by {model} · {search}", modeExtractive: "Answers: extracted sentences, no model ({note}) · {search}",
    searchHybrid: "Search: {embedder} vectors + keywords", searchLexical: "Search: keywords only (no embedding model)",
  },
};

let lang = localStorage.getItem("lang") || (navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en");
const $ = (id) => document.getElementById(id);

function t(key, values = {}) {
  const text = messages[lang][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("lang").textContent = t("other");
  $("lang").lang = lang === "zh" ? "en" : "zh-CN";
  void loadDocuments();
  if (lastStatus) showIngestStatus(lastStatus);
}

/** fetch with the saved API key; a 401 shows the key form. */
async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = localStorage.getItem("apiKey");
  if (key) headers.set("Authorization", `Bearer ${key}`);
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    $("key-form").hidden = false;
    throw new Error(t("needKey"));
  }
  if (!response.ok) {
    let message = `${response.status}`;
    try {
      message = (await response.json()).error.message;
    } catch {}
    throw new Error(message);
  }
  return response;
}

function pageLabel(c) {
  // Pages (PDFs, scans) in the page's language; slides, sheet rows, chapters and sections by their location label.
  if (c.page == null) return c.location ? c.location.label : t("noPage");
  return c.pageEnd != null && c.pageEnd !== c.page ? t("pages_range", { p: c.page, q: c.pageEnd }) : t("page", { p: c.page });
}

function showCitation(c) {
  $("citation-file").textContent = c.source;
  $("citation-page").textContent = pageLabel(c);
  $("citation-snippet").textContent = c.snippet;
  $("citation").hidden = false;
}

function citeLink(n, byNumber) {
  const a = document.createElement("a");
  a.href = `#source-${n}`;
  a.className = "cite";
  a.dataset.n = String(n);
  a.textContent = `[${n}]`;
  a.addEventListener("click", (event) => {
    event.preventDefault();
    const c = byNumber.get(n);
    if (c) showCitation(c);
  });
  return a;
}

/** The answer with each [n] (or [1, 2], ［1］, 【1】) as links to its sources. */
function renderAnswer(text, citations) {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  const box = $("answer");
  box.replaceChildren();
  const pattern = /[\[［【]\s*(\d{1,4}(?:\s*[,，、]\s*\d{1,4})*)\s*[\]］】]/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    box.append(text.slice(last, m.index));
    for (const n of m[1].split(/[,，、]/).map((x) => Number(x.trim()))) box.append(byNumber.has(n) ? citeLink(n, byNumber) : `[${n}]`);
    last = m.index + m[0].length;
  }
  box.append(text.slice(last));
  const list = $("sources");
  list.replaceChildren();
  for (const c of citations) {
    const li = document.createElement("li");
    li.id = `source-${c.n}`;
    li.value = c.n;
    if (c.cited) li.className = "cited";
    const link = citeLink(c.n, byNumber);
    link.textContent = `${c.source} · ${pageLabel(c)}`;
    link.className = "";
    li.append(link, ` — ${c.snippet}`);
    list.append(li);
  }
  $("sources-title").hidden = citations.length === 0;
}

/** Reads a text/event-stream body, calling onEvent(name, data) for each event. */
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const status = $("ask-status");
  status.className = "";
  status.textContent = t("thinking");
  $("ask-button").disabled = true;
  $("citation").hidden = true;
  $("sources").replaceChildren();
  $("sources-title").hidden = true;
  const box = $("answer");
  box.replaceChildren();
  let text = "";
  let citations = [];
  try {
    const response = await api("/v1/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question, stream: true }) });
    await readEvents(response, (name, data) => {
      if (name === "token") {
        text += data.text;
        box.textContent = text;
      } else if (name === "citations") citations = data.citations;
      else if (name === "done") {
        renderAnswer(data.answer ?? text, citations);
        status.textContent = t("done", { s: (data.timings.totalMs / 1000).toFixed(1) });
      } else if (name === "error") throw new Error(data.error.message);
    });
  } catch (e) {
    status.className = "error";
    status.textContent = t("failed", { m: e.message });
  } finally {
    $("ask-button").disabled = false;
  }
}

async function loadDocuments() {
  const body = $("documents").tBodies[0];
  try {
    const { documents, extensions } = await (await api("/v1/documents")).json();
    if (extensions) $("upload-input").accept = extensions.join(",");
    body.replaceChildren();
    for (const d of documents) {
      const row = body.insertRow();
      row.dataset.path = d.path;
      row.insertCell().textContent = d.path;
      const pages = row.insertCell();
      pages.className = "num";
      pages.textContent = d.pages ?? "—";
      const chunks = row.insertCell();
      chunks.className = "num";
      chunks.textContent = d.chunks;
      row.insertCell().textContent = new Date(d.ingestedAt).toLocaleString(lang === "zh" ? "zh-CN" : "en");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "delete";
      button.textContent = t("delete");
      button.addEventListener("click", () => deleteDocument(d));
      row.insertCell().append(button);
    }
    if (documents.length === 0) body.insertRow().insertCell().textContent = t("noDocuments");
  } catch (e) {
    $("documents-status").textContent = t("failed", { m: e.message });
  }
}

async function deleteDocument(d) {
  if (!confirm(t("confirmDelete", { f: d.path }))) return;
  try {
    await api(`/v1/documents/${d.id}`, { method: "DELETE" });
    $("documents-status").textContent = t("deleted", { f: d.path });
  } catch (e) {
    $("documents-status").textContent = t("failed", { m: e.message });
  }
  await loadDocuments();
}

async function upload(event) {
  event.preventDefault();
  const input = $("upload-input");
  if (!input.files.length) return;
  const form = new FormData();
  for (const file of input.files) form.append("files", file, file.name);
  const status = $("documents-status");
  status.textContent = t("uploading");
  $("upload-button").disabled = true;
  try {
    const result = await (await api("/v1/documents", { method: "POST", body: form })).json();
    const ok = result.files.filter((f) => f.status !== "failed").map((f) => f.savedAs);
    const bad = result.files.filter((f) => f.status === "failed").map((f) => `${f.name} (${f.reason})`);
    status.textContent = t("uploaded", { ok: ok.join(", ") || "—", bad: bad.join(", ") || "—" });
    input.value = "";
  } catch (e) {
    status.textContent = t("failed", { m: e.message });
  } finally {
    $("upload-button").disabled = false;
  }
  await loadDocuments();
}

let lastStatus = null;

function showIngestStatus(s) {
  const line = $("ingest-status");
  const failedList = $("ingest-failed");
  const watching = t(s.watching ? "watching" : s.watcher === "elsewhere" ? "watchingElsewhere" : "notWatching");
  const trigger = (name) => t(`trigger_${name}`);
  failedList.replaceChildren();
  if (s.running) {
    line.className = "running";
    const current = s.currentFile ? ` · ${s.currentFile}` : "";
    line.textContent = `${t("ingesting", { trigger: trigger(s.trigger), done: s.filesDone, total: s.filesTotal })}${current} · ${watching}`;
    return;
  }
  line.className = "";
  const last = s.last;
  if (!last) {
    line.textContent = watching;
    return;
  }
  const time = new Date(last.finishedAt).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en");
  line.textContent = `${last.error
    ? t("ingestError", { trigger: trigger(last.trigger), time, m: last.error })
    : t("lastIngest", { trigger: trigger(last.trigger), time, added: last.added, updated: last.updated, removed: last.removed, failed: last.failed.length })} · ${watching}`;
  for (const f of last.failed) {
    const li = document.createElement("li");
    li.textContent = `${f.path}: ${f.reason}`;
    failedList.append(li);
  }
}

let info = null;

/** Says plainly what answers (a model, or extracted sentences and how to get a model) and how search works. */
function showInfo() {
  const line = $("mode");
  if (!info) return;
  const search = info.search.mode === "hybrid" ? t("searchHybrid", { embedder: info.search.embedder }) : t("searchLexical");
  line.textContent = info.answers.mode === "generated"
    ? t("modeGenerated", { model: info.answers.model, search })
    : t("modeExtractive", { note: info.answers.note, search });
  line.hidden = false;
}

async function loadInfo() {
  try {
    info = await (await api("/v1/info")).json();
    showInfo();
  } catch {
    // No key yet: shown once the key is given.
  }
}

/** Polls the ingest status: every second while an ingest runs, every two otherwise; reloads the list when one ends. */
async function followIngests() {
  let delay = 2000;
  try {
    if (!document.hidden) {
      const status = await (await api("/v1/ingest/status")).json();
      if (lastStatus && status.runs !== lastStatus.runs) void loadDocuments();
      lastStatus = status;
      showIngestStatus(status);
      if (status.running) delay = 1000;
    }
  } catch {
    // No key yet, or the server is restarting: look again later, quietly.
    delay = 10_000;
  }
  setTimeout(followIngests, delay);
}

$("ask-form").addEventListener("submit", ask);
$("upload-form").addEventListener("submit", upload);
$("citation-close").addEventListener("click", () => ($("citation").hidden = true));
$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("lang", lang);
  applyLanguage();
  if (lastStatus) showIngestStatus(lastStatus);
  showInfo();
});
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem("apiKey", $("api-key").value.trim());
  $("key-form").hidden = true;
  void loadDocuments();
  void loadInfo();
});
applyLanguage();
void loadInfo();
void followIngests();
